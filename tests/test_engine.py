"""The batch engine: isolated workers (timeouts, crashes, memory), worker-count independence, the
incremental cache, atomic outputs, progress, and the Dask path on a loopback LocalCluster."""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from pipeline.cache import HashMemo, ResultCache, cache_context
from pipeline.cli import _progress_printer, main
from pipeline.config import load_rules
from pipeline.engine import (
    ExtractTask,
    RunOptions,
    check_batch,
    extract_isolated,
    outcome_result,
    publish_outputs,
    run_batch,
)
from pipeline.extract import ExtractOptions
from pipeline.model import FileResult, SourceFile
from pipeline.report import submission_json
from pipeline.safety import Limits
from pipeline.workers import IsolatedPool, Outcome

REPO = Path(__file__).resolve().parent.parent
SAMPLE_BATCH = REPO / "samples" / "batch"
HOSTILE = REPO / "tests" / "hostile"
# Text-layer DOCX/PDF submissions of every container kind (folder, zip, loose), one with broken files;
# no scans or .doc, so runs stay quick.
SUBSET = [
    "上海臻图智造科技有限公司-白车身焊装产线数字孪生",
    "上海星河演艺文化合伙企业（有限合伙）-运河古镇虚拟演艺沉浸式夜游",
    "上海申矽智能装备有限公司-半导体设备总装工厂级元宇宙平台.zip",
    "上海卫数信息技术有限公司-传染病监测预警元宇宙可视化平台",
    "附件1-需求征集表（上海市元宇宙文化创意促进会）.docx",
    "附件2-建设承诺书（上海市元宇宙文化创意促进会）.docx",
]


def copy_subset(dest: Path, names: list[str] = SUBSET, source: Path = SAMPLE_BATCH) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            shutil.copy2(src, dest / name)
    return dest


def slow_pdf(path: Path) -> Path:
    sys.path.insert(0, str(HOSTILE))
    try:
        from make_hostile import slow_content_pdf
    finally:
        sys.path.remove(str(HOSTILE))
    path.write_bytes(slow_content_pdf())
    return path


def comparable(result) -> list[dict]:
    """What a run decided, without timings: the submissions as results.json has them."""
    return [submission_json(s) for s in result.submissions]


@pytest.fixture(scope="module")
def subset(tmp_path_factory) -> Path:
    return copy_subset(tmp_path_factory.mktemp("subset") / "batch")


@pytest.fixture(scope="module")
def cold_run(subset, tmp_path_factory):
    """Two workers, cache on: the reference run the other tests compare against (its results and
    cache folder; `cold_prepared` holds what it made for the outputs)."""
    rules = load_rules()
    cache = tmp_path_factory.mktemp("cache")
    checked = check_batch(subset, rules, RunOptions(workers=2, ocr=False, cache_dir=cache))
    _PREPARED["cold_run"] = checked.prepared
    return checked.result, cache


_PREPARED: dict = {}


# ---------------------------------------------------------------------------------------------
# The worker pool on its own, with task functions defined here (real processes, real signals).


def make_test_handler(payload):
    """Worker factory for the pool tests; counts its own calls to prove workers initialise once."""
    calls = {"init": 1, "tasks": 0}

    def handle(arg):
        calls["tasks"] += 1
        kind = arg[0]
        if kind == "ok":
            return {"payload": payload, "pid": os.getpid(), "tasks": calls["tasks"], "init": calls["init"]}
        if kind == "busy":
            while True:
                pass
        if kind == "sleep":
            time.sleep(3600)
        if kind == "exit":
            os._exit(3)
        if kind == "segv":
            ctypes.string_at(0)
        if kind == "alloc":
            return len(bytearray(arg[1] * 2**20))
        if kind == "raise":
            raise ValueError("boom")
        if kind == "big":
            return "字" * arg[1]
        if kind == "spawn":
            child = subprocess.Popen(["sleep", "3600"])
            Path(arg[1]).write_text(str(child.pid))
            time.sleep(3600)
        raise AssertionError(kind)

    return handle


def _pool(workers: int = 2, timeout: float = 3.0, memory_mb: int = 1024) -> IsolatedPool:
    return IsolatedPool(f"{__name__}:make_test_handler", "P", workers, timeout, memory_mb)


def test_pool_isolates_hangs_crashes_and_memory(tmp_path):
    items = {
        "ok1": ("ok",), "busy": ("busy",), "sleep": ("sleep",), "exit": ("exit",), "segv": ("segv",),
        "alloc": ("alloc", 4096), "raise": ("raise",), "ok2": ("ok",), "ok3": ("ok",),
    }
    started = time.monotonic()
    with _pool() as pool:
        got = dict(pool.map_unordered(items.items()))
    elapsed = time.monotonic() - started
    assert set(got) == set(items)
    assert got["busy"].failure == "timeout" and got["sleep"].failure == "timeout"
    assert got["exit"].failure == "crash" and got["exit"].detail == "退出码 3"
    assert got["segv"].failure == "crash" and got["segv"].detail == "SIGSEGV"
    assert got["alloc"].failure == "memory"
    assert got["raise"].failure == "error" and "ValueError: boom" in got["raise"].detail
    for k in ("ok1", "ok2", "ok3"):
        assert got[k].failure is None and got[k].value["payload"] == "P" and got[k].value["init"] == 1
    assert elapsed < 3.0 * 2 + 15  # two timeouts, run side by side with the rest


def test_pool_reuses_workers_and_returns_large_results():
    with _pool(workers=1) as pool:
        got = dict(pool.map_unordered([(i, ("ok",)) for i in range(5)] + [("big", ("big", 3_000_000))]))
        assert pool.started_workers == 1
    assert len({o.value["pid"] for k, o in got.items() if k != "big"}) == 1
    assert [got[i].value["tasks"] for i in range(5)] == [1, 2, 3, 4, 5]
    assert got["big"].failure is None and len(got["big"].value) == 3_000_000  # many pipe reads per reply


@pytest.mark.parametrize("bad", [("sleep",), ("exit",), ("alloc", 4096)])
def test_tasks_queued_behind_a_failing_one_are_run_elsewhere(bad):
    """A worker holds the next task while it runs one; when it is killed or dies, that queued task
    goes to a fresh worker and is neither lost nor blamed."""
    items = [("a", ("ok",)), ("bad", bad), ("b", ("ok",)), ("c", ("ok",))]
    with _pool(workers=1, timeout=2.0) as pool:
        got = dict(pool.map_unordered(items))
        assert pool.depth == 2 and pool.started_workers == 2
    assert set(got) == {"a", "bad", "b", "c"}
    assert got["bad"].failure in ("timeout", "crash", "memory")
    for k in "abc":
        assert got[k].failure is None, (k, got[k])
    assert got["a"].value["pid"] != got["b"].value["pid"] == got["c"].value["pid"]
    assert got["b"].seconds < 2.0 and got["c"].value["tasks"] == 2


def test_timeout_kills_what_the_worker_started(tmp_path):
    pid_file = tmp_path / "child.pid"
    with _pool(workers=1, timeout=2.0) as pool:
        [(_, outcome)] = list(pool.map_unordered([(0, ("spawn", str(pid_file)))]))
    assert outcome.failure == "timeout"
    pid = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("a process started by a timed-out worker survived it")


def test_worker_dies_with_its_parent(tmp_path):
    """A parent killed with SIGKILL leaves no worker behind (Linux: PR_SET_PDEATHSIG)."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys\n"
        f"sys.path[:0] = {[str(REPO), str(Path(__file__).parent)]!r}\n"
        "from pipeline.workers import IsolatedPool\n"
        f"pool = IsolatedPool('{__name__}:make_test_handler', 'P', 1, 60.0, 1024)\n"
        "for key, o in pool.map_unordered([(0, ('ok',)), (1, ('sleep',))]):\n"
        "    print(o.value['pid'], flush=True)\n",
        "utf-8",
    )
    env = dict(os.environ, TMPDIR=str(tmp_path))  # what the killed parent cannot clean up stays in tmp_path
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    worker_pid = int(proc.stdout.readline())
    time.sleep(0.5)  # the worker is now sleeping in task 1
    proc.kill()
    proc.wait()
    for _ in range(50):
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("the worker outlived its killed parent")


@pytest.mark.parametrize(("failure", "detail", "expected"), [
    ("timeout", "", "处理超时（超过 120 秒）"),
    ("memory", "", "内存超限（超过 2048 MB）"),
    ("crash", "SIGSEGV", "解析进程异常退出（SIGSEGV）"),
    ("error", "KeyError: 'x'", "内部错误"),
])
def test_outcome_becomes_file_unreadable(failure, detail, expected):
    task = ExtractTask("附件1.docx", ".docx", "ab" * 32, 10, "/nonexistent")
    res = outcome_result(task, Outcome(None, failure, detail, 1.0), Limits())
    [problem] = res.problems
    assert problem.rule == "FILE_UNREADABLE" and expected in problem.reason
    assert res.source.path == "附件1.docx" and res.source.sha256 == "ab" * 32


# ---------------------------------------------------------------------------------------------
# Runs over real sample files.


def test_results_do_not_depend_on_worker_count(subset, cold_run):
    reference, _ = cold_run
    one = run_batch(subset, load_rules(), RunOptions(workers=1, ocr=False))
    assert one.run["files_extracted"] == reference.run["files_extracted"] == reference.run["files"] > 5
    assert comparable(one) == comparable(reference)
    statuses = {s.status for s in reference.submissions}
    assert len(reference.submissions) == 5 and statuses  # the subset really was read
    assert any(d for s in reference.submissions for d in s.documents)


def test_warm_rerun_reads_nothing_and_changes_nothing(subset, cold_run):
    reference, cache = cold_run
    warm = run_batch(subset, load_rules(), RunOptions(workers=2, ocr=False, cache_dir=cache))
    assert warm.run["cache"]["hits"] == reference.run["files"]
    assert warm.run["files_extracted"] == 0
    assert comparable(warm) == comparable(reference)


def test_only_changed_files_are_re_extracted(tmp_path, subset, cold_run):
    reference, cache = cold_run
    batch = copy_subset(tmp_path / "batch", source=subset)
    target = batch / SUBSET[0] / "附件1-需求征集表.docx"
    doc = Document(str(target))
    doc.core_properties.comments = "再次保存"
    doc.save(str(target))
    run = run_batch(batch, load_rules(), RunOptions(workers=2, ocr=False, cache_dir=cache))
    assert run.run["files_extracted"] == 1
    assert run.run["cache"]["hits"] == reference.run["files"] - 1
    def content(r):  # same content, new bytes: everything but the changed file's hash and size agrees
        subs = comparable(r)
        for sub in subs:
            for f in sub["files"]:
                f.pop("sha256"), f.pop("size")
        return subs

    assert content(run) == content(reference)
    assert comparable(run) != comparable(reference)


def test_unchanged_files_are_neither_read_nor_unpacked_again(tmp_path, subset, monkeypatch):
    """A re-run takes each unchanged file's hash from the memo (no read, no unpacking of zip members);
    a file rewritten with its size and mtime put back still counts as changed (its ctime moved)."""
    from pipeline.discover import Discoverer

    monkeypatch.setattr(HashMemo, "RACY_SECONDS", 0)  # the copies were just made; see test_hash_memo_*
    unpacked = []
    materialize = Discoverer.materialize
    monkeypatch.setattr(Discoverer, "materialize", staticmethod(lambda f: (unpacked.append(f.rel_path) if f.pending
                                                                          else None, materialize(f))))
    batch = copy_subset(tmp_path / "batch", source=subset)
    options = RunOptions(workers=2, ocr=False, cache_dir=tmp_path / "cache")
    cold = run_batch(batch, load_rules(), options)
    assert cold.run["cache"]["hashes_reused"] == 0 and unpacked
    unpacked.clear()
    warm = run_batch(batch, load_rules(), options)
    assert warm.run["cache"]["hashes_reused"] == warm.run["files"] == cold.run["files"]
    assert warm.run["files_extracted"] == 0 and unpacked == []
    assert comparable(warm) == comparable(cold)

    def binary_comment(data: bytes) -> int:  # the "%âãÏÓ" line after the header: any byte ≥ 0x80 will do
        pos = data.find(b"\n%", 0, 16) + 2
        return pos if data.startswith(b"%PDF") and pos > 1 and data[pos] >= 0x80 else -1

    pdf = next(p for p in sorted(batch.rglob("*.pdf")) if binary_comment(p.read_bytes()) > 0)
    data = pdf.read_bytes()
    pos = binary_comment(data)
    st = pdf.stat()
    pdf.write_bytes(data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:])  # same size, other bytes
    os.utime(pdf, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (pdf.stat().st_size, pdf.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    changed = run_batch(batch, load_rules(), options)
    assert changed.run["files_extracted"] == 1
    assert changed.run["cache"]["hashes_reused"] == cold.run["files"] - 1
    sha = {f["path"]: f["sha256"] for s in comparable(changed) for f in s["files"]}
    assert sha[pdf.name] == hashlib.sha256(pdf.read_bytes()).hexdigest()


def test_files_hashed_by_their_workers_when_nothing_is_cached(tmp_path, subset):
    """Without a cache the workers hash what they read (also a file they refuse, or that times out):
    every file's sha256 is that of its bytes, zip members included."""
    batch = copy_subset(tmp_path / "batch", source=subset)
    (batch / "坏文件").mkdir()
    (batch / "坏文件" / "附件1.docx").write_bytes(b"PK\x03\x04" + b"\0" * 200)  # refused as a damaged package
    slow_pdf(batch / "坏文件" / "附件2.pdf")
    run = run_batch(batch, load_rules(), RunOptions(workers=2, ocr=False, limits=Limits(file_timeout_s=2)))
    from pipeline.discover import Discoverer

    listed = Discoverer(load_rules(), tmp_path / "unpacked").discover(batch)  # eager: every member unpacked
    expected = [(f.rel_path, hashlib.sha256(f.real_path.read_bytes()).hexdigest())
                for sub in listed for f in sub.files if f.real_path is not None and not f.ignored]
    files = [(f["path"], f["sha256"]) for s in comparable(run) for f in s["files"]]
    assert len(files) == run.run["files"] > 8
    assert Counter(files) == Counter(expected)
    problems = {p["rule"] for s in comparable(run) if s["submission_id"] == "坏文件" for p in s["findings"]}
    assert "FILE_UNREADABLE" in problems


def test_hash_memo_leaves_out_racily_clean_files(tmp_path):
    """A file written within RACY_SECONDS of the memo's save could be rewritten unseen: not kept."""
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.4")
    from pipeline.discover import stat_identity

    ident = stat_identity(path.stat())
    changed_ns = max(ident[3], ident[4])
    for age, kept in ((0.5, False), (HashMemo.RACY_SECONDS + 1, True)):
        memo = HashMemo(tmp_path / f"memo-{age}")
        memo.put(ident, "d" * 64)
        memo.save(now_ns=changed_ns + int(age * 1e9))
        assert (HashMemo(tmp_path / f"memo-{age}").get(ident) == "d" * 64) is kept


def test_pipelined_validation_equals_validating_the_assembled_batch(subset, cold_run, tmp_path):
    """Submissions validated as their files arrive (and loose groups at the end) give what the plain
    path gives: every file read in-process, assembled, then validate_batch over the whole batch."""
    from pipeline.assemble import assemble
    from pipeline.discover import Discoverer
    from pipeline.extract import extract_file
    from pipeline.validate import validate_batch

    reference, _ = cold_run
    rules = load_rules()
    inputs = Discoverer(rules, tmp_path / "unpacked").discover(subset)
    results = {(si, fi): extract_file(f.real_path, f.rel_path, rules, ExtractOptions(ocr=False))
               for si, sin in enumerate(inputs) for fi, f in enumerate(sin.files)
               if f.problem is None and f.real_path is not None}
    subs = assemble(inputs, results, rules)
    validate_batch(subs, rules)
    plain = [submission_json(s) for s in subs]
    assert reference.run["validation"]["submissions_validated"] == len(plain) == 5
    assert comparable(reference) == plain
    assert any(s.origin == "loose" for s in reference.submissions)


def test_warm_rerun_revalidates_only_changed_submissions(tmp_path, subset):
    """Per-submission validation is reused by content; batch rules still run on every warm run."""
    batch = copy_subset(tmp_path / "batch", SUBSET[:2], subset)
    shutil.copytree(batch / SUBSET[0], batch / f"{SUBSET[0]}（再次提交）")  # a duplicate submission
    cache = tmp_path / "cache"
    rules = load_rules()
    cold = run_batch(batch, rules, RunOptions(workers=2, ocr=False, cache_dir=cache))
    assert cold.run["validation"] == {**cold.run["validation"], "submissions_validated": 3, "submissions_reused": 0}
    dup = lambda r: sorted(s.submission_id for s in r.submissions if any(f.rule == "DUPLICATE_SUBMISSION" for f in s.findings))  # noqa: E731
    assert dup(cold) == sorted([SUBSET[0], f"{SUBSET[0]}（再次提交）"])

    warm = run_batch(batch, rules, RunOptions(workers=1, ocr=False, cache_dir=cache))
    assert warm.run["validation"]["submissions_validated"] == 0
    assert warm.run["validation"]["submissions_reused"] == 3
    assert warm.expectations["reused"] is True and not cold.expectations["reused"]
    assert dup(warm) == dup(cold)
    fresh = run_batch(batch, rules, RunOptions(workers=1, ocr=False))
    assert comparable(warm) == comparable(cold) == comparable(fresh)
    def outcome(r):  # GX's verdicts, without its run ids and times
        return r.expectations["statistics"], [
            [(x["expectation_config"]["type"], x["success"], x["result"].get("unexpected_index_list"))
             for x in v["result"]["results"]] for v in r.expectations["validations"]]

    assert outcome(warm) == outcome(fresh) and outcome(fresh)[0]["unsuccessful_expectations"] > 0

    target = batch / SUBSET[0] / "附件1-需求征集表.docx"  # same content, new bytes: still a duplicate
    doc = Document(str(target))
    doc.core_properties.comments = "再次保存"
    doc.save(str(target))
    changed = run_batch(batch, rules, RunOptions(workers=2, ocr=False, cache_dir=cache))
    assert changed.run["files_extracted"] == 1
    assert changed.run["validation"]["submissions_validated"] == 1
    assert changed.run["validation"]["submissions_reused"] == 2
    assert dup(changed) == dup(cold)


def test_warm_run_reports_equal_a_full_render(tmp_path, subset, monkeypatch):
    """Pages taken from the cache are byte for byte what rendering them gives; a page edited in OUT
    is replaced by the page its results make."""
    import pipeline.report.pages as pages

    batch = copy_subset(tmp_path / "batch", SUBSET[:3] + SUBSET[4:6], subset)
    out, full = tmp_path / "out", tmp_path / "full"
    rendered: list[str] = []
    original = pages.render_report
    monkeypatch.setattr(pages, "render_report", lambda sub, *a: rendered.append(sub["submission_id"]) or original(sub, *a))
    counts = []
    for args in (["--out", str(out)], ["--out", str(out)], ["--out", str(full), "--no-cache"]):
        rendered.clear()
        res = CliRunner().invoke(main, ["run", str(batch), "--no-ocr", "-q", *args])
        assert res.exit_code == 0, res.output
        counts.append(len(set(rendered)))
        # Pages are made while files are read; one changed by a batch-level finding is made again.
        assert len(rendered) <= 2 * len(set(rendered))
    assert counts == [4, 0, 4]  # cold, warm (every page from the cache), --no-cache
    pages_made = sorted(p.name for p in (full / "reports").glob("*.html"))
    assert len(pages_made) == 4 and pages_made == sorted(p.name for p in (out / "reports").glob("*.html"))
    for name in pages_made:
        assert (out / "reports" / name).read_bytes() == (full / "reports" / name).read_bytes(), name
    runless = lambda p: {**json.loads(p.read_text("utf-8")), "run": None}  # noqa: E731
    assert runless(out / "results.json") == runless(full / "results.json")

    page = out / "reports" / pages_made[0]
    page.write_bytes(page.read_bytes().replace(b"</html>", b"<!-- edited --></html>"))
    rendered.clear()
    assert CliRunner().invoke(main, ["run", str(batch), "--no-ocr", "-q", "--out", str(out)]).exit_code == 0
    assert rendered == []  # the cache holds the page its results make
    assert page.read_bytes() == (full / "reports" / pages_made[0]).read_bytes()


def test_pages_made_ahead_equal_pages_made_at_the_end(tmp_path, cold_run):
    """Pages rendered while files were read are used only when they equal what the final results
    render to; one that a later (batch-level) finding changed is made again."""
    import copy

    from pipeline.model import Finding
    from pipeline.report import Prepared, write_outputs
    from pipeline.report.html import render_report, report_files

    result, _cache = cold_run
    prepared = _PREPARED["cold_run"]
    rules = load_rules()
    early = [i for i, s in enumerate(result.submissions) if s.origin != "loose"]  # loose files are grouped at the end
    assert len(prepared.pages) == len(early) > 0  # every other page was made while files were read
    later = copy.deepcopy(result)
    changed = later.submissions[early[0]]
    changed.findings.append(Finding("DUPLICATE_SUBMISSION", "warning", None, "批次级检查后加上的问题"))
    changed.compute_status()
    # The records were made from the submissions as they were; these were changed since.
    write_outputs(later, tmp_path, rules, Prepared(pages=prepared.pages))
    subs = [submission_json(s) for s in later.submissions]
    names = report_files(subs)
    for sub in subs:
        page = (tmp_path / "reports" / names[sub["submission_id"]]).read_bytes()
        assert page == render_report(sub, rules, later.run).encode("utf-8"), sub["submission_id"]
    assert "批次级检查后加上的问题".encode() in (tmp_path / "reports" / names[changed.submission_id]).read_bytes()
    from pipeline.report import results_json
    from pipeline.report.pages import plan_pages

    plans = {p.sid: p for p in plan_pages(results_json(later), rules, None, prepared.pages)}
    used = [sid for sid, p in plans.items() if p.page is not None]
    assert 0 < len(used) < len(early)  # pages made ahead were used, stale ones (batch findings) were not
    assert plans[changed.submission_id].page is None


@pytest.mark.parametrize("mode", ["started with the tasks", "prestarted", "broken"])
def test_other_processes_make_pages_like_the_parent(tmp_path, cold_run, monkeypatch, mode):
    """Output processes take a share of the pages and notices (from results.json lines); the outputs
    are the same as making everything in the parent (the same bytes; notices the same text), and
    what they fail to make (here: every task) the parent makes."""
    import copy

    import pipeline.report as report
    from pipeline.engine import OutputProcesses

    result, _cache = cold_run
    rules = load_rules()
    monkeypatch.setattr(report, "OFFLOAD_MIN_PAGES", 1)
    monkeypatch.setattr(report, "PAGES_PER_TASK", 1)
    monkeypatch.setattr(report, "STARTUP_PAGES", 0)  # so that some pages go elsewhere, however few
    monkeypatch.setattr(report, "XLSX_PAGES_PER_ROW", 0)
    here, there = tmp_path / "here", tmp_path / "there"
    report.write_outputs(copy.deepcopy(result), here, rules, notices=True)
    offload = OutputProcesses(None if mode == "broken" else rules, tmp_path, 2)  # rules None: every task fails
    if mode == "prestarted":
        offload.prestart(2)
        assert offload.ready and offload.pool is not None and len(offload.pool._live) == 2
    import pipeline.report.notices as notices_module
    import pipeline.report.pages as pages

    rendered: list[str] = []
    original = pages.render_report
    monkeypatch.setattr(pages, "render_report", lambda sub, *a: rendered.append(sub["submission_id"]) or original(sub, *a))
    noticed: list[str] = []
    original_notice = notices_module.render_notice
    monkeypatch.setattr(notices_module, "render_notice",
                        lambda sub, *a: noticed.append(sub["submission_id"]) or original_notice(sub, *a))
    with offload:
        report.write_outputs(copy.deepcopy(result), there, rules, staged=True, offload=offload, notices=True)
    assert offload.pool is None  # closed once its tasks are done
    pages = len(result.submissions)
    need = len(list((here / "notices").iterdir()))
    assert need > 0
    # Here: the parent's part only, or everything when the other processes failed.
    if mode == "broken":
        assert len(rendered) == pages and len(noticed) == need
    else:
        assert 0 < pages - len(rendered) < pages and len(noticed) < need
    files = sorted(p.relative_to(here) for p in here.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(there) for p in there.rglob("*") if p.is_file())
    for rel in files:
        if rel.suffix == ".docx":  # python-docx stamps the zip entries with the time of writing
            assert docx_text(here / rel) == docx_text(there / rel), rel
        elif rel.name != "consolidated.xlsx":
            assert (here / rel).read_bytes() == (there / rel).read_bytes(), rel
    assert load_workbook_values(here / "consolidated.xlsx") == load_workbook_values(there / "consolidated.xlsx")
    assert not list(tmp_path.glob(".run-*"))  # the processes' folder is gone


def docx_text(path: Path) -> list[str]:
    import docx

    doc = docx.Document(str(path))
    return [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells]


def load_workbook_values(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}


def test_cache_is_keyed_by_rules_and_ocr(tmp_path, subset, cold_run):
    _, cache = cold_run
    edited = tmp_path / "rules.toml"
    edited.write_text((REPO / "pipeline" / "rules" / "default.toml").read_text("utf-8") + "\n# edited\n", "utf-8")
    other_rules = run_batch(subset, load_rules(edited), RunOptions(workers=2, ocr=False, cache_dir=cache))
    assert other_rules.run["cache"]["hits"] == 0
    ctx_ocr = cache_context(load_rules().sha256, True, Limits())
    ctx_no = cache_context(load_rules().sha256, False, Limits())
    assert ResultCache(cache, ctx_ocr).dir != ResultCache(cache, ctx_no).dir


def _installed(name: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False


def test_cache_is_keyed_by_the_installed_library_versions(tmp_path, subset, cold_run, monkeypatch):
    """Upgrading a parser (or any library the results depend on) starts a fresh cache context; the
    versions are read from the dist-info folders, as importlib.metadata reports them."""
    from importlib import metadata

    import pipeline.cache as cache_mod

    versions = cache_mod.library_versions()
    installed = {name for name in cache_mod.RESULT_LIBRARIES if _installed(name)}
    assert set(versions) == installed and {"pdfplumber", "python-docx", "jieba"} <= installed
    assert all(metadata.version(name) == version for name, version in versions.items())
    _, cache = cold_run
    same = run_batch(subset, load_rules(), RunOptions(workers=2, ocr=False, cache_dir=cache))
    assert same.run["files_extracted"] == 0
    monkeypatch.setattr(cache_mod, "library_versions", lambda: {**versions, "pdfplumber": "99.0"})
    upgraded = run_batch(subset, load_rules(), RunOptions(workers=2, ocr=False, cache_dir=cache))
    assert upgraded.run["cache"]["hits"] == 0 and upgraded.run["files_extracted"] == same.run["files"]


def test_cache_entries_are_validated(tmp_path):
    ctx = cache_context("r" * 64, False, Limits())
    cache = ResultCache(tmp_path, ctx)
    res = FileResult(SourceFile("a.docx", "docx", sha256="s" * 64))
    cache.put("s" * 64, "a.docx", res)
    assert cache.get("s" * 64, "a.docx") == res
    assert cache.get("s" * 64, "b.docx") is None  # provenance names the file: another name is another entry
    entry = cache._path(cache._key("s" * 64, "a.docx"))
    data = pickle.loads(entry.read_bytes())
    data["context"] = {**data["context"], "code": "other"}
    entry.write_bytes(pickle.dumps(data))
    assert cache.get("s" * 64, "a.docx") is None
    entry.write_bytes(b"truncated")
    assert cache.get("s" * 64, "a.docx") is None and not entry.exists()


def test_timeout_is_reported_not_cached_and_the_batch_goes_on(tmp_path, subset):
    batch = copy_subset(tmp_path / "batch", SUBSET[:1], subset)
    slow_pdf(batch / "slow.pdf")
    limits = dataclasses.replace(Limits(), file_timeout_s=2.0)
    cache = tmp_path / "cache"
    started = time.monotonic()
    run = run_batch(batch, load_rules(), RunOptions(workers=2, ocr=False, limits=limits, cache_dir=cache))
    assert time.monotonic() - started < 60
    slow = next(s for s in run.submissions if s.submission_id == "slow")
    [problem] = slow.file_problems
    assert problem.rule == "FILE_UNREADABLE" and "处理超时（超过 2 秒）" in problem.reason
    other = next(s for s in run.submissions if s.submission_id != "slow")
    assert not other.file_problems and other.documents
    again = run_batch(batch, load_rules(), RunOptions(workers=2, ocr=False, limits=limits, cache_dir=cache))
    assert again.run["files_extracted"] == 1  # only the timed-out file is tried again


def test_extract_isolated_applies_the_pre_parse_checks(tmp_path, subset):
    sys.path.insert(0, str(HOSTILE))
    try:
        from make_hostile import xxe_docx
    finally:
        sys.path.remove(str(HOSTILE))
    (tmp_path / "xxe.docx").write_bytes(xxe_docx())
    opts = ExtractOptions(ocr=False)
    bad = extract_isolated(tmp_path / "xxe.docx", "xxe.docx", load_rules(), opts)
    assert [p.rule for p in bad.problems] == ["FILE_UNREADABLE"] and "实体" in bad.problems[0].reason
    good = extract_isolated(subset / SUBSET[4], SUBSET[4], load_rules(), opts)
    assert good.documents and not good.problems and len(good.source.sha256) == 64


# ---------------------------------------------------------------------------------------------
# Outputs and the CLI.


def test_outputs_are_replaced_atomically(tmp_path, cold_run, monkeypatch):
    import pipeline.publish as publish

    result, _ = cold_run
    rules = load_rules()
    out = tmp_path / "out"
    publish_outputs(result, out, rules)
    (out / "reports" / "stale-submission.html").write_text("old", "utf-8")
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = publish.write_outputs

    def dies_half_way(res, staging, rules, *args, **kwargs):
        real(res, staging, rules, *args, **kwargs)
        raise KeyboardInterrupt  # the run is killed after rendering part of the outputs

    monkeypatch.setattr(publish, "write_outputs", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        publish_outputs(result, out, rules)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    monkeypatch.setattr(publish, "write_outputs", real)
    publish_outputs(result, out, rules)
    assert not (out / "reports" / "stale-submission.html").exists()  # the folder was swapped whole
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in out.iterdir() if not p.name.startswith(".staging"))
    assert json.loads((out / "results.json").read_text("utf-8"))["submissions"]


def test_killed_run_keeps_previous_outputs_and_rerun_completes(tmp_path, subset):
    batch = copy_subset(tmp_path / "batch", SUBSET[:2], subset)
    out = tmp_path / "out"
    exe = Path(sys.executable).parent / "pipeline"
    first = subprocess.run([str(exe), "run", str(batch), "--out", str(out), "--no-ocr", "-q"], capture_output=True, timeout=600)
    assert first.returncode == 0, first.stderr
    results = (out / "results.json").read_bytes()
    slow_pdf(batch / "slow.pdf")
    proc = subprocess.Popen([str(exe), "run", str(batch), "--out", str(out), "--no-ocr", "-q", "--no-cache"])
    deadline = time.monotonic() + 120
    while not list(out.glob(".run-*/**/workers/w*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / "results.json").read_bytes() == results
    assert list(out.glob(".run-*"))  # what the killed run left behind …
    again = subprocess.run([str(exe), "run", str(batch), "--out", str(out), "--no-ocr", "-q", "--timeout", "3"],
                           capture_output=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert not list(out.glob(".run-*")) and not list(out.glob(".staging-*"))  # … is cleaned by the next run
    data = json.loads((out / "results.json").read_text("utf-8"))
    assert "slow" in {s["submission_id"] for s in data["submissions"]}


def test_cli_cache_options(tmp_path, subset):
    batch = copy_subset(tmp_path / "batch", SUBSET[4:6], subset)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(batch), "--out", str(out), "--no-ocr"])
    assert res.exit_code == 0, res.output
    assert (out / ".cache").is_dir()
    res = CliRunner().invoke(main, ["run", str(batch), "--out", str(out), "--no-ocr"])
    assert "2 个未变化沿用上次结果" in res.output or "均未变化，沿用上次结果" in res.output
    out2, cache2 = tmp_path / "out2", tmp_path / "elsewhere"
    res = CliRunner().invoke(main, ["run", str(batch), "--out", str(out2), "--no-ocr", "--cache-dir", str(cache2), "-q"])
    assert res.exit_code == 0 and cache2.is_dir() and not (out2 / ".cache").exists()
    out3 = tmp_path / "out3"
    res = CliRunner().invoke(main, ["run", str(batch), "--out", str(out3), "--no-ocr", "--no-cache", "-q"])
    assert res.exit_code == 0 and not (out3 / ".cache").exists()
    assert sorted(p.name for p in out3.iterdir() if p.name.startswith(".")) == []


def test_great_expectations_runs_in_its_own_process(tmp_path, subset):
    """The suites run in a worker process started with the run: the parent never imports GX, and
    the expectations record (and its findings) are those of running them in-process."""
    from pipeline.validate import validate_across
    from pipeline.validate.registry import Prepared

    out = tmp_path / "out"
    code = ("import sys; from pipeline.cli import main\n"
            f"main(['run', {str(subset)!r}, '--out', {str(out)!r}, '--no-ocr', '-q', '--no-cache'], standalone_mode=False)\n"
            "print('GX in parent:', 'great_expectations' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "GX in parent: False" in proc.stdout
    record = json.loads((out / "expectations.json").read_text("utf-8"))
    assert record["success"] is not None and record["statistics"]["evaluated_expectations"] > 0
    assert record["seconds"]["import_once"] > 0  # the import happened in that process
    assert not list(out.glob(".gx-*")) and not list(out.glob(".run-*"))  # its folder is gone

    rules = load_rules()
    result = run_batch(subset, rules, RunOptions(workers=1, ocr=False))
    for sub in result.submissions:  # back to what validate_submission left, then the batch part in-process
        sub.findings = [f for f in sub.findings if (f.details or {}).get("source") != "great_expectations"]
    here = validate_across(result.submissions, rules, Prepared(rules))
    strip = lambda r: [{k: v for k, v in x["result"].items() if k != "meta"} for x in r["validations"]]  # noqa: E731
    assert strip(here) == strip(record)


@pytest.mark.parametrize("installed", [False, True])
def test_jieba_dictionary_cache_is_kept_in_the_cache_folder(tmp_path, subset, installed):
    """A fresh process builds jieba's dictionary cache in OUT/.cache/jieba and finds it there next
    time; with the one `make setup` keeps in the environment (segment.prebuild), it builds nothing."""
    from pipeline.validate.segment import prebuild

    batch = copy_subset(tmp_path / "batch", SUBSET[4:6], subset)
    out = tmp_path / "out"
    kept = prebuild(tmp_path / "installed" / "jieba.cache") if installed else tmp_path / "absent"
    code = ("import sys, pathlib; import pipeline.validate.segment as s; from pipeline.cli import main;"
            f"s.installed_dictionary_cache = lambda: pathlib.Path({str(kept)!r}); main(sys.argv[1:])")
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", code, "run", str(batch), "--out", str(out), "--no-ocr", "-q"],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        files = sorted((out / ".cache" / "jieba").glob("*.cache"))
        if installed:
            assert files == []
        else:
            assert len(files) == 1 and files[0].stat().st_size > 1_000_000
    assert not [p for p in out.iterdir() if p.name.startswith(".run-")]


def test_cli_timeout_option_reaches_the_workers(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    slow_pdf(batch / "slow.pdf")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(batch), "--out", str(out), "--timeout", "1.5", "--memory-mb", "1500", "-q"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "results.json").read_text("utf-8"))
    messages = [f["message"] for s in data["submissions"] for f in s["findings"]]
    assert any("处理超时（超过 1.5 秒）" in m for m in messages)


def test_cli_dask_needs_a_scheduler(tmp_path, subset):
    batch = copy_subset(tmp_path / "batch", SUBSET[4:5], subset)
    res = CliRunner().invoke(main, ["run", str(batch), "--out", str(tmp_path / "o"), "--executor", "dask"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1 and "--scheduler" in res.output
    import dask
    import distributed  # noqa: F401 - its config defaults must exist before they are overridden

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        res = CliRunner().invoke(main, ["run", str(batch), "--out", str(tmp_path / "o"), "--executor", "dask",
                                        "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2 and "无法连接 Dask 调度器" in res.output


def test_progress_lines_without_a_terminal(capsys):
    printer = _progress_printer()
    printer.tty = False
    printer(3, 20)  # three answered from the cache
    for done in range(4, 21):
        printer(done, 20)
    printer.close()
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "已提取 3/20 个文件（未变化，沿用上次结果）"
    assert lines[-1].startswith("已提取 20/20 个文件（") and "文件/秒" in lines[-1]
    assert 5 <= len(lines) <= 12 and any("预计还需" in line for line in lines)


# ---------------------------------------------------------------------------------------------
# Dask: the same task function on a loopback cluster gives the same results.


def test_dask_local_cluster_gives_the_same_results(subset, cold_run, tmp_path):
    import dask
    from distributed import LocalCluster

    reference, _ = cold_run
    with dask.config.set({"temporary-directory": str(tmp_path)}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                         host="127.0.0.1", local_directory=str(tmp_path)) as cluster:
        run = run_batch(subset, load_rules(), RunOptions(ocr=False, executor="dask", scheduler=cluster.scheduler_address))
    assert run.run["executor"] == "dask" and run.run["workers"] == 2
    assert run.run["files_extracted"] == reference.run["files"]
    assert comparable(run) == comparable(reference)


def test_output_records_made_while_great_expectations_runs_are_remade_when_it_adds_a_finding(tmp_path, monkeypatch):
    """The engine makes the output records while the suites run; a submission the suites then add a
    finding to (here: the Python required-field check is switched off, so only the suite reports the
    missing field) gets its record made again, with that finding and the status it leads to."""
    from pipeline.validate import basic, registry

    monkeypatch.setitem(registry.CHECKS, "form", [fn for fn in registry.CHECKS["form"] if fn is not basic.check_required])
    sid = "上海智愈数字科技有限公司-智慧病房数字孪生管理平台"
    batch = copy_subset(tmp_path / "batch", [sid, SUBSET[0]])
    checked = check_batch(batch, load_rules(), RunOptions(workers=1, ocr=False))
    result, records = checked.result, checked.prepared.records
    assert result.expectations["findings_added"] >= 1
    by_id = {s.submission_id: s for s in result.submissions}
    added = [f for f in by_id[sid].findings if f.details.get("source") == "great_expectations"]
    assert added and {f.rule for f in added} == {"FIELD_MISSING"}
    for s in result.submissions:  # every record is what the final submission converts to
        record = records[s.submission_id]
        assert record.data == submission_json(s) and json.loads(record.line) == record.data
    assert any(f["details"].get("source") == "great_expectations" for f in records[sid].data["findings"])
