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
run more threads than the machine has cores. What happens inside a worker is `pipeline.workerproc`.

Workers are plain subprocesses rather than multiprocessing children so the same pool also runs
inside Dask worker processes (which are daemonic and may not have multiprocessing children).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .workerproc import (
    CRASH_LOG,
    THREAD_VARS,
    Outcome,
    cpu_count,
    note_stage,
    read_frame,
    thread_budget,
    write_frame,
)

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
STARTUP_TIMEOUT_S = 120.0
MEMORY_POLL_S = 0.1  # how often the parent samples a busy worker's resident memory
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
log = logging.getLogger(__name__)
__all__ = ["IsolatedPool", "Outcome", "PoolError", "cpu_count", "note_stage", "resident_mb", "signal_name",
           "thread_budget"]


class PoolError(RuntimeError):
    """The pool itself cannot work (workers fail to start): an environment problem, not a file's."""


def signal_name(returncode: int | None) -> str:
    if returncode is None:
        return "未知原因"
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"信号 {-returncode}"
    return f"退出码 {returncode}"


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
            [sys.executable, "-c", "from pipeline.workerproc import child_main; child_main()"],
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
            write_frame(self.proc.stdin, init)
        except OSError:
            self._events.put((self, None))
            return
        fh = self.proc.stdout
        while True:
            try:
                msg = read_frame(fh)
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
        write_frame(self.proc.stdin, (0, arg))

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
            with open(os.path.join(self.tmp, CRASH_LOG), encoding="utf-8", errors="replace") as fh:
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

    `factory` is a module-level function (or its "module:function" name); each worker imports it and
    calls `function(payload)` once to build its handler
    and reuses it for every task. A task past `timeout_s` seconds has its worker killed and replaced;
    so is a worker whose resident memory goes over `memory_mb`. `depth` tasks are sent to a worker at
    a time (the running one and the next), so it goes on without waiting for the parent. `threads`:
    the native threads each worker may use (default: its share of the cores).
    """

    def __init__(self, factory: str | Callable[[Any], Callable], payload: Any, workers: int, timeout_s: float | None,
                 memory_mb: int | None, tmp_root: str | Path | None = None, tmp_parent: str | Path | None = None,
                 sys_path: list[str] | None = None, stderr: int | None = subprocess.DEVNULL, depth: int = 2,
                 threads: int | None = None):
        self.factory = factory if isinstance(factory, str) else f"{factory.__module__}:{factory.__qualname__}"
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
