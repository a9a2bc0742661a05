"""The CLI end to end: click's CliRunner and the installed console script, on the bundled samples."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pipeline.cli import main

from .conftest import REPO, SAMPLE_BATCH

SCHEMA = json.loads((REPO / "pipeline" / "schema" / "results.schema.json").read_text("utf-8"))


def _assert_outputs(out: Path) -> dict:
    data = json.loads((out / "results.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    assert (out / "consolidated.xlsx").stat().st_size > 0
    assert (out / "index.html").is_file()
    assert (out / "expectations.json").is_file()
    reports = sorted(p.name for p in (out / "reports").glob("*.html"))
    assert len(reports) == len(data["submissions"])
    return data


def test_run_writes_all_outputs(tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(SAMPLE_BATCH), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    data = _assert_outputs(out)
    ids = [s["submission_id"] for s in data["submissions"]]
    assert ids == sorted(ids)
    expected_ids = sorted(json.loads((REPO / "samples" / "expected.json").read_text("utf-8"))["submissions"])
    assert ids == expected_ids


def test_fail_on_sets_exit_status(tmp_path):
    res = CliRunner().invoke(main, ["run", str(SAMPLE_BATCH), "--out", str(tmp_path / "o"), "--quiet", "--fail-on", "error"])
    assert res.exit_code == 1  # the samples plant errors on purpose


def test_console_script_subprocess(tmp_path):
    exe = Path(sys.executable).parent / "pipeline"
    assert exe.exists(), "the console script is installed with the package"
    out = tmp_path / "out"
    proc = subprocess.run([str(exe), "run", str(SAMPLE_BATCH), "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "完成" in proc.stdout
    _assert_outputs(out)


def test_missing_input_exits_2(tmp_path):
    res = CliRunner().invoke(main, ["run", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "不存在" in res.output


def test_empty_input_exits_2(tmp_path):
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(main, ["run", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "为空" in res.output


def test_input_not_a_folder_exits_2(tmp_path):
    f = tmp_path / "a.docx"
    f.write_bytes(b"x")
    res = CliRunner().invoke(main, ["run", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "不是文件夹" in res.output


def test_bad_rules_file_names_the_key(tmp_path):
    src = (REPO / "pipeline" / "rules" / "default.toml").read_text("utf-8")
    bad = tmp_path / "rules.toml"
    bad.write_text(src.replace("max = 3", 'max = "three"'), "utf-8")
    res = CliRunner().invoke(main, ["run", str(SAMPLE_BATCH), "--out", str(tmp_path / "o"), "--rules", str(bad)])
    assert res.exit_code == 2
    assert "joint_units.max" in res.output


def test_unparsable_rules_file_exits_2(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text("version = [", "utf-8")
    res = CliRunner().invoke(main, ["rules", "--rules", str(bad)])
    assert res.exit_code == 2
    assert "TOML" in res.output


def test_edited_rules_file_changes_results(tmp_path):
    """A secretariat edits a limit in its own copy of the rules file; the findings follow."""
    src = (REPO / "pipeline" / "rules" / "default.toml").read_text("utf-8")
    edited = tmp_path / "rules.toml"
    edited.write_text(src.replace("limit = 400", "limit = 10"), "utf-8")
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["run", str(SAMPLE_BATCH), "--out", str(out), "--quiet", "--rules", str(edited)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "results.json").read_text("utf-8"))
    too_long = {s["submission_id"] for s in data["submissions"]
                for f in s["findings"] if f["rule"] == "SECTION_TOO_LONG" and f["field"] == "lead_unit_intro"}
    with_intro = {s["submission_id"] for s in data["submissions"] if s["fields"].get("sections", {}).get("lead_unit_intro")}
    assert with_intro and too_long == with_intro


def test_rules_command_lists_catalogue():
    res = CliRunner().invoke(main, ["rules"])
    assert res.exit_code == 0
    for rule in ("FILE_UNREADABLE", "CODE_INVALID", "SECTION_TOO_LONG", "SEAL_MISSING", "DUPLICATE_SUBMISSION"):
        assert rule in res.output


def test_inspect_shows_values_with_provenance():
    docx = next(p for p in sorted(SAMPLE_BATCH.rglob("*.docx")))
    res = CliRunner().invoke(main, ["inspect", str(docx)])
    assert res.exit_code == 0, res.output
    assert "scenario_name" in res.output or "letter_scenario_name" in res.output
    assert "第" in res.output  # provenance such as 第1页 / 第3行第2列 / 第2段


def test_inspect_lists_each_section_at_its_own_cell():
    form = SAMPLE_BATCH / "上海臻图智造科技有限公司-白车身焊装产线数字孪生" / "附件1-需求征集表.docx"
    res = CliRunner().invoke(main, ["inspect", str(form)])
    assert res.exit_code == 0, res.output
    rows = {line.split()[0]: line for line in res.output.splitlines() if line.startswith("  sections.")}
    assert len(rows) == 7
    places = {line.rsplit("表1", 1)[-1] for line in rows.values()}
    assert len(places) == 7  # seven different cells, not one shared place


def test_output_inside_input_is_refused(tmp_path):
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLE_BATCH, batch)
    res = CliRunner().invoke(main, ["run", str(batch), "--out", str(batch / "out")])
    assert res.exit_code == 2


def _without_pictures(src: Path, dest: Path) -> None:
    """`src` DOCX with every picture (the seal) taken out of its body."""
    from lxml import etree

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "word/document.xml":
                root = etree.fromstring(body)
                w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
                for pic in root.iter(f"{{{w}}}drawing", f"{{{w}}}pict"):
                    pic.getparent().remove(pic)
                body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(info, body)


@pytest.mark.parametrize("seal", [True, False])
def test_fail_on_warning_and_error(tmp_path, seal):
    """A submission that passes, and the same with its letter's seal taken out (a warning only)."""
    name = "上海臻图智造科技有限公司-白车身焊装产线数字孪生"
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLE_BATCH / name, batch / name)
    if not seal:
        letter = batch / name / "附件2-建设承诺书.docx"
        _without_pictures(SAMPLE_BATCH / name / "附件2-建设承诺书.docx", letter)
    codes = {}
    for level in ("warning", "error", "never"):
        res = CliRunner().invoke(main, ["run", str(batch), "--out", str(tmp_path / "o"), "--no-ocr", "-q", "--fail-on", level])
        codes[level] = res.exit_code
    [sub] = json.loads((tmp_path / "o" / "results.json").read_text("utf-8"))["submissions"]
    assert sub["status"] == ("pass" if seal else "warn"), [f["rule"] for f in sub["findings"]]
    assert codes == {"warning": 0 if seal else 1, "error": 0, "never": 0}


def _without_section_headings(src: Path, dest: Path) -> None:
    """`src` form DOCX with the seven section headings of 二、具体内容 replaced by bare numbers (（1）…（7）),
    so the checker cannot tell the sections apart."""
    from pipeline.config import load_rules
    from pipeline.labels import section_labels

    labels = list(section_labels(load_rules()).values())
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "word/document.xml":
                text = body.decode("utf-8")
                for i, label in enumerate(labels, 1):
                    assert text.count(label) == 1, label
                    text = text.replace(label, f"（{i}）")
                body = text.encode("utf-8")
            zout.writestr(info, body)


def test_fail_on_review(tmp_path):
    """A submission whose sections could not be located: status review (待人工核对), not an error;
    --fail-on review and warning exit 1, error and never 0; results.json counts it."""
    name = "上海臻图智造科技有限公司-白车身焊装产线数字孪生"
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLE_BATCH / name, batch / name)
    _without_section_headings(SAMPLE_BATCH / name / "附件1-需求征集表.docx", batch / name / "附件1-需求征集表.docx")
    codes, outputs = {}, {}
    for level in ("review", "warning", "error", "never"):
        res = CliRunner().invoke(main, ["run", str(batch), "--out", str(tmp_path / "o"), "--no-ocr", "--fail-on", level])
        codes[level], outputs[level] = res.exit_code, res.output
    data = _assert_outputs(tmp_path / "o")
    [sub] = data["submissions"]
    assert sub["status"] == "review", [(f["rule"], f["severity"]) for f in sub["findings"]]
    assert [f["rule"] for f in sub["findings"] if f["severity"] == "review"] == ["EXTRACTION_INCOMPLETE"]
    assert data["run"]["counts"] == {"pass": 0, "warn": 0, "review": 1, "fail": 0}
    assert codes == {"review": 1, "warning": 1, "error": 0, "never": 0}
    assert "（通过 0，有警告 0，待人工核对 1，不通过 0）" in outputs["never"]


def test_fail_on_help_lists_review():
    res = CliRunner().invoke(main, ["run", "--help"])
    assert res.exit_code == 0
    assert "error|review|warning|never" in res.output.replace("\n", "").replace(" ", "")
