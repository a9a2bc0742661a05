"""What runs inside an isolated worker process (`child_main`), and the protocol both sides speak.

A worker is a plain Python process that reads length-prefixed pickles from its stdin and writes its
replies to its stdout (`write_frame` / `read_frame`); the pool that starts it is `pipeline.workers`.
In the worker, core dumps are off, the working and temp folders are a private folder the parent
removes, faulthandler writes a native crash's Python stack there for the parent to log, the
`pipeline` loggers' records of a task travel back with its outcome (the parent logs them, e.g. into
OUT/logs/run.log), a task may say what stage it is in (`note_stage`, e.g. "ocr") so a timeout, crash
or memory kill can say what was going on, and an alarm ends the worker even if the parent has gone.
Its native thread pools are sized from the environment the pool gives it (`THREAD_VARS`).

RLIMIT_AS is set only as a far-off backstop (the memory cap plus `ADDRESS_SPACE_HEADROOM_MB`): the
cap itself is on resident memory, watched by the parent (see `pipeline.workers`).
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import importlib
import logging
import math
import os
import pickle
import signal
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import IO, Any, NoReturn

resource: ModuleType | None
try:
    import resource
except ImportError:  # Windows
    resource = None

_HEADER = struct.Struct("!Q")
ALARM_GRACE_S = 10  # the worker's own alarm fires this long after the parent's deadline
# RLIMIT_AS of a worker is its memory cap plus this: a backstop against one absurd allocation, far
# above the address space a reader reserves without using it (measured with OCR: ~1.2 GB).
ADDRESS_SPACE_HEADROOM_MB = 8192
# Environment variables that size native thread pools; a worker gets its share of the cores in each.
THREAD_VARS = ("PIPELINE_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CRASH_LOG = "faulthandler.log"


@dataclass
class Outcome:
    """How one task ended. `failure` is None (value holds the task's return), "timeout", "memory",
    "crash" (the worker died; detail names the signal or exit code) or "error" (the task raised).
    `stage` is the last stage the task announced (`note_stage`), `log` the (level, text) records its
    `pipeline` loggers wrote (and a native crash's stack), for the parent to log."""

    value: Any = None
    failure: str | None = None
    detail: str = ""
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    stage: str = ""
    log: list[tuple[int, str]] = field(default_factory=list)


def write_frame(fh: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(_HEADER.pack(len(data)))
    fh.write(data)
    fh.flush()


def _read_exact(fh: IO[bytes], size: int) -> bytes:
    """`size` bytes (a pipe read may return fewer), or EOFError when the other side has gone."""
    parts, left = [], size
    while left:
        chunk = fh.read(left)
        if not chunk:
            raise EOFError
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def read_frame(fh: IO[bytes]) -> Any:
    """The next message, or raises EOFError when the other side has gone."""
    size = _HEADER.unpack(_read_exact(fh, _HEADER.size))[0]
    return pickle.loads(_read_exact(fh, size))


def resolve(ref: str) -> Callable:
    module, _, name = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def thread_budget() -> int:
    """Native threads a worker may use for one task (its share of the cores, see `THREAD_VARS`)."""
    try:
        return max(1, int(os.environ.get("PIPELINE_THREADS", "")))
    except ValueError:
        return cpu_count()


def _peak_rss_mb() -> float:
    if resource is None:
        return 0.0
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024


_stage_out: IO[bytes] | None = None  # the protocol's output while a task runs in this process
_alarm_s = 0  # the worker's own backstop alarm (seconds), re-armed when a task restarts its clock


def note_stage(stage: str, restart_clock: bool = False) -> None:
    """Tell the parent what the running task is doing now (e.g. "ocr"); a no-op outside a worker.
    A timeout, crash or memory kill of the task then reports this stage in its Outcome.

    `restart_clock`: the time limit counts afresh from now. For a step whose work is bounded by
    construction (OCR of one page: its image is capped in size), so that a long legitimate file
    (a 20-page scan) is limited per step rather than as a whole."""
    if _stage_out is None:
        return
    with contextlib.suppress(Exception):
        write_frame(_stage_out, ("stage", stage, restart_clock))
    if restart_clock and _alarm_s and hasattr(signal, "alarm"):
        signal.alarm(_alarm_s)


class _TaskLog(logging.Handler):
    """Collects what the `pipeline` loggers write during one task, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[int, str]] = []
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.records.append((record.levelno, self.format(record)))

    def take(self) -> list[tuple[int, str]]:
        out, self.records = self.records, []
        return out


def _limit_self(memory_mb: int | None) -> None:
    if resource is None:  # Windows: no rlimits; the time limit still applies
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb:  # a backstop only: the cap itself is on resident memory, watched by the parent
        limit = (memory_mb + ADDRESS_SPACE_HEADROOM_MB) * 2**20
        with contextlib.suppress(ValueError, OSError):
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard == resource.RLIM_INFINITY or hard >= limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the process that started it dies, even by SIGKILL."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the line above
            os._exit(1)


def child_main() -> None:
    """Serve tasks until stdin closes. The protocol owns the original stdin/stdout; library prints go nowhere."""
    _die_with_parent()
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    try:
        init = read_frame(proto_in)
    except EOFError:
        return
    tmp = init["tmp"]
    os.environ["TMPDIR"] = os.environ["TEMP"] = os.environ["TMP"] = tmp
    tempfile.tempdir = tmp
    os.chdir(tmp)
    sys.path[:0] = [p for p in init.get("sys_path", []) if p not in sys.path]
    _limit_self(init.get("memory_mb"))
    with contextlib.suppress(Exception):  # a native crash (SIGSEGV, abort) leaves its Python stack here
        faulthandler.enable(open(os.path.join(tmp, CRASH_LOG), "w"))  # noqa: SIM115 - for the process' life
    task_log = _TaskLog()
    pipeline_log = logging.getLogger("pipeline")
    pipeline_log.addHandler(task_log)
    try:
        handler = resolve(init["factory"])(init["payload"])
    except BaseException as exc:  # noqa: BLE001 - tell the parent why, then leave
        write_frame(proto_out, ("failed", f"{type(exc).__name__}: {str(exc)[:300]}"))
        return
    alarm = math.ceil(init["timeout"]) + ALARM_GRACE_S if init.get("timeout") else 0
    global _alarm_s
    _alarm_s = alarm
    write_frame(proto_out, ("ready", os.getpid()))
    while True:
        try:
            task_id, arg = read_frame(proto_in)
        except EOFError:
            _leave()
        if alarm and hasattr(signal, "alarm"):
            signal.alarm(alarm)  # a backstop: the parent normally kills a late worker first
        started = time.perf_counter()
        failure, detail, value, recycle = None, "", None, False
        global _stage_out
        _stage_out = proto_out
        try:
            value = handler(arg)
        except MemoryError:
            failure, recycle = "memory", True
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, never fatal to the pool
            failure, detail = "error", f"{type(exc).__name__}: {str(exc)[:300]}"
            with contextlib.suppress(Exception):
                pipeline_log.error("task raised", exc_info=exc)
        finally:
            _stage_out = None
        seconds = time.perf_counter() - started
        records = task_log.take()
        del arg
        try:
            data = pickle.dumps(("done", task_id, Outcome(value, failure, detail, seconds, _peak_rss_mb(), log=records),
                                 recycle), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            value, recycle = None, True
            data = pickle.dumps(("done", task_id, Outcome(None, "memory", "", seconds, 0.0), recycle))
        except Exception as exc:  # noqa: BLE001 - an unpicklable result
            data = pickle.dumps(("done", task_id, Outcome(None, "error", f"结果无法传回: {type(exc).__name__}", seconds, 0.0,
                                                          log=records), recycle))
        if hasattr(signal, "alarm"):
            signal.alarm(0)
        proto_out.write(_HEADER.pack(len(data)))
        proto_out.write(data)
        proto_out.flush()
        if recycle:  # after a MemoryError the heap may be half-initialised: let the parent start afresh
            return


def _leave() -> NoReturn:
    """Exit at once once the parent has closed our stdin: every reply is already written and flushed,
    and the interpreter's teardown (0.4-0.5 s with great_expectations loaded) would only keep the
    parent waiting in `close`. The temp folder is the parent's to remove."""
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(0)
