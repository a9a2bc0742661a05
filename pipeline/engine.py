"""The batch engine: discover → hash/cache → extract (isolated workers) → assemble → validate.

Extraction runs one file per task in worker processes (`pipeline.workers`) with a time limit and a
memory cap; a file that breaks them becomes a FILE_UNREADABLE problem (EXTRACTION_INCOMPLETE when it
happened while OCR read a scan) and the batch goes on. The
same task function runs locally or on a Dask cluster (`executor="dask"`), so results do not depend
on where, or on how many workers, they were computed. Per-file results are cached by content hash.

While workers read files the parent validates each submission whose files are all read (in one
background thread, so the pool is never kept waiting), after warming up jieba and great_expectations.
A submission's own validation is cached by a hash of the assembled submission, the GX result by a
hash of its tables; grouping, batch rules and reports are recomputed on every run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import dataclasses
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from . import __version__
from .assemble import assemble
from .cache import HashMemo, ResultCache, cache_context, code_fingerprint
from .config import Rules
from .discover import Discoverer, InputFile
from .explain import explain
from .extract import ExtractOptions, detect_format, extension_of, extract_file, sha256_of
from .model import BatchResult, FileProblem, FileResult, SourceFile, to_jsonable
from .republish import Republish, batch_key
from .safety import Limits, check_size
from .workers import IsolatedPool, Outcome, PoolError

# Problems that depend on the machine (its load, its free memory), not on the file: never cached.
GX_TIMEOUT_S = 1800.0  # the great_expectations suites over a whole batch's tables
OUTPUT_TIMEOUT_S = 600.0  # one output task: the workbook, or a few dozen pages
_GX_FAILURES = {"timeout": "超时", "crash": "异常退出", "memory": "内存不足"}
_TRANSIENT = ("处理超时", "内存超限", "解析进程异常退出", "内部错误", "文字识别失败", "文字识别超出时间限制")
log = logging.getLogger(__name__)


class EngineError(RuntimeError):
    """The run cannot proceed (no workers, no cluster): reported by the CLI as a usage error."""


@dataclass
class RunOptions:
    workers: int | None = None  # None: the machine's cores
    limits: Limits = field(default_factory=Limits)
    ocr: bool = True
    progress: Callable[[int, int], None] | None = None  # called with (done, total) files
    cache_dir: Path | None = None  # None: no cache
    work_dir: Path | None = None  # where the run's temp folder goes; None: the system's temp folder
    executor: str = "local"  # local | dask
    scheduler: str | None = None  # Dask scheduler address, e.g. tcp://10.0.0.5:8786
    # Pages of a previous run to take over unchanged (report.html.PreviousReports); pass the same
    # object to publish_outputs.
    previous_pages: Any = None
    # The output processes publish_outputs will use (OutputProcesses): started once the batch is
    # known to be large enough, so they are ready when the outputs are due.
    output_processes: Any = None
    # What OUT's outputs were made from (republish.Published): a batch found unchanged since is
    # published again without being read. Pass the same object to publish_outputs.
    published: Any = None


@dataclass(frozen=True)
class ExtractTask:
    """One file for a worker: a path it can read, or the bytes themselves (Dask workers elsewhere)."""

    display: str  # path inside the submission
    suffix: str  # the file's suffix as stored (".docx"), so the extractor sees the same name everywhere
    sha256: str
    size: int
    path: str | None = None
    data: bytes | None = None


# ----------------------------------------------------------------------------------------------
# What runs in a worker process.


def make_extractor(payload: tuple[Rules, ExtractOptions]) -> Callable[[ExtractTask], FileResult]:
    """Built once per worker: rules and options arrive once, the format backends are imported once."""
    rules, options = payload
    for module in ("pipeline.extract.docx", "pipeline.extract.pdf", "pipeline.extract.fields",
                   "lxml.etree", "docx", "pdfplumber", "pypdfium2", "PIL.Image"):  # OCR loads on first scan
        with contextlib.suppress(Exception):
            __import__(module)
    return partial(extract_task, rules=rules, options=options)


def extract_task(task: ExtractTask, rules: Rules, options: ExtractOptions) -> FileResult:
    """Pre-parse checks, then the extractor. Never raises for a bad file."""
    tmp_copy = None
    if task.data is not None:
        fd, tmp_copy = tempfile.mkstemp(suffix=task.suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(task.data)
        path = Path(tmp_copy)
    else:
        path = Path(task.path)
    try:
        if not task.sha256:  # not hashed by the parent (nothing could come from its cache)
            task = dataclasses.replace(task, sha256=sha256_of(path))
        return extract_file(path, task.display, rules, options, sha256=task.sha256)
    finally:
        if tmp_copy:
            with contextlib.suppress(OSError):
                os.unlink(tmp_copy)


def refused_result(task: ExtractTask, problem: FileProblem) -> FileResult:
    """A file not read (too large, its worker failed): its format from its first bytes only, where
    they can be looked at, else its extension."""
    ext = extension_of(task.display, Path(task.suffix))
    fmt = ext
    if task.path:
        with contextlib.suppress(OSError):
            fmt = detect_format(Path(task.path), ext, deep=False)
    return FileResult(SourceFile(task.display, fmt, sha256=task.sha256, size=task.size, extension=ext),
                      problems=[problem])


def outcome_result(task: ExtractTask, outcome: Outcome, limits: Limits) -> FileResult:
    """A worker's outcome as a FileResult. A timeout, memory blow-up or crash becomes FILE_UNREADABLE,
    or EXTRACTION_INCOMPLETE when it happened while OCR read scanned pages (the file is there, the
    checker could not read it: a person checks it, and FORM_MISSING / LETTER_MISSING stay silent).
    What the worker logged (tracebacks) goes to this process' log (OUT/logs/run.log), not to a message."""
    for level, text in outcome.log:
        log.log(level, "%s: %s", task.display, text)
    if outcome.failure is None and isinstance(outcome.value, FileResult):
        return outcome.value
    rule = "FILE_UNREADABLE"
    if outcome.stage == "ocr" and outcome.failure in ("timeout", "memory", "crash"):
        rule = "EXTRACTION_INCOMPLETE"
        reason = {
            "timeout": f"扫描页文字识别超出时间限制（{limits.file_timeout_s:g} 秒），已停止读取此文件，请人工核对",
            "memory": f"扫描页文字识别时内存超限（超过 {limits.memory_mb} MB），已停止读取此文件，请人工核对",
            "crash": f"扫描页文字识别失败（OCR 引擎异常退出，{outcome.detail}），请人工核对此文件",
        }[outcome.failure]
    else:
        reason = {
            "timeout": f"处理超时（超过 {limits.file_timeout_s:g} 秒），已停止读取此文件",
            "memory": f"内存超限（超过 {limits.memory_mb} MB），已停止读取此文件",
            "crash": f"解析进程异常退出（{outcome.detail}），未能读取此文件",
        }.get(outcome.failure or "", "解析时出现内部错误，未能读取此文件（技术细节见 logs/run.log）")
    log.warning("%s: worker %s (%s)%s", task.display, outcome.failure, outcome.detail,
                f" during {outcome.stage}" if outcome.stage else "")
    if not task.sha256 and task.path:  # the worker was to hash it
        with contextlib.suppress(OSError):
            task = dataclasses.replace(task, sha256=sha256_of(Path(task.path)))
    res = refused_result(task, FileProblem(rule, reason))
    res.seconds = outcome.seconds
    return res


def extract_isolated(path: Path, display: str, rules: Rules, options: ExtractOptions) -> FileResult:
    """One file through the same checks and isolated worker as a run (for `pipeline inspect`)."""
    limits = options.limits
    size = path.stat().st_size
    task = ExtractTask(display, path.suffix, "", size, str(path.absolute()))
    too_big = check_size(size, limits)
    if too_big is not None:
        return refused_result(task, too_big)
    task = dataclasses.replace(task, sha256=sha256_of(path))
    with IsolatedPool("pipeline.engine:make_extractor", (rules, options), 1, limits.file_timeout_s,
                      limits.memory_mb) as pool:
        return outcome_result(task, pool.run(task), limits)


def _cacheable(res: FileResult) -> bool:
    return not any(marker in p.reason for p in res.problems for marker in _TRANSIENT)


# ----------------------------------------------------------------------------------------------
# Executors: each yields (key, Outcome) for (key, ExtractTask) items.


def _extract_pool(payload: tuple, workers: int, limits: Limits, tmp_root: Path) -> IsolatedPool:
    stderr = None if os.environ.get("PIPELINE_WORKER_STDERR") else subprocess.DEVNULL
    return IsolatedPool("pipeline.engine:make_extractor", payload, workers, limits.file_timeout_s,
                        limits.memory_mb, tmp_root=tmp_root, stderr=stderr)


def _local_outcomes(items: list[tuple[Any, ExtractTask]], payload: tuple, workers: int, limits: Limits,
                    tmp_root: Path, info: dict, pool: IsolatedPool | None = None) -> Iterator[tuple[Any, Outcome]]:
    """With `pool` (started early, see run_batch), its workers are used; it is closed in any case."""
    with pool or _extract_pool(payload, workers, limits, tmp_root) as pool:
        yield from pool.map_unordered(items)
        info["worker_processes"] = pool.started_workers
        info["peak_worker_rss_mb"] = round(pool.peak_worker_rss_mb, 1)


_DASK_POOLS: dict[int, tuple[str, IsolatedPool]] = {}
_DASK_LOCK = threading.Lock()


def _dask_extract(payload: tuple, token: str, timeout_s: float, memory_mb: int, task: ExtractTask) -> Outcome:
    """Runs on a Dask worker thread: the same isolated one-file-at-a-time worker as a local run."""
    tid = threading.get_ident()
    with _DASK_LOCK:
        held = _DASK_POOLS.get(tid)
    if held is None or held[0] != token:
        if held is not None:
            held[1].close()
        # One native thread: a Dask thread is already one unit of the cluster's parallelism.
        pool = IsolatedPool("pipeline.engine:make_extractor", payload, 1, timeout_s, memory_mb, threads=1)
        with _DASK_LOCK:
            _DASK_POOLS[tid] = (token, pool)
    else:
        pool = held[1]
    return pool.run(task)


def _dask_close_pools() -> int:
    """Stop the idle extraction workers a batch left on a Dask worker (run via Client.run)."""
    with _DASK_LOCK:
        pools = list(_DASK_POOLS.values())
        _DASK_POOLS.clear()
    for _token, pool in pools:
        pool.close()
    return len(pools)


def _dask_fingerprint() -> str:
    return code_fingerprint.__wrapped__()


def _dask_client(scheduler: str | None):
    try:
        from distributed import Client
    except ImportError as exc:
        raise EngineError("使用 --executor dask 需要安装 dask[distributed]（pip install '.[cluster]'）") from exc
    if not scheduler:
        raise EngineError("使用 --executor dask 时须用 --scheduler 指定调度器地址，例如 tcp://10.0.0.5:8786")
    try:
        return Client(scheduler)  # connect timeout: dask config distributed.comm.timeouts.connect
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad address
        raise EngineError(f"无法连接 Dask 调度器 {scheduler}：{explain(exc, scheduler)}") from exc


def _dask_outcomes(items: list[tuple[Any, ExtractTask]], payload: tuple, limits: Limits,
                   scheduler: str | None, info: dict) -> Iterator[tuple[Any, Outcome]]:
    """Ship each file's bytes to the cluster (no shared filesystem needed), a bounded number in flight."""
    from distributed import as_completed

    client = _dask_client(scheduler)
    try:
        mine = code_fingerprint.__wrapped__()  # as the code is now, like the workers' fresh imports
        theirs = client.run(_dask_fingerprint)
        stale = sorted(addr for addr, fp in theirs.items() if fp != mine)
        if not theirs:
            raise EngineError(f"Dask 调度器 {scheduler} 没有可用的 worker")
        if stale:
            raise EngineError(f"Dask worker 上的 pipeline 版本与本机不同，结果将不一致: {', '.join(stale)}")
        threads = sum(client.nthreads().values()) or 1
        info["workers"] = threads
        token = hashlib.sha256(mine.encode() + repr((payload[0].sha256, payload[1])).encode()).hexdigest()
        [payload_f] = client.scatter([payload], broadcast=True, hash=False)
        queue_ = list(reversed(items))
        keys: dict[Any, Any] = {}
        done = as_completed()

        unreadable: list[tuple[Any, Outcome]] = []

        def submit() -> None:
            while queue_:
                key, task = queue_.pop()
                try:
                    data = Path(task.path).read_bytes()
                except OSError as exc:
                    unreadable.append((key, Outcome(None, "error", f"无法读取文件：{explain(exc, task.display)}")))
                    continue
                shipped = ExtractTask(task.display, task.suffix, task.sha256, task.size, None, data)
                fut = client.submit(_dask_extract, payload_f, token, limits.file_timeout_s, limits.memory_mb,
                                    shipped, pure=False, retries=0)
                keys[fut.key] = key
                done.add(fut)
                return

        for _ in range(min(len(queue_), 2 * threads)):
            submit()
        yield from unreadable
        for fut in done:
            key = keys.pop(fut.key)
            try:
                outcome = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the file's own failure
                outcome = Outcome(None, "crash", f"计算集群：{explain(exc, 'dask')}")
            fut.release()
            unreadable.clear()
            submit()
            yield from unreadable
            yield key, outcome
        with contextlib.suppress(Exception):
            client.run(_dask_close_pools)
    finally:
        client.close()


# ----------------------------------------------------------------------------------------------
# The run.


class _GXProcess:
    """great_expectations in a worker process of its own (pipeline.validate.expectations.make_gx_handler).

    Started when a run has files to read, it imports GX at the lowest CPU priority meanwhile; GX's
    memory stays out of the parent, and a GX crash or hang costs the data-quality checks (a note in
    the results), not the run. Its folder is inside the run's work folder.
    """

    def __init__(self, work_dir: Path | None):
        self.work_dir = work_dir
        self.pool: IsolatedPool | None = None

    def start(self) -> None:
        if self.pool is None:
            self.pool = IsolatedPool("pipeline.validate.expectations:make_gx_handler", None, 1, GX_TIMEOUT_S, None,
                                     tmp_parent=self.work_dir)
            self.pool.start()

    def __call__(self, *arg: Any) -> Any:
        self.start()
        assert self.pool is not None
        outcome = self.pool.run(arg)
        if outcome.failure:
            raise RuntimeError(f"数据质量检查进程{_GX_FAILURES.get(outcome.failure, '出错')}：{outcome.detail}")
        return outcome.value

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


class _SubmissionValidator:
    """Per-submission validation, reused from the cache when the assembled submission is the same."""

    def __init__(self, rules: Rules, cache: ResultCache | None, previous_pages: Any = None):
        from .validate.registry import Prepared

        self.rules, self.cache, self.prep = rules, cache, Prepared(rules)
        self.validated = self.reused = 0
        self.seconds = 0.0
        self.previous_pages = previous_pages
        self.pages: dict[str, tuple[str, Any]] = {}  # submission id → (digest, page made ahead or taken over)
        self.page_seconds = 0.0
        self.signals: set[tuple] = set()  # batch_signals of the submissions seen so far
        self.before_batch: dict[int, tuple[str, set[int], int]] = {}  # id(sub) → (digest, finding ids, notes)
        self.deferred = 0
        # What a page shows of the run is known before the run ends (report.html._report_run_view).
        self.page_run = {"version": __version__, "rules_version": rules.version, "rules_sha256": rules.sha256}

    def warm_up(self) -> None:
        """Build the tokenizer (a second or so) while files are read."""
        from .validate.coverage import rules_tokenizer

        with contextlib.suppress(Exception):  # validation reports a tokenizer failure as a note
            rules_tokenizer(self.rules, self.prep)


    def __call__(self, sub) -> None:
        from .validate import (
            apply_submission_output,
            submission_digest,
            submission_output,
            validate_submission,
        )

        t0 = time.perf_counter()
        key = submission_digest(sub) if self.cache is not None else None
        stored = self.cache.get_value("validation", key) if self.cache is not None else None
        if stored is not None:
            apply_submission_output(sub, stored)
            self.reused += 1
        else:
            validate_submission(sub, self.rules, self.prep)
            self.validated += 1
            if self.cache is not None:
                self.cache.put_value("validation", key, submission_output(sub))
        if key is not None:  # what the batch rules add is told apart from this afterwards
            self.before_batch[id(sub)] = (key, {id(f) for f in sub.findings}, len(sub.notes))
        self.seconds += time.perf_counter() - t0

    def final_key(self, sub) -> str | None:
        """A hash of a submission's final state: what it was validated from, plus what the batch rules
        added (the findings are then sorted and the status follows, so order does not matter)."""
        before = self.before_batch.get(id(sub))
        if before is None:
            return None
        key, finding_ids, notes = before
        added = [f for f in sub.findings if id(f) not in finding_ids]
        data = json.dumps([key, to_jsonable(added), to_jsonable(sub.notes[notes:])], ensure_ascii=False,
                          sort_keys=True, default=repr)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    def validate_and_render(self, sub) -> None:
        """The background path: validate, then make the page while other files are still being read."""
        from .report import submission_json
        from .report.html import page_ahead
        from .validate import sort_findings
        from .validate.batch import batch_signals

        self(sub)
        t0 = time.perf_counter()
        signals = batch_signals(sub, self.rules, self.prep)
        shared = not signals.isdisjoint(self.signals)
        self.signals |= signals
        if shared:  # a duplicate or a copied narrative: the batch rules will change its page
            self.deferred += 1
            self.page_seconds += time.perf_counter() - t0
            return
        # as validate_across leaves them when it adds nothing
        sub.findings = sort_findings(sub.findings, tuple(s.key for s in self.rules.sections))
        sub.compute_status()
        digest, page = page_ahead(submission_json(sub), self.rules, self.page_run, self.previous_pages)
        if page is not None:
            self.pages[sub.submission_id] = (digest, page)
        self.page_seconds += time.perf_counter() - t0


def run_batch(input_dir: Path, rules: Rules, options: RunOptions | None = None) -> BatchResult:
    """Check every submission in `input_dir`; returns results. Writes only to the cache and the run's
    temp folder (below `work_dir`), which is removed before returning."""
    from .report import OFFLOAD_MIN_PAGES, submission_outputs
    from .validate import validate_across
    from .validate.batch import shared_passages
    from .validate.segment import set_cache_dir

    options = options or RunOptions()
    limits = options.limits
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    workers = options.workers or os.cpu_count() or 1
    stage: dict[str, float] = {}
    info: dict[str, Any] = {"workers": workers}
    cache = ResultCache(options.cache_dir, cache_context(rules.sha256, options.ocr, limits)) if options.cache_dir else None
    memo = HashMemo(options.cache_dir) if options.cache_dir else None
    set_cache_dir(options.cache_dir / "jieba" if options.cache_dir is not None else None)  # kept between runs
    validator = _SubmissionValidator(rules, cache, options.previous_pages)
    if options.work_dir is not None:
        options.work_dir.mkdir(parents=True, exist_ok=True)
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipeline-validate")
    gx = _GXProcess(options.work_dir)
    validations: list[Future] = []
    pool: IsolatedPool | None = None
    # Scanned pages' OCR is cached by page image in the run's cache, on this machine only.
    page_cache = (os.path.abspath(cache.root), json.dumps(cache.context, sort_keys=True)) \
        if cache is not None and options.executor == "local" else None
    opts = ExtractOptions(limits=limits, ocr=options.ocr, page_cache=page_cache)
    try:
        with contextlib.ExitStack() as stack:  # on the way out: the early pool (if any), then the temp folder
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=f".run-{os.getpid()}-", dir=options.work_dir))
            tmp = os.path.abspath(tmp)  # workers run in their own folders: every path they get is absolute
            nothing_cached = cache is None or not cache.dir.exists()
            if options.executor == "local" and nothing_cached:
                # Every file will be read. The file workers and GX start now and initialise while the
                # batch is discovered; the workers hash what they read. (jieba's dictionary waits: built
                # in this process, it would hold the interpreter lock that discovery needs.)
                pool = stack.enter_context(_extract_pool((rules, opts), workers, limits, Path(tmp) / "workers"))
                pool.start()
                gx.start()
            inputs = Discoverer(rules, Path(tmp) / "unpacked", limits, lazy=True).discover(Path(input_dir).absolute())
            stage["discover"] = time.perf_counter() - t0
            key_parts, key_files = _key_parts(input_dir, rules, limits, cache, inputs)
            if options.published is not None and memo is not None and not nothing_cached:
                unchanged = _unchanged(inputs, key_parts, key_files, memo, options.published)
                if unchanged is not None:
                    run = _unchanged_run(unchanged.record["run"], input_dir, started, t0, workers, options,
                                         len(key_files), stage)
                    cache.prune()  # this context was used
                    return BatchResult(run=run, submissions=[], unchanged=unchanged)

            t1 = time.perf_counter()
            results: dict[tuple[int, int], FileResult] = {}
            todo: list[tuple[tuple[int, int], ExtractTask]] = []
            identities: dict[tuple[int, int], tuple[int, ...] | None] = {}
            for si, sin in enumerate(inputs):
                for fi, f in enumerate(sin.files):
                    if f.problem is not None or f.real_path is None:
                        continue
                    if not _supported(f, rules):
                        f.problem = _unsupported(f.rel_path)
                        continue
                    task, res = _plan(f, limits, cache, memo, hash_here=not nothing_cached)
                    if f.problem is not None:  # a zip member that could not be unpacked
                        continue
                    if res is not None:
                        results[(si, fi)] = res
                    else:
                        todo.append(((si, fi), task))
                        identities[(si, fi)] = f.identity
            total = len(results) + len(todo)
            stage["hash_and_cache"] = time.perf_counter() - t1
            if options.output_processes is not None and len(todo) >= OFFLOAD_MIN_PAGES:
                # Many new files, so many pages to make at the end. (A warm run makes its workbook
                # in the parent: handing it over costs more than it saves when little else is left.)
                options.output_processes.prestart(workers)
            if options.progress and total:
                options.progress(len(results), total)

            t2 = time.perf_counter()
            if todo:
                validations.append(background.submit(validator.warm_up))
                gx.start()
            elif pool is not None:
                pool.close()
            unread: dict[int, int] = {}
            for (si, _fi), _task in todo:
                unread[si] = unread.get(si, 0) + 1
            built: dict[int, Any] = {}

            def read(si: int) -> None:
                """All of input `si`'s files are read: assemble it and validate it in the background."""
                if inputs[si].origin == "loose":  # grouped by content once every loose file is read
                    return
                mine = {(0, fi): results[(si, fi)] for fi in range(len(inputs[si].files)) if (si, fi) in results}
                built[si] = assemble([inputs[si]], mine, rules)[0]
                validations.append(background.submit(validator.validate_and_render, built[si]))

            for si in range(len(inputs)):
                if si not in unread:
                    read(si)
            if todo:
                tasks = dict(todo)
                if options.executor == "dask":
                    outcomes = _dask_outcomes(todo, (rules, opts), limits, options.scheduler, info)
                elif options.executor == "local":
                    outcomes = _local_outcomes(todo, (rules, opts), min(workers, len(todo)), limits,
                                               Path(tmp) / "workers", info, pool)
                else:
                    raise EngineError(f"未知的执行方式: {options.executor}")
                try:
                    for key, outcome in outcomes:
                        res = outcome_result(tasks[key], outcome, limits)
                        results[key] = res
                        if cache is not None and _cacheable(res) and res.source.sha256:
                            cache.put(res.source.sha256, tasks[key].display, res)
                        if memo is not None and not tasks[key].sha256 and res.source.sha256:
                            memo.put(identities[key], res.source.sha256)
                        unread[key[0]] -= 1
                        if not unread[key[0]]:
                            read(key[0])
                        if options.progress:
                            options.progress(len(results), total)
                except PoolError as exc:
                    raise EngineError(str(exc)) from exc
            stage["extract"] = time.perf_counter() - t2

            t3 = time.perf_counter()
            submissions = assemble(inputs, results, rules, built=built)
            stage["assemble"] = time.perf_counter() - t3
        t4 = time.perf_counter()
        for fut in validations:
            fut.result()
    except BaseException:
        gx.close()
        raise
    finally:
        background.shutdown(wait=True, cancel_futures=True)
    stage["validate_wait"] = time.perf_counter() - t4
    if cache is not None:
        cache.prune()
    if memo is not None:
        memo.save()
    t5 = time.perf_counter()
    early = {id(s) for s in built.values()}
    for sub in submissions:
        if id(sub) not in early:
            validator(sub)
    outputs: dict[str, Any] = {}
    made_from: dict[str, tuple] = {}

    def make_outputs(subs: list) -> None:
        """The submissions' output records, and what they were made from."""
        t = time.perf_counter()
        outputs.update(submission_outputs(submissions, rules, validator.page_run, cache,
                                          {s.submission_id: validator.final_key(s) for s in subs} if cache else None,
                                          only={s.submission_id for s in subs}))
        made_from.update({s.submission_id: _output_state(s) for s in subs})
        stage["outputs"] = stage.get("outputs", 0.0) + time.perf_counter() - t

    try:  # the records are made while great_expectations runs; those it then changes are made again
        expectations = validate_across(submissions, rules, validator.prep, gx_cache=cache, gx_runner=gx,
                                       meanwhile=lambda: make_outputs(submissions))
    finally:
        gx.close()
    stale = [s for s in submissions if made_from.get(s.submission_id) != _output_state(s)]
    if stale or not made_from:
        make_outputs(stale)
    stage["validate"] = time.perf_counter() - t5 - stage["outputs"]
    counts = {s: sum(1 for x in submissions if x.status == s) for s in ("pass", "warn", "review", "fail")}
    # The batch's key, when every file was read to a result a re-run would take from the cache.
    read_results = [results.get(k) for k in key_files]
    digest = None
    if all(res is not None and res.source.sha256 and _cacheable(res) for res in read_results):
        for (si, fi), res in zip(key_files, read_results, strict=True):
            key_parts[1][si][3][fi][-1] = res.source.sha256
        digest = batch_key(key_parts)
    run = {
        "tool": "pipeline",
        "version": __version__,
        "python": sys.version.split()[0],
        "rules_version": rules.version,
        "rules_source": rules.source,
        "rules_sha256": rules.sha256,
        "input": str(input_dir),
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - t0, 3),
        "executor": options.executor,
        "unchanged": False,
        "workers": info["workers"],
        "files": total,
        "files_extracted": len(todo),
        "cache": {"enabled": cache is not None, "hits": cache.hits if cache else 0,
                  "hashes_reused": memo.hits if memo else 0},
        "validation": {"submissions_validated": validator.validated, "submissions_reused": validator.reused,
                       "seconds": round(validator.seconds, 3), "pages_ahead_seconds": round(validator.page_seconds, 3),
                       "pages_deferred": validator.deferred},
        "worker_processes": info.get("worker_processes", 0),  # more than `workers`: some were replaced
        "peak_worker_rss_mb": info.get("peak_worker_rss_mb"),
        "submissions": len(submissions),
        "counts": counts,
        "shared_passages": shared_passages(submissions, rules),
        "stage_seconds": {k: round(v, 3) for k, v in stage.items()},
    }
    return BatchResult(run=run, submissions=submissions, expectations=expectations, pages=validator.pages,
                       outputs=outputs, batch_key=digest)


def _key_parts(input_dir: Path, rules: Rules, limits: Limits, cache: ResultCache | None,
               inputs: list) -> tuple[list, list[tuple[int, int]]]:
    """What the batch's results depend on, as discovery left it (republish.batch_key hashes it), and
    the files to be read: their entries end in a slot for the sha256 (`batch_key` needs them all).
    The cache context covers the pipeline's version and code, the rules, OCR and the limits; the
    report code the templates and static files."""
    subs = []
    to_read = []
    for si, sin in enumerate(inputs):
        files = []
        for fi, f in enumerate(sin.files):
            problem = dataclasses.astuple(f.problem) if f.problem is not None else None
            entry = [f.rel_path, f.size, f.ignored, problem]
            if problem is None and f.real_path is not None and _supported(f, rules) and check_size(f.size, limits) is None:
                entry.append(None)
                to_read.append((si, fi))
            files.append(entry)
        subs.append([sin.submission_id, sin.origin, sin.source_name, files])
    from .report.html import report_code

    context = cache.context_id if cache is not None else None  # the code's .py/.toml, and what it was given
    return [[context, report_code(), rules.source, str(Path(input_dir).absolute())], subs], to_read


def _unchanged(inputs: list, parts: list, to_read: list[tuple[int, int]], memo: HashMemo, published: Any) -> Any:
    """A `republish.Republish` when every file to read is one the hash memo knows unchanged and the
    batch is the one OUT's outputs were made from, untouched since; else None."""
    for si, fi in to_read:
        digest = memo.peek(inputs[si].files[fi].identity)
        if digest is None:
            return None
        parts[1][si][3][fi][-1] = digest
    record = published.check(batch_key(parts))
    if record is None:
        return None
    return Republish(record, published)


def _unchanged_run(before: dict[str, Any], input_dir: Path, started: datetime, t0: float, workers: int,
                   options: RunOptions, files: int, stage: dict[str, float]) -> dict[str, Any]:
    """The run record of publishing an unchanged batch again: the previous run's, with this run's
    time, options and (no) work."""
    return {
        **before,
        "python": sys.version.split()[0],
        "input": str(input_dir),
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - t0, 3),
        "executor": options.executor,
        "workers": workers,
        "files_extracted": 0,
        "cache": {"enabled": True, "hits": files, "hashes_reused": files},
        "validation": {"submissions_validated": 0, "submissions_reused": before.get("submissions", 0),
                       "seconds": 0.0, "pages_ahead_seconds": 0.0, "pages_deferred": 0},
        "worker_processes": 0,
        "peak_worker_rss_mb": None,
        "unchanged": True,
        "stage_seconds": {k: round(v, 3) for k, v in stage.items()},
    }


def _output_state(sub) -> tuple:
    """What a submission's output record could have changed by since it was made: great_expectations
    only adds findings (and with them perhaps the status)."""
    return sub.status, len(sub.notes), tuple(map(id, sub.findings))


def _plan(f: InputFile, limits: Limits, cache: ResultCache | None, memo: HashMemo | None = None,
          hash_here: bool = True) -> tuple[ExtractTask, FileResult | None]:
    """Size check before reading, one hash per file (none for a file the memo knows unchanged), then
    the cache. Without `hash_here` (nothing can come from the cache), an unknown file is left for its
    worker to hash as it reads it. A zip member is unpacked only to be hashed or read; one that
    cannot be gets its `problem` set (the caller lists it as discovery would have)."""
    assert f.real_path is not None
    suffix = f.real_path.suffix

    def task(sha256: str = "") -> ExtractTask:
        return ExtractTask(f.rel_path, suffix, sha256, f.size, str(f.real_path) if f.real_path is not None else "")

    too_big = check_size(f.size, limits)
    if too_big is not None:
        return task(), refused_result(task(), too_big)
    digest = memo.get(f.identity) if memo is not None else None
    if digest is None:
        Discoverer.materialize(f)
        if f.real_path is None or not hash_here:
            return task(), None
        try:
            digest = sha256_of(f.real_path)
        except OSError as exc:
            return task(), refused_result(task(), FileProblem("FILE_UNREADABLE", f"无法读取文件：{explain(exc, f.rel_path)}"))
        if memo is not None:
            memo.put(f.identity, digest)
    res = cache.get(digest, f.rel_path) if cache is not None else None
    if res is None:
        Discoverer.materialize(f)  # the memo knew its hash, but it must be read
    return task(digest if f.real_path is not None else ""), res


def _supported(f: InputFile, rules: Rules) -> bool:
    """By extension. A .zip listed as a file (not unpacked) is one discovery found to be a Word
    package under a .zip name: it is read, by its content."""
    ext = f.rel_path.rsplit(".", 1)[-1].lower() if "." in f.rel_path else ""
    return ext in rules.raw["files"]["supported"]


def _unsupported(rel_path: str) -> FileProblem:
    ext = rel_path.rsplit(".", 1)[-1] if "." in rel_path else ""
    what = f".{ext} 文件" if ext else "无扩展名的文件"
    return FileProblem("FILE_UNSUPPORTED", f"不支持的文件类型（{what}），已列出并忽略")


# ----------------------------------------------------------------------------------------------
# Publishing outputs atomically.


@contextlib.contextmanager
def private_tempdir(out_dir: Path) -> Iterator[Path]:
    """Point this process's temp folder (tempfile and TMPDIR) into OUT for the run, then remove it.

    Libraries used by later stages write temp and cache files on their own (jieba's dictionary
    cache, for one); this keeps every byte a run writes inside OUT.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".run-{os.getpid()}-", dir=out_dir))
    saved_tempdir, saved_env = tempfile.tempdir, {k: os.environ.get(k) for k in ("TMPDIR", "TEMP", "TMP")}
    tempfile.tempdir = str(tmp)
    os.environ.update({k: str(tmp) for k in saved_env})
    try:
        yield tmp
    finally:
        tempfile.tempdir = saved_tempdir
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(tmp, ignore_errors=True)


def clean_stale(out_dir: Path) -> None:
    """Remove what a killed run left in OUT (`.run-<pid>-…`, `.staging-<pid>-…`, `.old-<pid>-…`), unless
    the process that made it is still running (two runs into one OUT)."""
    if not out_dir.is_dir():
        return
    for entry in out_dir.iterdir():
        kind, _, rest = entry.name.partition("-")
        if kind not in (".run", ".staging", ".old") or not entry.is_dir() or entry.is_symlink():
            continue
        pid = rest.split("-", 1)[0]
        if pid.isdigit() and _alive(int(pid), entry):
            continue
        shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int, entry: Path) -> bool:
    if pid == os.getpid():
        return False
    if os.name != "posix":  # no harmless liveness probe: trust age instead
        return time.time() - entry.stat().st_mtime < 86400
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class OutputProcesses:
    """Worker processes that make the workbook and a share of the pages while the parent makes the
    rest (report.write_outputs' `offload`). As many as the run has file workers (at most the cores);
    their folder is a `.run-<pid>-…` folder inside OUT, removed when they are closed.

    `prestart` starts them early (the engine does when a batch has many files to read), so they
    import the report code while files are read rather than when outputs are due; otherwise `start`
    starts them with the first tasks. One batch of tasks per object; `close` ends them.
    """

    def __init__(self, rules: Rules, out_dir: Path, size: int = 1):
        self.rules, self.out_dir, self.size = rules, out_dir, max(1, size)
        self.pool: IsolatedPool | None = None

    @property
    def ready(self) -> bool:
        """Already started: using them costs no start-up."""
        return self.pool is not None

    def prestart(self, size: int) -> None:
        if self.pool is None:
            self.size = max(1, min(size, os.cpu_count() or 1))
            self._pool(self.size).start()

    def _pool(self, size: int) -> IsolatedPool:
        if self.pool is None:
            self.pool = IsolatedPool("pipeline.report:make_output_worker", self.rules, size, OUTPUT_TIMEOUT_S, None,
                                     tmp_parent=self.out_dir)
        return self.pool

    def start(self, tasks: list[tuple[Any, Any]]) -> _OutputHandle:
        return _OutputHandle(self._pool(min(self.size, len(tasks))), tasks, self.close)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def __enter__(self) -> OutputProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _OutputHandle:
    def __init__(self, pool: IsolatedPool, tasks: list[tuple[Any, Any]], done: Callable[[], None]):
        self.values: dict[Any, Any] = {}

        def drive() -> None:
            try:
                for key, outcome in pool.map_unordered(tasks):
                    self.values[key] = outcome.value if outcome.failure is None else None
            except Exception:  # noqa: BLE001 - the parent makes whatever is missing
                pass
            finally:
                done()

        self.thread = threading.Thread(target=drive, name="pipeline-outputs", daemon=True)
        self.thread.start()

    def results(self) -> dict[Any, Any]:
        self.thread.join()
        return self.values


def publish_outputs(result: BatchResult, out_dir: Path, rules: Rules, manifest: Path | None = None,
                    previous: Any = None, processes: OutputProcesses | None = None,
                    published: Any = None) -> dict[str, Path]:
    """Render every output into a staging folder inside OUT, then move each into place by rename.

    A run killed while rendering leaves the previous outputs untouched; files are replaced by
    os.replace and the reports folder by an atomic exchange where the OS offers one (Linux).
    With a `manifest` path, per-submission pages whose inputs did not change since the run that
    wrote the manifest are taken over instead of rendered. `processes`: the run's output processes
    (started early by run_batch if the batch needed them; else started here if it does).
    `published` (republish.Published): where the outputs are recorded with what they were made from;
    for an unchanged batch (`result.unchanged`), only the outputs that show the run are written.
    """
    from .report import write_outputs
    from .report.html import PreviousReports

    out_dir.mkdir(parents=True, exist_ok=True)
    if result.unchanged is not None:
        from .republish import republish

        return republish(result, out_dir, rules)
    view = None
    if published is not None:
        published.forget()  # until the new outputs are in place
        if previous is not None and result.batch_key is not None:  # index.html's view, kept for the next run
            view = _index_view(result, rules)
    if previous is None and manifest is not None:
        previous = PreviousReports(out_dir / "reports", manifest)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=out_dir))
    try:
        processes = processes or OutputProcesses(rules, out_dir)
        if not processes.ready:  # as many as the run had file workers, at most the cores
            processes.size = max(1, min(int(result.run.get("workers") or 1), os.cpu_count() or 1))
        with processes:
            staged = write_outputs(result, staging, rules, previous, staged=True, offload=processes, index_view=view)
        normal_permissions(staging)
        entries = sorted(staging.iterdir(), key=lambda p: (p.name == "results.json", p.is_file(), p.name))
        for entry in entries:  # folders first, results.json last
            dest = out_dir / entry.name
            if entry.is_dir() and dest.is_dir() and not dest.is_symlink():
                _swap_dirs(entry, dest)
            else:
                if dest.is_dir() and not dest.is_symlink():
                    shutil.rmtree(dest)
                os.replace(entry, dest)
        if previous is not None:
            previous.save()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if view is not None:
        _record_published(result, published, previous, view)
    return {k: out_dir / Path(v).relative_to(staging) if Path(v).is_relative_to(staging) else Path(v)
            for k, v in staged.items()}


def _index_view(result: BatchResult, rules: Rules) -> dict[str, Any]:
    from .report import results_json
    from .report.html import build_index_view, report_files

    names = report_files([{"submission_id": s.submission_id} for s in result.submissions])
    return build_index_view(results_json(result), rules, names)


def _record_published(result: BatchResult, published: Any, previous: Any, view: dict[str, Any]) -> None:
    """Record the outputs just published and what they were made from, for the next run."""
    pages = {name: entry[1] for name, entry in previous.current.items()}
    if len(pages) == len(result.submissions):  # every page in place (`previous` recorded each)
        published.save(result.batch_key, result.run, view, pages)


def normal_permissions(root: Path) -> None:
    """Temp files are created owner-only; published outputs get the usual umask-based modes."""
    umask = os.umask(0)
    os.umask(umask)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o777 & ~umask)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o666 & ~umask)


def _swap_dirs(new: Path, dest: Path) -> None:
    if _renameat2_exchange(new, dest):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old contents
        return
    old = dest.with_name(f".old-{os.getpid()}-{dest.name}")
    os.replace(dest, old)
    os.replace(new, dest)
    shutil.rmtree(old, ignore_errors=True)


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False when unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
