"""OCR and the machine's resources (issue #18): multi-page scans read with the default limits and
`--workers 2`, every time; the memory cap counts what a worker holds, not the address space it
reserves; an OCR failure is EXTRACTION_INCOMPLETE with its traceback in OUT/logs/run.log, never in
a message; each worker's native thread pools get its share of the cores.

The scans are made here from the committed sample PDFs (pages rendered at 200–300 dpi, greyed,
noised, tilted, saved as image-only PDFs); no binary is committed."""

from __future__ import annotations

import json
import mmap
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageFilter

from pipeline.engine import ExtractTask, outcome_result
from pipeline.safety import Limits
from pipeline.workers import IsolatedPool, Outcome, cpu_count, note_stage, resident_mb

REPO = Path(__file__).resolve().parent.parent
BATCH = REPO / "samples" / "batch"
XINGHE = BATCH / "上海星河演艺文化合伙企业（有限合伙）-运河古镇虚拟演艺沉浸式夜游"
PUJIANG = BATCH / "上海浦江数字文博科技有限公司-老城厢沉浸式数字文化体验空间"
ZHIXING = BATCH / "上海知行在线教育科技有限公司-双师直播教学元宇宙互动课堂"
JIANGNAN = BATCH / "上海江南海工装备有限公司-船舶分段制造工厂元宇宙协同平台"
WANXIANG = BATCH / "上海万象云景数字科技有限公司-苏州河滨水空间数字孪生导览"
# Words of a message about the checker's own resources (time, memory, a crashed or failing engine).
RESOURCE_WORDS = ("内存", "超时", "时间限制", "异常退出", "文字识别失败", "OCR 引擎")


# ---------------------------------------------------------------------------------------------
# Making scans


def _render(src: Path, index: int, dpi: int) -> Image.Image:
    doc = pdfium.PdfDocument(str(src))
    try:
        return doc[index].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        doc.close()


def _split(img: Image.Image) -> list[Image.Image]:
    """A page as two pages of the same size, cut at the blank band nearest its middle (a letter that
    runs onto a second sheet)."""
    grey = np.asarray(img.convert("L"))
    h = grey.shape[0]
    blank = (grey < 160).sum(axis=1) == 0
    rows = [y for y in range(h // 3, 2 * h // 3) if blank[y]]
    cut = min(rows, key=lambda y: abs(y - h // 2)) if rows else h // 2
    top = Image.new("RGB", img.size, "white")
    top.paste(img.crop((0, 0, img.width, cut)), (0, 0))
    bottom = Image.new("RGB", img.size, "white")
    margin = int(0.1 * h)
    bottom.paste(img.crop((0, cut, img.width, h - margin)), (0, margin))
    return [top, bottom]


def _scanned(img: Image.Image, seed: int, grey: bool) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32) * 0.9 + 15
    arr += np.random.default_rng(seed).normal(0, 5.0, arr.shape[:2])[..., None]
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.3))
    rng = random.Random(seed)
    out = out.rotate(rng.uniform(0.3, 0.7) * rng.choice([-1, 1]), resample=Image.Resampling.BICUBIC,
                     fillcolor=(238, 238, 235))
    return out.convert("L") if grey else out


def make_scan(parts: list[tuple[Path, int, bool]], out: Path, dpi: int, seed: int, grey: bool = False) -> int:
    """An image-only PDF of the given (pdf, page index, split in two?) pages; returns its page count."""
    pages = []
    for src, index, split in parts:
        img = _render(src, index, dpi)
        pages.extend(_split(img) if split else [img])
    images = [_scanned(p, seed + i, grey) for i, p in enumerate(pages)]
    out.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(out, save_all=True, append_images=images[1:], resolution=dpi, quality=80)
    return len(images)


def _form(folder: Path) -> list[tuple[Path, int, bool]]:
    src = folder / "附件1-需求征集表.pdf"
    return [(src, k, False) for k in range(len(pdfium.PdfDocument(str(src))))]


@pytest.fixture(scope="session")
def scan_batch(tmp_path_factory):
    """Six multi-page scans (20 pages, 200–300 dpi, colour and grey) in five submissions:
    {submission: {file: (pages, kinds the file holds)}}."""
    root = tmp_path_factory.mktemp("scans") / "batch"
    made: dict[str, dict[str, tuple[int, set[str]]]] = {}

    def add(folder: Path, name: str, parts, dpi: int, seed: int, kinds: set[str], grey: bool = False) -> None:
        n = make_scan(parts, root / folder.name / name, dpi, seed, grey)
        made.setdefault(folder.name, {})[name] = (n, kinds)

    add(XINGHE, "附件1-需求征集表（扫描件）.pdf", _form(XINGHE), 300, 10, {"form"})
    add(XINGHE, "附件2-建设承诺书（扫描件）.pdf", [(XINGHE / "附件2-建设承诺书.pdf", 0, True)], 200, 20, {"letter"}, grey=True)
    add(PUJIANG, "附件1及附件2（扫描件）.pdf",
        [*_form(PUJIANG), (PUJIANG / "附件2-建设承诺书（盖章扫描件）.pdf", 0, True)], 250, 30, {"form", "letter"})
    add(ZHIXING, "附件1-需求征集表（扫描件）.pdf", _form(ZHIXING), 200, 40, {"form"}, grey=True)
    add(JIANGNAN, "附件2-建设承诺书（扫描件）.pdf", [(JIANGNAN / "附件2-建设承诺书.pdf", 0, True)], 300, 50, {"letter"})
    (root / JIANGNAN.name / "附件1-需求征集表.docx").write_bytes((JIANGNAN / "附件1-需求征集表.docx").read_bytes())
    add(WANXIANG, "附件2-建设承诺书（扫描件）.pdf", [(WANXIANG / "附件2-建设承诺书（扫描件）.pdf", 0, True)], 200, 60, {"letter"})
    scans = [n for files in made.values() for n, _ in files.values()]
    assert len(scans) >= 6 and min(scans) >= 2 and max(scans) >= 6
    return root, made


def run_cli(batch: Path, out: Path, *args: str, env: dict | None = None,
            timeout: float = 1500) -> subprocess.CompletedProcess:
    """`pipeline run` as a user runs it: its own process, the default limits unless `args` say otherwise."""
    code = "import sys; from pipeline.cli import main; sys.argv[0] = 'pipeline'; main()"
    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), full_env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, "-c", code, "run", str(batch), "--out", str(out), "-q", *args],
                          capture_output=True, text=True, env=full_env, timeout=timeout)


def findings(data: dict, sid: str | None = None) -> list[dict]:
    return [f for s in data["submissions"] if sid in (None, s["submission_id"]) for f in s["findings"]]


# ---------------------------------------------------------------------------------------------
# The batch (issue #18's "done when")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_multi_page_scans_read_with_default_limits_and_two_workers(scan_batch, tmp_path):
    batch, made = scan_batch
    out = tmp_path / "out"
    proc = run_cli(batch, out, "--workers", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = out / "logs" / "run.log"
    assert not log.exists(), log.read_text("utf-8")[-5000:]  # nothing failed, so nothing was logged
    data = json.loads((out / "results.json").read_text("utf-8"))
    assert data["run"]["workers"] == 2
    assert 0 < data["run"]["peak_worker_rss_mb"] < Limits().memory_mb
    subs = {s["submission_id"]: s for s in data["submissions"]}
    assert set(made) <= set(subs)
    for sid, files in made.items():
        sub = subs[sid]
        read = {f["path"]: f for f in sub["files"]}
        for name, (pages, kinds) in files.items():
            f = read[name]
            assert f["ocr"] and f["pages"] == pages, (sid, name, f)
            assert {"both": {"form", "letter"}}.get(f["kind"], {f["kind"]}) == kinds, (sid, name, f)
        held = set().union(*(k for _, k in files.values()), *({"form"} for p in read if p.endswith(".docx")))
        rules = {f["rule"] for f in sub["findings"]}
        assert ("FORM_MISSING" in rules) == ("form" not in held), (sid, rules)
        assert ("LETTER_MISSING" in rules) == ("letter" not in held), (sid, rules)
    for f in findings(data):
        assert f["rule"] not in ("FILE_UNREADABLE", "OCR_UNAVAILABLE"), f
        if f["rule"] == "EXTRACTION_INCOMPLETE":  # a tick OCR cannot judge may stay; a file or page unread may not
            assert not any(w in f["message"] for w in RESOURCE_WORDS), f
            assert not set(f["details"].get("fields", [])) <= {"form", "letter"}, f


# ---------------------------------------------------------------------------------------------
# OCR failures: a review finding, the traceback in the log


@pytest.fixture(scope="module")
def letter_scan(tmp_path_factory):
    """One submission holding a two-page scanned letter (150 dpi: quick to OCR)."""
    batch = tmp_path_factory.mktemp("letter") / "batch"
    make_scan([(XINGHE / "附件2-建设承诺书.pdf", 0, True)], batch / XINGHE.name / "附件2-建设承诺书（扫描件）.pdf", 150, 7)
    return batch


def _assert_no_traceback_in_outputs(out: Path) -> None:
    for name in ("results.json", "index.html"):
        text = (out / name).read_text("utf-8")
        assert "Traceback" not in text and "ONNXRuntimeError" not in text and 'File "' not in text, name


def test_ocr_engine_error_is_a_review_item_with_the_traceback_in_the_log(letter_scan, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(letter_scan, out, "--workers", "1", env={"PIPELINE_OCR_FAULT": "error"}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "results.json").read_text("utf-8"))
    got = findings(data)
    rules = [f["rule"] for f in got]
    assert "EXTRACTION_INCOMPLETE" in rules
    assert not {"FILE_UNREADABLE", "FORM_MISSING", "LETTER_MISSING", "OCR_UNAVAILABLE"} & set(rules), rules
    [gap] = [f for f in got if f["rule"] == "EXTRACTION_INCOMPLETE"]
    assert gap["severity"] == "review"
    assert "第 1、2 页（扫描页）文字识别失败（OCR 引擎出错），请人工核对" in gap["message"]
    _assert_no_traceback_in_outputs(out)
    log = (out / "logs" / "run.log").read_text("utf-8")
    assert "附件2-建设承诺书（扫描件）.pdf" in log and "OCR of page 1 failed" in log
    assert "Traceback (most recent call last)" in log and "OcrError" in log and "std::bad_alloc" in log


def test_ocr_engine_crash_is_a_review_item_with_its_stack_in_the_log(letter_scan, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(letter_scan, out, "--workers", "1", env={"PIPELINE_OCR_FAULT": "crash"}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "results.json").read_text("utf-8"))
    got = findings(data)
    rules = [f["rule"] for f in got]
    assert not {"FILE_UNREADABLE", "FORM_MISSING", "LETTER_MISSING"} & set(rules), rules
    [gap] = [f for f in got if f["rule"] == "EXTRACTION_INCOMPLETE"]
    assert gap["severity"] == "review" and "扫描页文字识别失败（OCR 引擎异常退出，SIGABRT）" in gap["message"]
    _assert_no_traceback_in_outputs(out)
    log = (out / "logs" / "run.log").read_text("utf-8")
    assert "worker crash (SIGABRT) during ocr" in log
    assert "Fatal Python error: Aborted" in log and "recognise" in log  # faulthandler's stack of the worker


@pytest.mark.parametrize(("failure", "detail", "expected"), [
    ("timeout", "", "扫描页文字识别超出时间限制（120 秒）"),
    ("memory", "", "扫描页文字识别时内存超限（超过 2048 MB）"),
    ("crash", "SIGSEGV", "扫描页文字识别失败（OCR 引擎异常退出，SIGSEGV）"),
])
def test_a_worker_lost_during_ocr_is_extraction_incomplete(failure, detail, expected):
    task = ExtractTask("附件1.pdf", ".pdf", "ab" * 32, 10, "/nonexistent")
    res = outcome_result(task, Outcome(None, failure, detail, 1.0, stage="ocr"), Limits())
    [problem] = res.problems
    assert problem.rule == "EXTRACTION_INCOMPLETE" and expected in problem.reason
    assert "Traceback" not in problem.reason


# ---------------------------------------------------------------------------------------------
# The pool: resident-memory cap, per-step clock, thread share


def make_handler(payload):
    def handle(arg):
        kind = arg[0]
        if kind == "env":
            return {k: os.environ.get(k) for k in ("PIPELINE_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
        if kind == "reserve":  # address space mapped but never touched: what onnxruntime's reservations are
            mapping = mmap.mmap(-1, arg[1] * 2**20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            time.sleep(0.5)  # the watcher samples it meanwhile
            mapping.close()
            return "ok"
        if kind == "hold":  # memory really used, held until the watcher sees it
            block = bytearray(arg[1] * 2**20)
            time.sleep(5)
            return len(block)
        if kind == "steps":  # steps each within the limit, together well past it
            for _ in range(arg[1]):
                note_stage("ocr", restart_clock=True)
                time.sleep(arg[2])
            return "done"
        if kind == "hang":
            note_stage("ocr")
            time.sleep(3600)
        raise AssertionError(kind)

    return handle


def _pool(workers: int = 1, timeout: float = 3.0, memory_mb: int = 512) -> IsolatedPool:
    return IsolatedPool(f"{__name__}:make_handler", None, workers, timeout, memory_mb)


def test_memory_cap_counts_what_a_worker_holds_not_what_it_reserves():
    items = [("reserve", ("reserve", 4096)), ("hold", ("hold", 1024))]
    with _pool() as pool:
        got = dict(pool.map_unordered(items))
    assert got["reserve"].failure is None and got["reserve"].value == "ok"  # 8× the cap in address space
    assert got["hold"].failure == "memory" and "常驻内存" in got["hold"].detail
    assert got["hold"].seconds < 4  # stopped by the watcher, not by the end of the task


def test_a_step_that_restarts_the_clock_is_limited_per_step():
    with _pool(timeout=2.0) as pool:
        got = dict(pool.map_unordered([("steps", ("steps", 4, 1.2)), ("hang", ("hang",))]))
    assert got["steps"].failure is None and got["steps"].value == "done"  # 4.8 s in steps of 1.2 s
    assert got["hang"].failure == "timeout" and got["hang"].stage == "ocr"


def test_each_worker_gets_its_share_of_the_cores(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "64")  # the caller's setting does not leak into the workers
    share = str(max(1, cpu_count() // 2))
    with _pool(workers=2) as pool:
        got = dict(pool.map_unordered([(i, ("env",)) for i in range(2)]))
    for outcome in got.values():
        assert outcome.value == {"PIPELINE_THREADS": share, "OMP_NUM_THREADS": share, "OPENBLAS_NUM_THREADS": share}


def test_resident_mb_reads_this_process():
    mb = resident_mb(os.getpid())
    assert mb is not None and 5 < mb < 4096
    assert resident_mb(2**22 + 12345) is None  # no such process


def test_ocr_sessions_use_the_thread_share_without_arena(monkeypatch):
    from pipeline.extract import ocr

    monkeypatch.setenv("PIPELINE_THREADS", "1")
    monkeypatch.setattr(ocr, "_engine", None)
    engine = ocr.get_engine()
    sessions = [engine.text_det.infer.session, engine.text_cls.infer.session, engine.text_rec.session.session]
    for session in sessions:
        so = session.get_session_options()
        assert so.intra_op_num_threads == 1 and so.inter_op_num_threads == 1 and not so.enable_cpu_mem_arena
        assert so.get_session_config_entry("session.intra_op.allow_spinning") == "0"
