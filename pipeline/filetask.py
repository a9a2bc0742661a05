"""One file's extraction as a task for a worker process, and its outcome as a FileResult.

What runs in a worker (`make_extractor`, `extract_task`) and how the parent turns a worker's
`Outcome` into a `FileResult` (`outcome_result`): a timeout, memory blow-up or crash becomes a
FILE_UNREADABLE problem (EXTRACTION_INCOMPLETE when it happened while OCR read a scan), so the batch
goes on. Kept apart from the engine so a worker imports only the extractors, never the validators
or reports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .config import Rules
from .extract import ExtractOptions, detect_format, extension_of, extract_file, sha256_of
from .model import FileProblem, FileResult, SourceFile
from .safety import Limits, check_size
from .workers import IsolatedPool, Outcome

# Problems that depend on the machine (its load, its free memory), not on the file: never cached.
_TRANSIENT = ("处理超时", "内存超限", "解析进程异常退出", "内部错误", "文字识别失败", "文字识别超出时间限制")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractTask:
    """One file for a worker: a path it can read, or the bytes themselves (Dask workers elsewhere)."""

    display: str  # path inside the submission
    suffix: str  # the file's suffix as stored (".docx"), so the extractor sees the same name everywhere
    sha256: str
    size: int
    path: str | None = None
    data: bytes | None = None



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
    with IsolatedPool(make_extractor, (rules, options), 1, limits.file_timeout_s,
                      limits.memory_mb) as pool:
        return outcome_result(task, pool.run(task), limits)


def cacheable(res: FileResult) -> bool:
    """False for a result that depends on the machine (its load, its free memory), not on the file."""
    return not any(marker in p.reason for p in res.problems for marker in _TRANSIENT)

