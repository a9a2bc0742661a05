"""great_expectations in a worker process of its own, for the batch's data-quality suites.

Started when a run has files to read, it imports GX while the files are read; GX's memory stays
out of the parent, and a GX crash or hang costs the data-quality checks (a note in the results),
not the run. `validate.validate_across` calls it as its `gx_runner`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .validate.expectations import make_gx_handler
from .workers import IsolatedPool

GX_TIMEOUT_S = 1800.0  # the great_expectations suites over a whole batch's tables
_GX_FAILURES = {"timeout": "超时", "crash": "异常退出", "memory": "内存不足"}


class GXProcess:
    """The GX worker (`validate.expectations.make_gx_handler`, which lowers its own CPU priority),
    started on first use or by `start`; its folder is inside the run's work folder. Called with the
    suites' arguments, it returns their result or raises RuntimeError saying how the process failed."""

    def __init__(self, work_dir: Path | None):
        self.work_dir = work_dir
        self.pool: IsolatedPool | None = None

    def start(self) -> None:
        if self.pool is None:
            self.pool = IsolatedPool(make_gx_handler, None, 1, GX_TIMEOUT_S, None,
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

