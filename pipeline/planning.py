"""Planning a batch's extraction: which files are read, which come from the cache, which are refused.

For every discovered file: an unsupported extension is FILE_UNSUPPORTED, a file over the size limit
is refused unread, a file whose content hash is in the cache takes its result from there, and the
rest become `ExtractTask`s for the executor. A file's sha256 comes from the hash memo when its stat
identity is unchanged since a run hashed it (so it is neither read nor unpacked). Files are addressed by `FileKey` (their submission's
and their own index in discovery's lists), the key `assemble` expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .cache import HashMemo, ResultCache
from .config import Rules
from .discover import Discoverer, InputFile, SubmissionInput
from .explain import explain
from .extract import sha256_of
from .filetask import ExtractTask, refused_result
from .model import FileProblem, FileResult
from .safety import Limits, check_size


class FileKey(NamedTuple):
    submission: int  # index in discovery's list of submissions
    file: int  # index in that submission's files


@dataclass
class ExtractionPlan:
    """Results known before any file is read (cached or refused), and the files left to read."""

    results: dict[FileKey, FileResult] = field(default_factory=dict)
    todo: list[tuple[FileKey, ExtractTask]] = field(default_factory=list)
    identities: dict[FileKey, tuple[int, ...] | None] = field(default_factory=dict)  # of the files to read

    @property
    def total(self) -> int:
        """Files with a result, read or to be read."""
        return len(self.results.keys() | {key for key, _task in self.todo})

    def unread_by_submission(self) -> dict[int, int]:
        """How many files each submission still waits for (submissions waiting for none are left out)."""
        unread: dict[int, int] = {}
        for key, _task in self.todo:
            unread[key.submission] = unread.get(key.submission, 0) + 1
        return unread


def plan_extraction(inputs: list[SubmissionInput], rules: Rules, limits: Limits, cache: ResultCache | None,
                    memo: HashMemo | None, hash_here: bool) -> ExtractionPlan:
    """Every readable file's result from the cache or a task. Without `hash_here` (nothing can come
    from the cache), files are left for their workers to hash as they read them."""
    plan = ExtractionPlan()
    for si, sin in enumerate(inputs):
        for fi, f in enumerate(sin.files):
            if f.problem is not None or f.real_path is None:
                continue
            if not supported(f, rules):
                f.problem = unsupported(f.rel_path)
                continue
            task, res = _plan_file(f, limits, cache, memo, hash_here)
            if f.problem is not None:  # a zip member that could not be unpacked
                continue
            if res is not None:
                plan.results[FileKey(si, fi)] = res
            else:
                plan.todo.append((FileKey(si, fi), task))
                plan.identities[FileKey(si, fi)] = f.identity
    return plan


def _plan_file(f: InputFile, limits: Limits, cache: ResultCache | None, memo: HashMemo | None,
               hash_here: bool) -> tuple[ExtractTask, FileResult | None]:
    """Size check before reading, one hash per file (none for a file the memo knows unchanged), then
    the cache. A zip member is unpacked only to be hashed or read; one that cannot be gets its
    `problem` set (the caller lists it as discovery would have)."""
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


def supported(f: InputFile, rules: Rules) -> bool:
    """By extension. A .zip listed as a file (not unpacked) is one discovery found to be a Word
    package under a .zip name: it is read, by its content."""
    ext = f.rel_path.rsplit(".", 1)[-1].lower() if "." in f.rel_path else ""
    return ext in rules.raw["files"]["supported"]


def unsupported(rel_path: str) -> FileProblem:
    ext = rel_path.rsplit(".", 1)[-1] if "." in rel_path else ""
    what = f".{ext} 文件" if ext else "无扩展名的文件"
    return FileProblem("FILE_UNSUPPORTED", f"不支持的文件类型（{what}），已列出并忽略")
