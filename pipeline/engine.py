"""The batch engine: discover → extract (in worker processes) → assemble → validate → report."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .assemble import assemble
from .config import Rules
from .discover import Discoverer, InputFile
from .extract import ExtractOptions, extract_file
from .model import BatchResult, FileResult
from .safety import Limits


@dataclass
class RunOptions:
    workers: int | None = None  # None: the machine's cores
    limits: Limits = field(default_factory=Limits)
    ocr: bool = True
    progress: Callable[[int, int], None] | None = None  # called with (done, total) files


_WORKER_RULES: Rules | None = None


def _init_worker(rules: Rules) -> None:
    global _WORKER_RULES
    _WORKER_RULES = rules


def _extract_task(args: tuple[Path, str, ExtractOptions]) -> FileResult:
    path, display, opts = args
    assert _WORKER_RULES is not None
    return extract_file(path, display, _WORKER_RULES, opts)


def _map_files(tasks: list[tuple[Path, str, ExtractOptions]], rules: Rules, workers: int) -> Iterator[FileResult]:
    if workers <= 1 or len(tasks) <= 1:
        _init_worker(rules)
        yield from map(_extract_task, tasks)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(rules,)) as pool:
        yield from pool.map(_extract_task, tasks, chunksize=1)


def run_batch(input_dir: Path, rules: Rules, options: RunOptions | None = None) -> BatchResult:
    """Check every submission in `input_dir`; returns results without writing anything."""
    from .validate import validate_batch

    options = options or RunOptions()
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    workers = options.workers or os.cpu_count() or 1
    stage: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="pipeline-run-") as tmp:
        inputs = Discoverer(rules, Path(tmp), options.limits).discover(input_dir)
        opts = ExtractOptions(limits=options.limits, ocr=options.ocr)
        keys: list[tuple[int, int]] = []
        tasks: list[tuple[Path, str, ExtractOptions]] = []
        for si, sin in enumerate(inputs):
            for fi, f in enumerate(sin.files):
                if _needs_extraction(f, rules):
                    keys.append((si, fi))
                    tasks.append((f.real_path, f.rel_path, opts))
                elif f.problem is None and f.real_path is not None:
                    ext = f.rel_path.rsplit(".", 1)[-1] if "." in f.rel_path else ""
                    f.problem = _unsupported(ext)
        stage["discover"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        results: dict[tuple[int, int], FileResult] = {}
        for n, (key, res) in enumerate(zip(keys, _map_files(tasks, rules, workers), strict=True), 1):
            results[key] = res
            if options.progress:
                options.progress(n, len(tasks))
        stage["extract"] = time.perf_counter() - t1
        submissions = assemble(inputs, results, rules)
    t2 = time.perf_counter()
    expectations = validate_batch(submissions, rules)
    stage["validate"] = time.perf_counter() - t2
    counts = {s: sum(1 for x in submissions if x.status == s) for s in ("pass", "warn", "fail")}
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
        "workers": workers,
        "files": len(tasks),
        "submissions": len(submissions),
        "counts": counts,
        "stage_seconds": {k: round(v, 3) for k, v in stage.items()},
    }
    return BatchResult(run=run, submissions=submissions, expectations=expectations)


def _needs_extraction(f: InputFile, rules: Rules) -> bool:
    if f.problem is not None or f.real_path is None:
        return False
    ext = f.rel_path.rsplit(".", 1)[-1].lower() if "." in f.rel_path else ""
    return ext in rules.raw["files"]["supported"] and ext != "zip"


def _unsupported(ext: str):
    from .model import FileProblem

    what = f".{ext} 文件" if ext else "无扩展名的文件"
    return FileProblem("FILE_UNSUPPORTED", f"不支持的文件类型（{what}），已列出并忽略")
