"""Validation: findings from the document model, never touching files.

Rules are declared records beside their check functions (see `registry.py`), grouped by theme:
`files` (unreadable files, missing attachments), `basic` (the form's basic information),
`sections` (lengths and keyword coverage), `letter` (附件2), `batch` (across submissions).
`expectations` then runs one great_expectations suite over the consolidated tables; its
unexpected rows become findings with the same rule ids, added only where the Python rules did
not already report the same (rule, field) for that submission.

`validate_batch` is `validate_submission` for each submission (which depends on that submission
alone, so the engine can run it as soon as a submission's files are read and reuse it by
`submission_digest`) followed by `validate_across`: batch rules and great_expectations.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from ..config import Rules
from ..explain import explain
from ..labels import FIELD_LABELS
from ..model import SEVERITY_ORDER, Finding, Note, Submission, to_jsonable
from . import basic, batch, files, gaps, letter, sections  # noqa: F401  (importing registers the rules)
from .expectations import run_expectations
from .registry import CHECKS, REGISTRY, Context, Prepared, catalogue_records

log = logging.getLogger(__name__)

__all__ = ["validate_batch", "validate_submission", "validate_across", "submission_digest", "submission_output",
           "apply_submission_output", "catalogue", "sort_findings"]


def _run_check(fn, c: Context) -> None:
    try:
        c.sub.findings.extend(fn(c))
    except Exception as exc:  # a rule must never stop the batch; the reviewer sees a note instead
        log.exception("check %s failed on %s", fn.__name__, c.sub.submission_id)
        ids = "、".join(getattr(fn, "rule_ids", ()))
        c.sub.notes.append(Note(f"校验规则 {ids} 执行出错，未能完成该项检查：{explain(exc, ids)}"))


def validate_submission(sub: Submission, rules: Rules, prep: Prepared | None = None) -> None:
    """Per-submission rules: section lengths and coverage first, then every rule whose document was read."""
    prep = prep or Prepared(rules)
    sub.findings = [f for f in sub.findings if f.rule not in REGISTRY]
    form_read = any(d.kind == "form" for d in sub.documents)
    letter_read = any(d.kind == "letter" for d in sub.documents)
    try:
        sections.prepare(sub, rules, prep, form_read)
    except Exception as exc:
        log.exception("section preparation failed on %s", sub.submission_id)
        sub.notes.append(Note(f"具体内容字数与关键词统计出错：{explain(exc, 'sections')}"))
    c = Context(sub, rules, prep)
    for scope, wanted in (("file", True), ("submission", True), ("form", form_read), ("letter", letter_read)):
        if wanted:
            for fn in CHECKS[scope]:
                _run_check(fn, c)
    gaps.settle(sub, rules)


def submission_digest(sub: Submission) -> str:
    """A hash of what an assembled submission was made from: its id, origin and grouping, its files
    (path and sha256 each), and the problems and notes its files gave.

    Within one cache context (rules file, code, OCR setting, limits) a file's documents follow from
    its bytes and path, so this determines everything `validate_submission` reads, without hashing
    the documents themselves (a file that failed this time differs by its problem).
    """
    ident = [sub.submission_id, sub.origin, sub.grouping, to_jsonable(sub.files), to_jsonable(sub.file_problems),
             to_jsonable(sub.notes), len(sub.documents)]
    data = json.dumps(ident, ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def submission_output(sub: Submission) -> dict[str, Any]:
    """What `validate_submission` set on a submission."""
    return {"findings": sub.findings, "notes": sub.notes, "section_lengths": sub.fields.get("section_lengths"),
            "coverage": sub.coverage}


def apply_submission_output(sub: Submission, out: dict[str, Any]) -> None:
    """Set a stored `submission_output` on the same (same digest) submission: as if validated again."""
    sub.findings = list(out["findings"])
    sub.notes = list(out["notes"])
    if out["section_lengths"] is not None:
        sub.fields["section_lengths"] = out["section_lengths"]
    sub.coverage = out["coverage"]


def _natural(text: str | None) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text or ""))


def form_place(field: str | None, section_keys: Sequence[str] = ()) -> tuple:
    """Where a field sits on the printed documents: the whole submission and its files first, then
    附件1's fields as printed (基本信息, 联合申报单位, the sections 一…七 in `section_keys`' order),
    then 附件2's; a field of neither last."""
    if not field:
        return (0,)
    key = field[len("sections."):] if field.startswith("sections.") else field
    if key in section_keys:
        return (1, _FORM_PLACE["sections"], list(section_keys).index(key))
    base = re.split(r"[\[.]", key, maxsplit=1)[0]
    if base in _FORM_PLACE:
        return (1, _FORM_PLACE[base], 0)
    return (2,)


_FORM_PLACE = {k: i for i, k in enumerate(FIELD_LABELS)}


def sort_findings(findings: list[Finding], section_keys: Sequence[str] = ()) -> list[Finding]:
    """Deterministic order: errors first, then the documents' order (`form_place`: files, 基本信息,
    具体内容 一…七 as rules [[sections]] lists them, the letter), then rule id, field and message."""
    return sorted(findings, key=lambda f: (-SEVERITY_ORDER[f.severity], form_place(f.field, section_keys), f.rule,
                                           _natural(f.field), f.message))


def add_unreported(sub: Submission, found: list[Finding]) -> int:
    """Add findings whose (rule, field) the submission does not have yet; returns how many were added."""
    have = {(f.rule, f.field) for f in sub.findings}
    added = 0
    for f in found:
        if (f.rule, f.field) not in have:
            sub.findings.append(f)
            have.add((f.rule, f.field))
            added += 1
    return added


def validate_batch(submissions: list[Submission], rules: Rules, *, expectations: bool = True) -> dict[str, Any] | None:
    """Validate every submission, then the batch; returns the great_expectations result (JSON-able)."""
    prep = Prepared(rules)
    for sub in submissions:
        validate_submission(sub, rules, prep)
    return validate_across(submissions, rules, prep, expectations=expectations)


def validate_across(submissions: list[Submission], rules: Rules, prep: Prepared | None = None, *,
                    expectations: bool = True, gx_cache: Any = None, gx_runner: Any = None,
                    meanwhile: Callable[[], None] | None = None) -> dict[str, Any] | None:
    """The batch part, on submissions `validate_submission` has seen: batch rules, great_expectations
    (its result reused from `gx_cache` when the tables are identical), then order and status.

    `meanwhile`, when the suites run in another process (`gx_runner`), is called while they run,
    with the submissions as they are without great_expectations' findings (ordered, with a status):
    the caller can make its outputs then and remake those of the few submissions the suites add a
    finding to."""
    prep = prep or Prepared(rules)
    gx_run = None
    if expectations:
        gx_run = partial(run_expectations, submissions, rules, prep, cache=gx_cache, runner=gx_runner)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipeline-gx") as pool:
        # The suites read the tables of fields, which the batch rules leave alone: when they run in
        # another process (`gx_runner`), this thread only waits for them, and the batch rules run
        # meanwhile. Their findings are merged below, after the batch rules', as before.
        gx_future = pool.submit(gx_run) if gx_run is not None and gx_runner is not None else None
        for fn in CHECKS["batch"]:
            try:
                for sub, finding in fn(submissions, rules, prep):
                    sub.findings.append(finding)
            except Exception as exc:
                log.exception("batch check %s failed", fn.__name__)
                for sub in submissions:
                    sub.notes.append(Note(f"批次规则 {'、'.join(fn.rule_ids)} 执行出错：{explain(exc, 'batch rules')}"))
        if meanwhile is not None and gx_future is not None:
            _order(submissions, rules)
            meanwhile()
        gx_result = gx_future.result() if gx_future is not None else None
    if gx_result is None and gx_run is not None:  # the suites run here, after the batch rules
        gx_result = gx_run()
    result: dict[str, Any] | None = None
    if gx_result is not None:
        result, gx_findings = gx_result
        by_id = {s.submission_id: s for s in submissions}
        added = 0
        for sid, found in gx_findings.items():
            if sid in by_id:
                added += add_unreported(by_id[sid], found)
        if result is not None:
            result["findings_added"] = added
    _order(submissions, rules)
    return result


def _order(submissions: list[Submission], rules: Rules) -> None:
    keys = tuple(s.key for s in rules.sections)
    for sub in submissions:
        gaps.settle(sub, rules)  # batch rules and the suites judge fields too
        sub.findings = sort_findings(sub.findings, keys)
        sub.compute_status()


def catalogue(rules: Rules) -> list[dict[str, Any]]:
    """The rule catalogue as records: id, severity, field, description (Chinese), scope, message."""
    return catalogue_records(rules)
