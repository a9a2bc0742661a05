"""Publishing a batch's outputs into OUT: rendered into a staging folder, then swapped in whole.

A run killed while rendering leaves the previous outputs untouched: files are replaced by
os.replace and the reports folder by an atomic exchange where the OS offers one (Linux). Also here:
the run's private temp folder inside OUT, the cleaning of what a killed run left there, and the
output processes that render a share of the pages while the parent writes the workbook.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .config import Rules
from .model import BatchResult
from .report import Prepared, make_output_worker, write_outputs
from .report.notices import remove_notices
from .workers import IsolatedPool

OUTPUT_TIMEOUT_S = 600.0  # one output task: the workbook, or a few dozen pages


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
    """Worker processes that make a share of the pages and notices while the parent makes the
    workbook and the rest (report.write_outputs' `offload`). As many as the run has file workers (at most the cores);
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
            self.pool = IsolatedPool(make_output_worker, self.rules, size, OUTPUT_TIMEOUT_S, None,
                                     tmp_parent=self.out_dir)
        return self.pool

    def start(self, tasks: list[tuple[Any, Any]]) -> OutputHandle:
        return OutputHandle(self._pool(min(self.size, len(tasks))), tasks, self.close)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def __enter__(self) -> OutputProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OutputHandle:
    """The output processes' share of the pages and notices, made in a thread that waits for them."""

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


def publish_outputs(result: BatchResult, out_dir: Path, rules: Rules, prepared: Prepared | None = None,
                    processes: OutputProcesses | None = None, notices: bool = False) -> dict[str, Path]:
    """Render every output into a staging folder inside OUT, then move each into place by rename.

    A run killed while rendering leaves the previous outputs untouched; files are replaced by
    os.replace and the reports folder by an atomic exchange where the OS offers one (Linux).
    `prepared`: what the run made on its way (records, pages, the page store). `processes`: the
    run's output processes (started early by the engine if the batch needed them; else started
    here if it does). `notices`: make OUT/notices (report.notices); without, old ones are removed.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=out_dir))
    try:
        processes = processes or OutputProcesses(rules, out_dir)
        if not processes.ready:  # as many as the run had file workers, at most the cores
            processes.size = max(1, min(int(result.run.get("workers") or 1), os.cpu_count() or 1))
        with processes:
            staged = write_outputs(result, staging, rules, prepared, staged=True, offload=processes,
                                   notices=notices)
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
        if not notices:
            remove_notices(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {k: out_dir / Path(v).relative_to(staging) if Path(v).is_relative_to(staging) else Path(v)
            for k, v in staged.items()}


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
