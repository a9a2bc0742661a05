"""The batch engine: discover → plan → extract → assemble → validate, as one page to read top to bottom.

`check_batch` is the whole run. Each step is a module of its own: discovery (`discover`), the
extraction plan with its cache look-ups (`planning`), the executors that read files in isolated
worker processes or on a Dask cluster (`executors`, `filetask`), grouping into submissions
(`assemble`), validation with great_expectations in its own process (`checking`, `gxprocess`).
Publishing the outputs is `publish.publish_outputs`, which takes what this returns.

Per-file results are cached by content hash (`cache.ResultCache`), so a re-run reads only the files
that changed; the same cache holds per-submission validation, output records and pages, each keyed
by a hash of what it was made from.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .assemble import assemble
from .cache import HashMemo, ResultCache, cache_context
from .checking import CheckStats, SubmissionChecker
from .config import Rules
from .discover import Discoverer, SubmissionInput
from .executors import EngineError, Executor, make_executor
from .extract import ExtractOptions
from .filetask import ExtractTask, cacheable, extract_isolated, outcome_result
from .gxprocess import GXProcess
from .model import BatchResult, Submission
from .planning import ExtractionPlan, FileKey, plan_extraction
from .publish import OutputProcesses, clean_stale, private_tempdir, publish_outputs
from .report import OFFLOAD_MIN_PAGES, Prepared
from .safety import Limits
from .validate.batch import shared_passages
from .validate.segment import set_cache_dir
from .workers import PoolError

__all__ = ["CheckedBatch", "EngineError", "ExtractTask", "OutputProcesses", "RunOptions", "check_batch", "clean_stale",
           "extract_isolated", "outcome_result", "private_tempdir", "publish_outputs", "run_batch"]
Progress = Callable[[int, int], None]  # called with (done, total) files


@dataclass
class RunOptions:
    workers: int | None = None  # None: the machine's cores
    limits: Limits = field(default_factory=Limits)
    ocr: bool = True
    progress: Progress | None = None
    cache_dir: Path | None = None  # None: no cache
    work_dir: Path | None = None  # where the run's temp folder goes; None: the system's temp folder
    executor: str = "local"  # local | dask
    scheduler: str | None = None  # Dask scheduler address, e.g. tcp://10.0.0.5:8786


@dataclass
class CheckedBatch:
    """A checked batch: the results, and the outputs made on the way for `publish_outputs`."""

    result: BatchResult
    prepared: Prepared


def run_batch(input_dir: Path, rules: Rules, options: RunOptions | None = None) -> BatchResult:
    """Check every submission in `input_dir`; returns results. Writes only to the cache and the run's
    temp folder (below `work_dir`), which is removed before returning."""
    return check_batch(input_dir, rules, options).result


def check_batch(input_dir: Path, rules: Rules, options: RunOptions | None = None,
                outputs: OutputProcesses | None = None) -> CheckedBatch:
    """`run_batch`, keeping what the outputs can use. `outputs`: the output processes the caller will
    publish with, started here once the batch is known to have many pages to make."""
    options = options or RunOptions()
    clock = _Clock()
    workers = options.workers or os.cpu_count() or 1
    cache = ResultCache(options.cache_dir, cache_context(rules.sha256, options.ocr, options.limits)) \
        if options.cache_dir else None
    memo = HashMemo(options.cache_dir) if options.cache_dir else None
    set_cache_dir(options.cache_dir / "jieba" if options.cache_dir is not None else None)  # kept between runs
    checker = SubmissionChecker(rules, cache)
    gx = GXProcess(options.work_dir)
    try:
        with contextlib.ExitStack() as stack:  # on the way out: the executor, then the temp folder
            tmp = _run_folder(stack, options.work_dir)
            # Scanned pages' OCR is cached by page image in the run's cache, on this machine only.
            page_cache = ((os.path.abspath(cache.root), json.dumps(cache.context, sort_keys=True))
                          if cache is not None and options.executor == "local" else None)
            opts = ExtractOptions(limits=options.limits, ocr=options.ocr, page_cache=page_cache)
            executor = make_executor(options.executor, rules, opts,
                                     workers, tmp / "workers", options.scheduler)
            stack.callback(executor.close)
            cold = cache is None or not cache.dir.exists()
            if cold:  # every file will be read: the workers and GX initialise while the batch is discovered
                executor.start()
                gx.start()

            inputs = Discoverer(rules, tmp / "unpacked", options.limits, lazy=True).discover(Path(input_dir).absolute())
            clock.lap("discover")

            plan = plan_extraction(inputs, rules, options.limits, cache, memo, hash_here=not cold)
            clock.lap("hash_and_cache")
            if outputs is not None and len(plan.todo) >= OFFLOAD_MIN_PAGES:  # many pages to make at the end
                outputs.prestart(workers)
            if plan.todo:
                checker.warm_up()
                gx.start()
            else:
                executor.close()

            built = _extract(plan, inputs, executor, cache, memo, checker, rules, options)
            clock.lap("extract")

            submissions = assemble(inputs, plan.results, rules, built=built)
            clock.lap("assemble")
        checker.wait()
        clock.lap("validate_wait")
    except BaseException:
        gx.close()
        raise
    finally:
        checker.close()
    if cache is not None:
        cache.prune()
    if memo is not None:
        memo.save()

    try:
        expectations, prepared = checker.finish(submissions, gx)
    finally:
        gx.close()
    clock.lap("validate")
    clock.stages["outputs"] = checker.stats.records_seconds  # made while great_expectations ran
    clock.stages["validate"] -= checker.stats.records_seconds
    run = _run_record(input_dir, rules, options, clock, executor, plan, cache, memo, checker.stats, submissions)
    return CheckedBatch(BatchResult(run=run, submissions=submissions, expectations=expectations), prepared)


def _extract(plan: ExtractionPlan, inputs: list[SubmissionInput], executor: Executor, cache: ResultCache | None,
             memo: HashMemo | None, checker: SubmissionChecker, rules: Rules, options: RunOptions,
             ) -> dict[int, Submission]:
    """Read the plan's files; each submission whose files are all read is assembled and handed to the
    checker at once. Returns those submissions by input index (loose files wait to be grouped)."""
    built: dict[int, Submission] = {}
    unread = plan.unread_by_submission()
    tasks = dict(plan.todo)

    def arrived(si: int) -> None:
        if inputs[si].origin == "loose":  # grouped by content once every loose file is read
            return
        mine = {FileKey(0, fi): plan.results[FileKey(si, fi)] for fi in range(len(inputs[si].files))
                if FileKey(si, fi) in plan.results}
        built[si] = assemble([inputs[si]], mine, rules)[0]
        checker.submit(built[si])

    if options.progress and plan.total:
        options.progress(len(plan.results), plan.total)
    for si in range(len(inputs)):
        if si not in unread:
            arrived(si)
    try:
        for key, outcome in executor.outcomes(plan.todo) if plan.todo else ():
            res = plan.results[key] = outcome_result(tasks[key], outcome, options.limits)
            if cache is not None and cacheable(res) and res.source.sha256:
                cache.put(res.source.sha256, tasks[key].display, res)
            if memo is not None and not tasks[key].sha256 and res.source.sha256:  # hashed by its worker
                memo.put(plan.identities[key], res.source.sha256)
            unread[key.submission] -= 1
            if not unread[key.submission]:
                arrived(key.submission)
            if options.progress:
                options.progress(len(plan.results), plan.total)
    except PoolError as exc:
        raise EngineError(str(exc)) from exc
    return built


def _run_folder(stack: contextlib.ExitStack, work_dir: Path | None) -> Path:
    """The run's temp folder, removed on the way out. Absolute: workers run in folders of their own."""
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=f".run-{os.getpid()}-", dir=work_dir))
    return Path(os.path.abspath(tmp))


class _Clock:
    """The run's start, and the seconds each stage took."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self.t0 = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = now - self.last
        self.last = now


def _run_record(input_dir: Path, rules: Rules, options: RunOptions, clock: _Clock, executor: Executor,
                plan: ExtractionPlan, cache: ResultCache | None, memo: HashMemo | None, checks: CheckStats,
                submissions: list[Submission]) -> dict[str, Any]:
    """results.json's `run`: what ran, on what, how long, and the counts by status."""
    return {
        "tool": "pipeline",
        "version": __version__,
        "python": sys.version.split()[0],
        "rules_version": rules.version,
        "rules_source": rules.source,
        "rules_sha256": rules.sha256,
        "input": str(input_dir),
        "started": clock.started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - clock.t0, 3),
        "executor": options.executor,
        "unchanged": False,  # kept for readers of earlier results.json: every run now checks the batch
        "workers": executor.stats.workers,
        "files": plan.total,
        "files_extracted": len(plan.todo),
        "cache": {"enabled": cache is not None, "hits": cache.hits if cache else 0,
                  "hashes_reused": memo.hits if memo else 0},
        "validation": checks.as_run(),
        "worker_processes": executor.stats.worker_processes,  # more than `workers`: some were replaced
        "peak_worker_rss_mb": executor.stats.peak_worker_rss_mb,
        "submissions": len(submissions),
        "counts": {s: sum(1 for x in submissions if x.status == s) for s in ("pass", "warn", "review", "fail")},
        "shared_passages": shared_passages(submissions, rules),
        "stage_seconds": {k: round(v, 3) for k, v in clock.stages.items()},
    }
