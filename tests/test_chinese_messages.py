"""Issue #19 item 1: every message a user reads is Chinese.

Runs the console script over the samples and over the hostile corpus, and a set of wrong command
lines, then looks for English sentences (two English words in a row, or an exception class name
such as BadZipFile) in finding messages, extraction notes and everything the CLI printed. What the
applicant wrote (quoted in 「」) and file names are theirs, and are left out of the check."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLE_BATCH

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "hostile"))
from make_hostile import make_corpus  # noqa: E402

sys.path.remove(str(REPO / "tests" / "hostile"))

PIPELINE = Path(sys.executable).parent / "pipeline"
# Two English words in a row ("No such file", "Unexpected EOF", "Missing option") or an exception
# class name ("BadZipFile", "XMLSyntaxError", "PdfReadError").
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,'][A-Za-z]{2,})+\b|\b[A-Z][a-z]+(?:[A-Z][a-z]*)+(?:Error|File|Exception)\b"
                     r"|\b\w*(?:Error|Exception)\b")
# Quoted applicant text and file names, option names, rule ids, URLs and paths: not the checker's words.
NOT_OURS = re.compile(r"\bpipeline(?: (?:run|inspect|rules))?\b|「[^」]*」|《[^》]*》|'[^']*'|--[a-z-]+|\b[A-Z][A-Z_]{3,}\b|\S*/\S*|tcp://\S+|\S+\.(?:docx|pdf|doc|zip|txt)")
# Short technical terms that read as names in a Chinese sentence.
TERMS = {"Word PDF", "E-mail", "Open XML", "Strict Open XML"}


def english_in(text: str) -> list[str]:
    plain = NOT_OURS.sub(" ", text)
    return [m for m in ENGLISH.findall(plain) if m not in TERMS]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([str(PIPELINE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    root = tmp_path_factory.mktemp("zh")
    hostile = root / "hostile"
    make_corpus(hostile, sparse_gb=1)
    procs = {}
    for name, batch in (("samples", SAMPLE_BATCH), ("hostile", hostile)):
        procs[name] = run(["run", str(batch), "--out", str(root / f"out-{name}"), "--no-ocr", "--timeout", "20"], root)
    return root, procs


def _messages(out: Path) -> list[tuple[str, str]]:
    data = json.loads((out / "results.json").read_text("utf-8"))
    found = []
    for sub in data["submissions"]:
        for f in sub["findings"]:
            found.append((f"{sub['submission_id']} {f['rule']}", f["message"]))
        for note in sub.get("notes") or []:
            found.append((f"{sub['submission_id']} note", note["message"] if isinstance(note, dict) else str(note)))
    return found


@pytest.mark.parametrize("name", ["samples", "hostile"])
def test_findings_and_run_output_are_chinese(batches, name):
    root, procs = batches
    proc = procs[name]
    assert proc.returncode == 0, proc.stderr[-2000:]
    msgs = _messages(root / f"out-{name}")
    assert len(msgs) > 10
    english = [(who, text, english_in(text)) for who, text in msgs if english_in(text)]
    assert not english, english[:5]
    printed = [line for line in (proc.stdout + proc.stderr).splitlines() if english_in(line)]
    assert not printed, printed[:5]


def test_hostile_originals_stay_in_the_log(batches):
    root, _ = batches
    log = (root / "out-hostile" / "logs" / "run.log").read_text("utf-8")
    assert "Error" in log or "error" in log  # the parser's own words are kept for the maintainer …
    msgs = " ".join(text for _, text in _messages(root / "out-hostile"))
    assert "BadZipFile" not in msgs and "Error" not in msgs  # … and never reach a finding


def test_last_lines_name_index_and_count_unreadable_files(batches):
    root, procs = batches
    lines = procs["samples"].stdout.strip().splitlines()
    assert lines[-1].endswith(str(root / "out-samples" / "index.html"))
    assert re.search(r"(\d+) 个文件无法读取", lines[-2])
    # the samples plant a broken DOCX, a non-PDF, two encrypted files and scans (OCR off): the
    # count is the files with such a finding in results.json
    data = json.loads((root / "out-samples" / "results.json").read_text("utf-8"))
    unread = {(s["submission_id"], f["evidence"]["file"]) for s in data["submissions"] for f in s["findings"]
              if f["rule"] in ("FILE_UNREADABLE", "FILE_ENCRYPTED", "OCR_UNAVAILABLE")}
    assert len(unread) >= 6
    assert int(re.search(r"(\d+) 个文件无法读取", lines[-2]).group(1)) == len(unread)


WRONG = [
    ["run", str(SAMPLE_BATCH)],  # no --out
    ["run", "--out", "x"],  # no INPUT
    ["run", str(SAMPLE_BATCH), "--out", "x", "--workers", "abc"],
    ["run", str(SAMPLE_BATCH), "--out", "x", "--workers", "0"],
    ["run", str(SAMPLE_BATCH), "--out", "x", "--fail-on", "sometimes"],
    ["run", str(SAMPLE_BATCH), "--out", "x", "--frobnicate"],
    ["run", "a", "b", "--out", "x"],
    ["runn"],
    ["inspect", "/nonexistent/file.docx"],
    ["run", "/nonexistent/folder", "--out", "x"],
    ["run", str(SAMPLE_BATCH), "--out", "x", "--rules", "/nonexistent/rules.toml"],
]


@pytest.mark.parametrize("args", WRONG, ids=lambda a: " ".join(a)[-40:])
def test_cli_errors_are_chinese(tmp_path, args):
    proc = run(args, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "错误" in proc.stderr
    assert not english_in(proc.stderr), proc.stderr


def test_bad_rules_file_is_explained_in_chinese(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[similarity\nmin = 1\n", "utf-8")
    proc = run(["run", str(SAMPLE_BATCH), "--out", str(tmp_path / "o"), "--rules", str(bad)], tmp_path)
    assert proc.returncode == 2 and "第 1 行" in proc.stderr, proc.stderr
    assert not english_in(proc.stderr), proc.stderr


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["inspect", "--help"], ["rules", "--help"]])
def test_help_is_chinese_with_english_option_names(tmp_path, args):
    proc = run(args, tmp_path)
    assert proc.returncode == 0
    assert "用法" in proc.stdout and "选项" in proc.stdout
    assert not english_in(proc.stdout), proc.stdout


def test_inspect_of_a_broken_file_is_chinese(tmp_path):
    broken = SAMPLE_BATCH / "上海卫数信息技术有限公司-传染病监测预警元宇宙可视化平台" / "附件1-需求征集表（备份）.docx"
    proc = run(["inspect", str(broken)], tmp_path)
    assert proc.returncode == 0 and "文件已损坏或不完整" in proc.stdout
    assert not english_in(proc.stdout + proc.stderr), proc.stdout + proc.stderr
