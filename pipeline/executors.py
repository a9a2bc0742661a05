"""Executors: where the files' extraction tasks run, each behind the same small interface.

`LocalExecutor` runs them in isolated worker processes on this machine (`pipeline.workers`);
`DaskExecutor` ships each file's bytes to a Dask cluster, where every Dask thread keeps one such
isolated worker. Both yield `(key, Outcome)` for `(key, ExtractTask)` items as tasks finish, so
results do not depend on where, or on how many workers, they were computed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import threading
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .cache import code_fingerprint
from .config import Rules
from .explain import explain
from .extract import ExtractOptions
from .filetask import ExtractTask, make_extractor
from .safety import Limits
from .workers import IsolatedPool, Outcome

Key = Hashable


class EngineError(RuntimeError):
    """The run cannot proceed (no workers, no cluster): reported by the CLI as a usage error."""


@dataclass
class ExecutorStats:
    """What a run reports of its executor."""

    workers: int  # parallel tasks (a cluster's threads for Dask)
    worker_processes: int = 0  # processes started; more than `workers` when some were replaced
    peak_worker_rss_mb: float | None = None


class Executor(Protocol):
    stats: ExecutorStats

    def start(self) -> None:
        """Start the workers now, so they initialise while the parent does other work."""

    def outcomes(self, items: list[tuple[Key, ExtractTask]]) -> Iterator[tuple[Key, Outcome]]:
        """(key, Outcome) for every (key, task), in the order they finish; never raises for a file's sake."""

    def close(self) -> None:
        """Stop the workers (also when `outcomes` was never called)."""


class LocalExecutor:
    """Isolated worker processes on this machine, in folders below `tmp_root`."""

    def __init__(self, rules: Rules, options: ExtractOptions, workers: int, tmp_root: Path):
        self.payload = (rules, options)
        self.limits = options.limits
        self.tmp_root = tmp_root
        self.stats = ExecutorStats(workers)
        self.pool: IsolatedPool | None = None

    def _pool(self, workers: int) -> IsolatedPool:
        if self.pool is None:
            stderr = None if os.environ.get("PIPELINE_WORKER_STDERR") else subprocess.DEVNULL
            self.pool = IsolatedPool(make_extractor, self.payload, workers, self.limits.file_timeout_s,
                                     self.limits.memory_mb, tmp_root=self.tmp_root, stderr=stderr)
        return self.pool

    def start(self) -> None:
        self._pool(self.stats.workers).start()

    def outcomes(self, items: list[tuple[Key, ExtractTask]]) -> Iterator[tuple[Key, Outcome]]:
        """The pool started early is used as it is; else one of at most as many workers as tasks."""
        pool = self._pool(min(self.stats.workers, len(items)))
        try:
            yield from pool.map_unordered(items)
            self.stats.worker_processes = pool.started_workers
            self.stats.peak_worker_rss_mb = round(pool.peak_worker_rss_mb, 1)
        finally:
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


class DaskExecutor:
    """A Dask cluster at `scheduler` (the optional extra '.[cluster]')."""

    def __init__(self, rules: Rules, options: ExtractOptions, scheduler: str | None, workers: int):
        self.payload = (rules, options)
        self.limits = options.limits
        self.scheduler = scheduler
        self.stats = ExecutorStats(workers)

    def start(self) -> None:
        """The cluster's workers are already running."""

    def outcomes(self, items: list[tuple[Key, ExtractTask]]) -> Iterator[tuple[Key, Outcome]]:
        return _dask_outcomes(items, self.payload, self.limits, self.scheduler, self.stats)

    def close(self) -> None:
        """Each batch's client is closed when its outcomes are done."""


def make_executor(kind: str, rules: Rules, options: ExtractOptions, workers: int, tmp_root: Path,
                  scheduler: str | None = None) -> Executor:
    if kind == "local":
        return LocalExecutor(rules, options, workers, tmp_root)
    if kind == "dask":
        return DaskExecutor(rules, options, scheduler, workers)
    raise EngineError(f"未知的执行方式: {kind}")


# ----------------------------------------------------------------------------------------------
# Dask: runs on the cluster's workers.


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
        pool = IsolatedPool(make_extractor, payload, 1, timeout_s, memory_mb, threads=1)
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
        from distributed import Client  # an optional extra ('.[cluster]')
    except ImportError as exc:
        raise EngineError("使用 --executor dask 需要安装 dask[distributed]（pip install '.[cluster]'）") from exc
    if not scheduler:
        raise EngineError("使用 --executor dask 时须用 --scheduler 指定调度器地址，例如 tcp://10.0.0.5:8786")
    try:
        return Client(scheduler)  # connect timeout: dask config distributed.comm.timeouts.connect
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad address
        raise EngineError(f"无法连接 Dask 调度器 {scheduler}：{explain(exc, scheduler)}") from exc


def _dask_outcomes(items: list[tuple[Key, ExtractTask]], payload: tuple, limits: Limits,
                   scheduler: str | None, stats: ExecutorStats) -> Iterator[tuple[Key, Outcome]]:
    """Ship each file's bytes to the cluster (no shared filesystem needed), a bounded number in flight."""
    from distributed import as_completed  # an optional extra ('.[cluster]')

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
        stats.workers = threads
        token = hashlib.sha256(mine.encode() + repr((payload[0].sha256, payload[1])).encode()).hexdigest()
        [payload_f] = client.scatter([payload], broadcast=True, hash=False)
        queue_ = list(reversed(items))
        keys: dict[Any, Key] = {}
        done = as_completed()

        unreadable: list[tuple[Key, Outcome]] = []

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

