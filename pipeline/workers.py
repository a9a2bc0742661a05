"""Isolated worker processes: one file's hang, crash or memory blow-up costs that file, not the batch.

concurrent.futures cannot stop one hung task, so this is a small pool of our own. Each worker is a
separate Python process (running `child_main`) talking length-prefixed pickles over its
stdin/stdout. The parent keeps one task queued behind the running one (so a worker never waits for
the parent between files) and gives the running task a deadline; past the deadline it kills the
worker's whole process group (LibreOffice children included), starts a fresh one and hands the
queued task on.

Memory is capped by what a worker really holds, not by what it reserves: a watcher thread in the
parent samples the resident memory of every busy worker's process tree (its anonymous pages, from
/proc) and kills a worker that goes over the cap. An address-space limit (RLIMIT_AS) at the cap made
OCR fail at random (issue #18): onnxruntime, OpenBLAS and glibc's per-thread malloc arenas reserve
about as much address space as a page of OCR really uses (a worker reading a 200-dpi scan: ~1.05 GB
resident at its peak, ~2.2 GB of address space), so a 2 GB RLIMIT_AS broke pages with
std::bad_alloc depending on which thread allocated when. RLIMIT_AS stays only as a far-off
backstop (the cap plus `ADDRESS_SPACE_HEADROOM_MB`), so one absurd allocation fails at once.

Each worker gets a share of the cores (`threads`, default cores // workers): its native thread pools
(onnxruntime, OpenMP, OpenBLAS) are sized from the environment the pool gives it, so N workers never
run more threads than the machine has cores. In the worker, core dumps are off, the working and temp
folders are a private folder the parent removes, faulthandler writes a native crash's Python stack
there for the parent to log, the `pipeline` loggers' records of a task travel back with its outcome
(the parent logs them, e.g. into OUT/logs/run.log), a task may say what stage it is in
(`note_stage`, e.g. "ocr") so a timeout, crash or memory kill can say what was going on, and an
alarm ends the worker even if the parent has gone.

Workers are plain subprocesses rather than multiprocessing children so the same pool also runs
inside Dask worker processes (which are daemonic and may not have multiprocessing children).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import os
import pickle
import queue
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

_HEADER = struct.Struct("!Q")
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
STARTUP_TIMEOUT_S = 120.0
ALARM_GRACE_S = 10  # the worker's own alarm fires this long after the parent's deadline
MEMORY_POLL_S = 0.1  # how often the parent samples a busy worker's resident memory
# RLIMIT_AS of a worker is its memory cap plus this: a backstop against one absurd allocation, far
# above the address space a reader reserves without using it (measured with OCR: ~1.2 GB).
ADDRESS_SPACE_HEADROOM_MB = 8192
# Environment variables that size native thread pools; a worker gets its share of the cores in each.
THREAD_VARS = ("PIPELINE_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_CRASH_LOG = "faulthandler.log"
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
log = logging.getLogger(__name__)


class PoolError(RuntimeError):
    """The pool itself cannot work (workers fail to start): an environment problem, not a file's."""


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


def _write_frame(fh: IO[bytes], obj: Any) -> None:
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


def _read_frame(fh: IO[bytes]) -> Any:
    """The next message, or raises EOFError when the other side has gone."""
    size = _HEADER.unpack(_read_exact(fh, _HEADER.size))[0]
    return pickle.loads(_read_exact(fh, size))


def _resolve(ref: str) -> Callable:
    module, _, name = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def signal_name(returncode: int | None) -> str:
    if returncode is None:
        return "未知原因"
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"信号 {-returncode}"
    return f"退出码 {returncode}"


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


def resident_mb(pid: int, depth: int = 3) -> float | None:
    """Anonymous resident memory (MB) of `pid` and the processes it started (a converter), from /proc:
    what the process holds, not the shared libraries' pages nor the address space it only reserved.
    None when it cannot be read (not Linux, or the process has gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            fields = fh.read().split()
        total = (int(fields[1]) - int(fields[2])) * _PAGE_BYTES  # resident - file-backed/shared = anonymous
    except (OSError, IndexError, ValueError):
        return None
    if depth:
        with contextlib.suppress(OSError, ValueError):
            with open(f"/proc/{pid}/task/{pid}/children", "rb") as fh:
                for child in fh.read().split():
                    total += (resident_mb(int(child), depth - 1) or 0.0) * 2**20
    return total / 2**20


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:
        return 0.0
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024


# ----------------------------------------------------------------------------------------------
# The worker side.


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
        _write_frame(_stage_out, ("stage", stage, restart_clock))
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
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the time limit still applies
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
        import ctypes

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
        init = _read_frame(proto_in)
    except EOFError:
        return
    tmp = init["tmp"]
    os.environ["TMPDIR"] = os.environ["TEMP"] = os.environ["TMP"] = tmp
    tempfile.tempdir = tmp
    os.chdir(tmp)
    sys.path[:0] = [p for p in init.get("sys_path", []) if p not in sys.path]
    _limit_self(init.get("memory_mb"))
    with contextlib.suppress(Exception):  # a native crash (SIGSEGV, abort) leaves its Python stack here
        import faulthandler

        faulthandler.enable(open(os.path.join(tmp, _CRASH_LOG), "w"))  # noqa: SIM115 - for the process' life
    task_log = _TaskLog()
    pipeline_log = logging.getLogger("pipeline")
    pipeline_log.addHandler(task_log)
    try:
        handler = _resolve(init["factory"])(init["payload"])
    except BaseException as exc:  # noqa: BLE001 - tell the parent why, then leave
        _write_frame(proto_out, ("failed", f"{type(exc).__name__}: {str(exc)[:300]}"))
        return
    alarm = math.ceil(init["timeout"]) + ALARM_GRACE_S if init.get("timeout") else 0
    global _alarm_s
    _alarm_s = alarm
    _write_frame(proto_out, ("ready", os.getpid()))
    while True:
        try:
            task_id, arg = _read_frame(proto_in)
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


# ----------------------------------------------------------------------------------------------
# The parent side.


@dataclass
class _Task:
    key: Hashable
    arg: Any
    started: float = math.inf  # set when the worker starts it (the previous task's reply has come)
    deadline: float = math.inf
    stage: str = ""  # what the worker said it is doing (note_stage)


class _Worker:
    """One worker process and the thread that feeds it its init message and reads its replies."""

    def __init__(self, wid: int, pool: IsolatedPool):
        self.tmp = tempfile.mkdtemp(prefix=f"w{wid}-", dir=pool.tmp_root)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # Whatever a library drops into the home folder (onnxruntime's device id, caches) lands in the
        # worker's own folder, which is removed with it.
        env["HOME"] = self.tmp
        for var, sub in (("XDG_CACHE_HOME", ".cache"), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share")):
            env[var] = os.path.join(self.tmp, sub)
        for var in THREAD_VARS:  # its share of the cores, whatever the caller's environment says
            env[var] = str(pool.threads)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from pipeline.workers import child_main; child_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=pool.stderr,
            cwd=self.tmp, env=env, start_new_session=(os.name == "posix"), bufsize=0,
        )
        self.ready = False
        self.dead = False
        self.stdin_closed = False  # it takes no more tasks
        self.over_memory: tuple[_Task, float] | None = None  # set by the watcher when it kills the worker
        self.tasks: deque[_Task] = deque()  # [0] is running; the rest wait in the worker's stdin
        self.started = time.monotonic()
        init = {"factory": pool.factory, "payload": pool.payload, "tmp": self.tmp, "timeout": pool.timeout_s,
                "memory_mb": pool.memory_mb, "sys_path": pool.sys_path}
        self._events = pool.events
        self.reader = threading.Thread(target=self._serve, args=(init,), daemon=True)
        self.reader.start()

    def _serve(self, init: dict) -> None:
        try:
            _write_frame(self.proc.stdin, init)
        except OSError:
            self._events.put((self, None))
            return
        fh = self.proc.stdout
        while True:
            try:
                msg = _read_frame(fh)
            except EOFError:
                self._events.put((self, None))
                return
            except Exception as exc:  # noqa: BLE001 - a garbled reply: treat the worker as dead
                self._events.put((self, ("garbled", repr(exc))))
                return
            self._events.put((self, msg))

    @property
    def task(self) -> _Task | None:
        """The running task (also read by the memory watcher's thread, hence no check-then-index)."""
        try:
            return self.tasks[0]
        except IndexError:
            return None

    def send(self, key: Hashable, arg: Any, timeout_s: float | None) -> None:
        task = _Task(key, arg)
        self.tasks.append(task)
        if len(self.tasks) == 1:
            self.start_clock(timeout_s)
        _write_frame(self.proc.stdin, (0, arg))

    def start_clock(self, timeout_s: float | None) -> None:
        """The first task in line is now running: its deadline counts from now."""
        now = time.monotonic()
        self.tasks[0].started = now
        self.tasks[0].deadline = now + timeout_s if timeout_s else math.inf

    def finish(self, timeout_s: float | None) -> _Task:
        """The running task has ended: the next one (already sent) starts."""
        done = self.tasks.popleft()
        if self.tasks:
            self.start_clock(timeout_s)
        return done

    def crash_log(self) -> str:
        """What faulthandler wrote when the worker died of a native fault ("" if nothing)."""
        try:
            with open(os.path.join(self.tmp, _CRASH_LOG), encoding="utf-8", errors="replace") as fh:
                return fh.read(20000).strip()
        except OSError:
            return ""

    def kill(self) -> None:
        """Kill the worker and everything it started (its own process group), then reap it."""
        self.dead = True
        if self.proc.poll() is None:
            try:
                if os.name == "posix":
                    os.killpg(self.proc.pid, signal.SIGKILL)
                else:
                    self.proc.kill()
            except (ProcessLookupError, PermissionError):
                pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=30)
        if os.name == "posix":  # children it left behind in its group (a converter) go too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        for fh in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                fh.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def close(self) -> None:
        """Ask an idle worker to leave (EOF on its stdin); kill it if it does not."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.kill()


class IsolatedPool:
    """Run `handler(arg)` for many args in worker processes, `workers` at a time.

    `factory` is "module:function"; each worker calls `function(payload)` once to build its handler
    and reuses it for every task. A task past `timeout_s` seconds has its worker killed and replaced;
    so is a worker whose resident memory goes over `memory_mb`. `depth` tasks are sent to a worker at
    a time (the running one and the next), so it goes on without waiting for the parent. `threads`:
    the native threads each worker may use (default: its share of the cores).
    """

    def __init__(self, factory: str, payload: Any, workers: int, timeout_s: float | None,
                 memory_mb: int | None, tmp_root: str | Path | None = None, tmp_parent: str | Path | None = None,
                 sys_path: list[str] | None = None, stderr: int | None = subprocess.DEVNULL, depth: int = 2,
                 threads: int | None = None):
        self.factory = factory
        self.payload = payload
        self.workers = max(1, workers)
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.threads = max(1, threads or cpu_count() // self.workers)
        # Without a `tmp_root`, the pool makes its own folder (inside `tmp_parent` if given, named like a
        # run's folder so a killed run's leftovers are cleaned) and removes it when closed.
        self._own_tmp = tmp_root is None
        if tmp_root is None:
            prefix = f".run-{os.getpid()}-workers-" if tmp_parent is not None else "pipeline-workers-"
            tmp_root = tempfile.mkdtemp(prefix=prefix, dir=tmp_parent)
        self.tmp_root = str(tmp_root)
        os.makedirs(self.tmp_root, exist_ok=True)
        self.sys_path = sys_path if sys_path is not None else [p for p in sys.path if p]
        self.stderr = stderr
        self.depth = max(1, depth)
        self.events: queue.Queue = queue.Queue()
        self._requeue: list[tuple[Hashable, Any]] = []  # tasks a retired worker had not started
        self._live: list[_Worker] = []
        self._next_id = 0
        self._startup_failures = 0
        self.started_workers = 0
        self.peak_worker_rss_mb = 0.0
        self._closed = threading.Event()
        self._watcher: threading.Thread | None = None

    def __enter__(self) -> IsolatedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _watch_memory(self) -> None:
        """Kill a busy worker whose process tree holds more than the cap (sampled every MEMORY_POLL_S).
        Its reader thread then sees it die, and the main loop reports the task as "memory"."""
        while not self._closed.wait(MEMORY_POLL_S):
            for w in list(self._live):
                task = w.task
                if task is None or w.dead or w.over_memory is not None or w.proc.returncode is not None:
                    continue
                mb = resident_mb(w.proc.pid)
                if mb is None or mb <= self.memory_mb:
                    continue
                w.over_memory = (task, mb)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if w.proc.returncode is None:
                        if os.name == "posix":
                            os.killpg(w.proc.pid, signal.SIGKILL)
                        else:
                            w.proc.kill()

    def close(self) -> None:
        self._closed.set()
        for w in self._live:
            if not w.tasks and not w.dead:
                w.close()
            else:
                w.kill()
        self._live.clear()
        if self._own_tmp:
            shutil.rmtree(self.tmp_root, ignore_errors=True)

    def _retire(self, w: _Worker) -> None:
        """Kill `w`; the tasks still waiting in its stdin go back in line for another worker."""
        w.kill()
        self._requeue.extend((t.key, t.arg) for t in w.tasks)
        w.tasks.clear()
        if w in self._live:
            self._live.remove(w)

    def _spawn(self) -> None:
        self._next_id += 1
        self.started_workers += 1
        self._live.append(_Worker(self._next_id, self))
        if self.memory_mb and self._watcher is None and sys.platform.startswith("linux"):
            self._watcher = threading.Thread(target=self._watch_memory, name="memory-watcher", daemon=True)
            self._watcher.start()

    def start(self) -> None:
        """Start the workers now rather than with the first task (so they initialise meanwhile)."""
        while len(self._live) < self.workers:
            self._spawn()

    def run(self, arg: Any) -> Outcome:
        """One task (the Dask path keeps a one-worker pool per Dask thread)."""
        return next(self.map_unordered([(0, arg)]))[1]

    def map_unordered(self, items: Iterable[tuple[Hashable, Any]]) -> Iterator[tuple[Hashable, Outcome]]:
        """Yield (key, Outcome) for every (key, arg) as tasks finish; never raises for a task's sake."""
        pending = deque(items)
        self._requeue.clear()
        while pending or any(w.tasks for w in self._live):
            for depth in range(1, self.depth + 1):  # every worker gets a running task before any gets a second
                for w in [w for w in self._live if w.ready and not w.stdin_closed and len(w.tasks) < depth]:
                    if not pending:
                        break
                    key, arg = pending.popleft()
                    try:
                        w.send(key, arg, self.timeout_s)
                    except OSError:  # it is leaving: its last replies and its exit arrive as events
                        w.tasks.pop()
                        w.stdin_closed = True
                        pending.appendleft((key, arg))
            for _ in range(min(self.workers - len(self._live), len(pending))):
                self._spawn()
            yield from self._next_event()
            pending.extendleft(reversed(self._requeue))
            self._requeue.clear()

    def _next_event(self) -> Iterator[tuple[Hashable, Outcome]]:
        """Handle one reply, death or deadline; yield the tasks it finished."""
        deadlines = [w.task.deadline for w in self._live if w.task]
        deadlines += [w.started + STARTUP_TIMEOUT_S for w in self._live if not w.ready]
        wait = max(0.0, min(deadlines) - time.monotonic()) + 0.01 if deadlines else None
        try:
            w, msg = self.events.get(timeout=None if wait is None or math.isinf(wait) else wait)
        except queue.Empty:
            w, msg = None, None
        if w is not None and not w.dead:
            yield from self._handle(w, msg)
        now = time.monotonic()
        for w in list(self._live):
            if w.task and now >= w.task.deadline:
                task = w.tasks.popleft()
                self._retire(w)
                yield task.key, Outcome(None, "timeout", f"超过 {self.timeout_s:g} 秒", self.timeout_s or 0.0,
                                        stage=task.stage)
            elif not w.ready and now >= w.started + STARTUP_TIMEOUT_S:
                self._retire(w)
                raise PoolError(f"解析进程 {STARTUP_TIMEOUT_S:.0f} 秒内未能启动")

    def _handle(self, w: _Worker, msg: Any) -> Iterator[tuple[Hashable, Outcome]]:
        kind = msg[0] if msg is not None else None
        if kind == "ready":
            w.ready = True
            self._startup_failures = 0
        elif kind == "stage":
            if w.task is not None:
                w.task.stage = str(msg[1])
                if len(msg) > 2 and msg[2] and self.timeout_s:  # the task restarts its clock (note_stage)
                    w.task.deadline = time.monotonic() + self.timeout_s
        elif kind == "done" and w.task is not None:
            outcome: Outcome = msg[2]
            self.peak_worker_rss_mb = max(self.peak_worker_rss_mb, outcome.peak_rss_mb)
            task = w.finish(self.timeout_s)
            if msg[3]:  # the worker leaves after this reply
                self._retire(w)
            if outcome.failure == "memory":
                outcome.detail = outcome.detail or f"超过 {self.memory_mb} MB"
            outcome.stage = outcome.stage or task.stage
            yield task.key, outcome
        elif kind == "failed":
            self._retire(w)
            raise PoolError(f"解析进程初始化失败: {msg[1]}")
        else:  # EOF or garbage: the worker is gone or going; let it finish dying to learn why
            task = w.tasks.popleft() if w.tasks else None
            with contextlib.suppress(subprocess.TimeoutExpired):
                w.proc.wait(timeout=5)
            crash = w.crash_log()
            self._retire(w)
            if task is not None and w.over_memory is not None and w.over_memory[0] is not task:
                self._requeue.insert(0, (task.key, task.arg))  # killed for the task before it, never started
            elif task is not None:
                elapsed = time.monotonic() - task.started
                if w.over_memory is not None:
                    outcome = Outcome(None, "memory", f"常驻内存 {w.over_memory[1]:.0f} MB，超过 {self.memory_mb} MB",
                                      elapsed, w.over_memory[1])
                else:
                    outcome = self._death_outcome(w.proc.returncode, elapsed)
                    if crash:
                        outcome.log.append((logging.ERROR, f"解析进程异常退出（{outcome.detail}），崩溃时的调用栈：\n{crash}"))
                outcome.stage = task.stage
                yield task.key, outcome
            elif not w.ready:
                self._startup_failures += 1
                if self._startup_failures >= 3:
                    raise PoolError(f"解析进程无法启动（{signal_name(w.proc.returncode)}）")

    def _death_outcome(self, rc: int | None, elapsed: float) -> Outcome:
        if rc is not None and rc < 0 and hasattr(signal, "SIGALRM") and -rc == signal.SIGALRM:
            return Outcome(None, "timeout", f"超过 {self.timeout_s:g} 秒", elapsed)
        return Outcome(None, "crash", signal_name(rc), elapsed)
