"""The validation stage of a run: each submission checked as soon as its files are read, then the batch.

While workers read files, the parent validates every submission whose files are all read, in one
background thread (so the pool is never kept waiting), and renders its page ahead when no other
submission can change it (no shared batch signal: duplicates, copied narratives). A submission's
own validation is reused from the cache when the assembled submission is the same
(`validate.submission_digest`). The batch rules and great_expectations run once everything is
assembled; the submissions' output records are made while great_expectations runs, and made again
for those it changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from . import __version__
from .cache import ResultCache
from .config import Rules
from .gxprocess import GXProcess
from .model import Submission, to_jsonable
from .report import Prepared, SubmissionOutput, submission_json, submission_outputs
from .report.pages import PageStore, page_ahead
from .validate import (
    apply_submission_output,
    sort_findings,
    submission_digest,
    submission_output,
    validate_across,
    validate_submission,
)
from .validate.batch import batch_signals
from .validate.coverage import rules_tokenizer
from .validate.registry import Prepared as PreparedRules


@dataclass
class CheckStats:
    """What the run record says of validation."""

    validated: int = 0
    reused: int = 0
    seconds: float = 0.0
    page_seconds: float = 0.0
    deferred: int = 0  # pages not made ahead: a batch rule could still change them
    records_seconds: float = 0.0

    def as_run(self) -> dict[str, Any]:
        return {"submissions_validated": self.validated, "submissions_reused": self.reused,
                "seconds": round(self.seconds, 3), "pages_ahead_seconds": round(self.page_seconds, 3),
                "pages_deferred": self.deferred}


@dataclass
class _Before:
    """A submission as its own validation left it, before the batch rules."""

    key: str
    finding_ids: set[int]
    notes: int


@dataclass
class SubmissionChecker:
    """Per-submission validation (reused from the cache), pages made ahead, and the batch at the end."""

    rules: Rules
    cache: ResultCache | None
    stats: CheckStats = field(default_factory=CheckStats)

    def __post_init__(self) -> None:
        self.prep = PreparedRules(self.rules)
        self.pages = PageStore(self.cache)
        self.ahead: dict[str, tuple[str, bytes]] = {}  # submission id → (digest, page made ahead)
        self.signals: set[tuple] = set()  # batch_signals of the submissions seen so far
        self.before: dict[int, _Before] = {}  # by id(sub)
        self.seen: set[int] = set()  # id(sub) of every submission validated
        # What a page shows of the run is known before the run ends (report.html._report_run_view).
        self.page_run = {"version": __version__, "rules_version": self.rules.version, "rules_sha256": self.rules.sha256}
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipeline-validate")
        self._futures: list[Future] = []

    # -- while files are read

    def warm_up(self) -> None:
        """Build the tokenizer (a second or so) in the background while files are read."""
        self._futures.append(self._background.submit(self._warm_up))

    def _warm_up(self) -> None:
        with contextlib.suppress(Exception):  # validation reports a tokenizer failure as a note
            rules_tokenizer(self.rules, self.prep)

    def submit(self, sub: Submission) -> None:
        """Validate `sub` (all its files are read) and make its page, in the background."""
        self._futures.append(self._background.submit(self._validate_and_render, sub))

    def wait(self) -> None:
        """Wait for the background work; re-raises its first failure."""
        for fut in self._futures:
            fut.result()

    def close(self) -> None:
        self._background.shutdown(wait=True, cancel_futures=True)

    def validate(self, sub: Submission) -> None:
        t0 = time.perf_counter()
        self.seen.add(id(sub))
        key = submission_digest(sub) if self.cache is not None else None
        stored = self.cache.get_value("validation", key) if self.cache is not None else None
        if stored is not None:
            apply_submission_output(sub, stored)
            self.stats.reused += 1
        else:
            validate_submission(sub, self.rules, self.prep)
            self.stats.validated += 1
            if self.cache is not None:
                self.cache.put_value("validation", key, submission_output(sub))
        if key is not None:  # what the batch rules add is told apart from this afterwards
            self.before[id(sub)] = _Before(key, {id(f) for f in sub.findings}, len(sub.notes))
        self.stats.seconds += time.perf_counter() - t0

    def _validate_and_render(self, sub: Submission) -> None:
        self.validate(sub)
        t0 = time.perf_counter()
        signals = batch_signals(sub, self.rules, self.prep)
        shared = not signals.isdisjoint(self.signals)
        self.signals |= signals
        if shared:  # a duplicate or a copied narrative: the batch rules will change its page
            self.stats.deferred += 1
            self.stats.page_seconds += time.perf_counter() - t0
            return
        # as validate_across leaves them when it adds nothing
        sub.findings = sort_findings(sub.findings, tuple(s.key for s in self.rules.sections))
        sub.compute_status()
        self.ahead[sub.submission_id] = page_ahead(submission_json(sub), self.rules, self.page_run, self.pages)
        self.stats.page_seconds += time.perf_counter() - t0

    # -- once every submission is assembled

    def finish(self, submissions: list[Submission], gx: GXProcess) -> tuple[dict[str, Any] | None, Prepared]:
        """Validate what was not validated early, then the batch; the GX result and the outputs made
        meanwhile (each submission's record, the pages made ahead)."""
        for sub in submissions:
            if id(sub) not in self.seen:
                self.validate(sub)
        records: dict[str, SubmissionOutput] = {}
        made_from: dict[str, tuple] = {}

        def make_records(subs: list[Submission]) -> None:
            t = time.perf_counter()
            keys = {s.submission_id: self.final_key(s) for s in subs} if self.cache is not None else None
            records.update(submission_outputs(submissions, self.rules, self.page_run, self.cache, keys,
                                              only={s.submission_id for s in subs}))
            made_from.update({s.submission_id: _output_state(s) for s in subs})
            self.stats.records_seconds += time.perf_counter() - t

        # The records are made while great_expectations runs; those it then changes are made again.
        expectations = validate_across(submissions, self.rules, self.prep, gx_cache=self.cache, gx_runner=gx,
                                       meanwhile=lambda: make_records(submissions))
        stale = [s for s in submissions if made_from.get(s.submission_id) != _output_state(s)]
        if stale or not made_from:
            make_records(stale)
        return expectations, Prepared(records, self.ahead, self.pages)

    def final_key(self, sub: Submission) -> str | None:
        """A hash of a submission's final state: what it was validated from, plus what the batch rules
        added (the findings are then sorted and the status follows, so order does not matter)."""
        before = self.before.get(id(sub))
        if before is None:
            return None
        added = [f for f in sub.findings if id(f) not in before.finding_ids]
        data = json.dumps([before.key, to_jsonable(added), to_jsonable(sub.notes[before.notes:])], ensure_ascii=False,
                          sort_keys=True, default=repr)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _output_state(sub: Submission) -> tuple:
    """What a submission's output record could have changed by since it was made: great_expectations
    only adds findings (and with them perhaps the status)."""
    return sub.status, len(sub.notes), tuple(map(id, sub.findings))
