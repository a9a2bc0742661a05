"""great_expectations over the consolidated tables: one row per submission, one per joint unit.

The suite is built from the rules file (required columns, code patterns, section limits, allowed
directions and natures, uniqueness of lead code + scenario name, joint-unit limits), each
expectation carrying the rule id and field it stands for in its `meta`. Unexpected rows become
findings with those ids; the caller adds them only where the Python rules did not already report
the same (rule, field), so nothing is reported twice.

GX is imported and its ephemeral context built once per process (importing costs ~2–3 s), with
analytics and progress bars off; each batch is one validation run per table. The result depends only
on the two tables (and the rules and code), so a cache may hand back the result of identical tables.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import Rules
from ..model import Finding, Submission
from ..normalise import code_key, name_key
from .basic import joint_units, unit_identity
from .registry import REGISTRY, Context, Prepared, severity_of
from .text import as_list, as_text, is_blank

log = logging.getLogger(__name__)

SUBMISSIONS, JOINT_UNITS = "submissions", "joint_units"
# Format of a code (the check characters are the Python rule's business): 18 chars in the
# GB 32100 charset, or an 8-char body plus 0-9/X.
CODE_REGEX = r"^(?:[0-9A-HJ-NP-RT-UW-Y]{18}|[0-9A-Z]{8}[0-9X])$"
GX_SEVERITY = {"error": "critical", "review": "warning", "warning": "warning", "info": "info"}

_STATE: dict[str, Any] = {}
_GX_LOCK = threading.Lock()  # a background warm-up and the run may both ask for it


@dataclass
class GX:
    gx: Any
    context: Any
    batch_definitions: dict[str, Any]
    import_seconds: float


def _gx() -> GX:
    """Import GX and build its ephemeral context once per process."""
    with _GX_LOCK:
        if "gx" not in _STATE:
            _STATE["gx"] = _load_gx()
        return _STATE["gx"]


def _load_gx() -> GX:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # before import: no usage statistics, no network
    t0 = time.perf_counter()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in ("great_expectations", "great_expectations.core", "great_expectations.datasource"):
        logging.getLogger(name).setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("consolidated")
    defs = {}
    for table in (SUBMISSIONS, JOINT_UNITS):
        defs[table] = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe(f"{table}-whole")
    return GX(gx, context, defs, time.perf_counter() - t0)


# --- tables --------------------------------------------------------------------------------------

def any_of_column(group: list[str]) -> str:
    return "_or_".join(group)


def length_column(section_key: str) -> str:
    return f"{section_key}_length"


def _value(v: Any) -> str | None:
    return None if is_blank(v) else as_text(v)


def submissions_table(subs: list[Submission], rules: Rules, prep: Prepared):
    import pandas as pd

    rows, columns = submission_rows(subs, rules, prep)
    return pd.DataFrame(rows, columns=columns)


def submission_rows(subs: list[Submission], rules: Rules, prep: Prepared) -> tuple[list[dict[str, Any]], list[str]]:
    """The submissions table as rows and columns (the DataFrame is built from exactly these)."""
    spec = rules.raw["fields"]
    rows = []
    for s in subs:
        c = Context(s, rules, prep)
        f = s.fields
        row: dict[str, Any] = {
            "submission_id": s.submission_id,
            "has_form": int(c.has_document("form")),
            "has_letter": int(c.has_document("letter")),
        }
        for key in spec["required"]:
            row[key] = _value(f.get(key))
        for group in spec["required_any"]:
            row[any_of_column(group)] = next((_value(f.get(k)) for k in group if not is_blank(f.get(k))), None)
        code = code_key(as_text(f.get("lead_unit_code")))
        row["lead_unit_code"] = code or None
        for key in ("direction", "unit_nature"):
            values = as_list(f.get(key))
            row[key] = values[0] if len(values) == 1 else None
            row[f"{key}_count"] = len(values)
        lengths = f.get("section_lengths") or {}
        for sec in rules.sections:
            n = lengths.get(sec.key)
            row[length_column(sec.key)] = int(n) if n is not None else None
        row["joint_unit_count"] = len(joint_units(f))
        name = name_key(f.get("scenario_name"))
        row["duplicate_unit"] = unit_identity(c, code) if code and row["has_form"] else None
        row["duplicate_scenario"] = name if name and row["has_form"] else None
        rows.append(row)
    return rows, list(rows[0]) if rows else ["submission_id", "has_form"]


JOINT_COLUMNS = ["submission_id", "joint_index", "name", "nature", "code", "code_identity"]


def joint_units_table(subs: list[Submission], rules: Rules, prep: Prepared):
    import pandas as pd

    return pd.DataFrame(joint_unit_rows(subs, rules, prep), columns=JOINT_COLUMNS)


def joint_unit_rows(subs: list[Submission], rules: Rules, prep: Prepared) -> list[dict[str, Any]]:
    rows = []
    for s in subs:
        if not any(d.kind == "form" for d in s.documents):
            continue
        c = Context(s, rules, prep)
        for i, u in enumerate(joint_units(s.fields)):
            code = code_key(as_text(u.get("code")))
            rows.append({
                "submission_id": s.submission_id,
                "joint_index": i,
                "name": _value(u.get("name")),
                "nature": _value(u.get("nature")),
                "code": code or None,
                "code_identity": unit_identity(c, code) if code else None,
            })
    return rows


# --- the suite -----------------------------------------------------------------------------------

def _expect(g, cls: str, rule_id: str, field: str | None, rules: Rules, **kwargs):
    meta = {"rule": rule_id, "field": field, "title": REGISTRY[rule_id].title}
    return getattr(g.gx.expectations, cls)(meta=meta, severity=GX_SEVERITY[severity_of(rule_id, rules)], **kwargs)


def _form_read_condition() -> dict[str, Any]:
    """Form rules apply to rows whose form was read (no FIELD_MISSING cascade for a missing form)."""
    try:
        from great_expectations.expectations.row_conditions import Column
    except ImportError:  # GX before 1.9: string conditions
        return {"row_condition": "has_form == 1", "condition_parser": "pandas"}
    return {"row_condition": Column("has_form") == 1}


def build_suites(g: GX, rules: Rules, sub_columns: list[str]) -> dict[str, Any]:
    """The two suites of the rules file (one per table)."""
    spec = rules.raw["fields"]
    form = _form_read_condition()
    subs = g.gx.ExpectationSuite(name=f"submissions-{rules.version}")
    for col in sub_columns:
        subs.add_expectation(g.gx.expectations.ExpectColumnToExist(column=col, meta={"rule": None}))
    for key in spec["required"]:
        subs.add_expectation(_expect(g, "ExpectColumnValuesToNotBeNull", "FIELD_MISSING", key, rules, column=key, **form))
    for group in spec["required_any"]:
        subs.add_expectation(_expect(g, "ExpectColumnValuesToNotBeNull", "FIELD_MISSING", group[0], rules,
                                     column=any_of_column(group), **form))
    subs.add_expectation(_expect(g, "ExpectColumnValuesToMatchRegex", "CODE_INVALID", "lead_unit_code", rules,
                                 column="lead_unit_code", regex=CODE_REGEX))
    for sec in rules.sections:
        col = length_column(sec.key)
        subs.add_expectation(_expect(g, "ExpectColumnValuesToBeBetween", "SECTION_EMPTY", sec.key, rules,
                                     column=col, min_value=1, **form))
        subs.add_expectation(_expect(g, "ExpectColumnValuesToBeBetween", "SECTION_TOO_LONG", sec.key, rules,
                                     column=col, max_value=sec.limit))
    directions = sorted(rules.direction_track)
    subs.add_expectation(_expect(g, "ExpectColumnValuesToBeBetween", "DIRECTION_NONE", "direction", rules,
                                 column="direction_count", min_value=1, **form))
    subs.add_expectation(_expect(g, "ExpectColumnValuesToBeBetween", "DIRECTION_MULTIPLE", "direction", rules,
                                 column="direction_count", max_value=1))
    subs.add_expectation(_expect(g, "ExpectColumnValuesToBeInSet", "DIRECTION_NONE", "direction", rules,
                                 column="direction", value_set=directions))
    subs.add_expectation(_expect(g, "ExpectColumnValuesToBeBetween", "UNIT_NATURE_NONE", "unit_nature", rules,
                                 column="unit_nature_count", min_value=1, **form))
    subs.add_expectation(_expect(g, "ExpectColumnValuesToBeBetween", "UNIT_NATURE_MULTIPLE", "unit_nature", rules,
                                 column="unit_nature_count", max_value=1))
    subs.add_expectation(_expect(g, "ExpectColumnValuesToBeInSet", "UNIT_NATURE_NONE", "unit_nature", rules,
                                 column="unit_nature", value_set=list(rules.unit_natures)))
    subs.add_expectation(_expect(g, "ExpectColumnValuesToBeBetween", "JOINT_UNITS_TOO_MANY", "joint_units", rules,
                                 column="joint_unit_count", max_value=int(rules.raw["joint_units"]["max"])))
    subs.add_expectation(_expect(g, "ExpectCompoundColumnsToBeUnique", "DUPLICATE_SUBMISSION", None, rules,
                                 column_list=["duplicate_unit", "duplicate_scenario"], ignore_row_if="any_value_is_missing"))

    joint = g.gx.ExpectationSuite(name=f"joint-units-{rules.version}")
    for col in ("submission_id", "joint_index", "name", "nature", "code", "code_identity"):
        joint.add_expectation(g.gx.expectations.ExpectColumnToExist(column=col, meta={"rule": None}))
    joint.add_expectation(_expect(g, "ExpectColumnValuesToMatchRegex", "CODE_INVALID", "joint_units[{joint_index}].code",
                                  rules, column="code", regex=CODE_REGEX))
    joint.add_expectation(_expect(g, "ExpectCompoundColumnsToBeUnique", "JOINT_UNIT_DUPLICATE",
                                  "joint_units[{joint_index}].code", rules,
                                  column_list=["submission_id", "code_identity"], ignore_row_if="any_value_is_missing"))
    for key in spec.get("joint_unit_required", []):
        joint.add_expectation(_expect(g, "ExpectColumnValuesToNotBeNull", "FIELD_MISSING",
                                      f"joint_units[{{joint_index}}].{key}", rules, column=key))
    return {SUBMISSIONS: subs, JOINT_UNITS: joint}


# --- run -----------------------------------------------------------------------------------------

def _findings(table: str, result: dict[str, Any], subs: dict[str, Submission], rules: Rules,
              prep: Prepared) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for res in result.get("results", []):
        cfg = res.get("expectation_config") or {}
        meta = cfg.get("meta") or {}
        rid = meta.get("rule")
        if res.get("success") or not rid:
            continue
        column = (cfg.get("kwargs") or {}).get("column")
        for item in (res.get("result") or {}).get("unexpected_index_list") or []:
            sub = subs.get(item.get("submission_id"))
            if sub is None:
                continue
            field = meta.get("field")
            if field and "{joint_index}" in field:
                field = field.format(joint_index=item.get("joint_index"))
            value = item.get(column) if column else None
            c = Context(sub, rules, prep)
            shown = f"，值为「{value}」" if value not in (None, "") else ""
            message = (f"{c.label(field) + '：' if field else ''}{REGISTRY[rid].title}"
                       f"（数据质量检查 {cfg.get('type')} 未通过{shown}）")
            out.setdefault(sub.submission_id, []).append(Finding(
                rule=rid, severity=severity_of(rid, rules), field=field, message=message,  # type: ignore[arg-type]
                evidence=c.evidence(field, value), details={"source": "great_expectations", "table": table,
                                                            "expectation": cfg.get("type")}))
    return out


def tables_digest(sub_rows: list[dict[str, Any]], sub_columns: list[str], joint_rows: list[dict[str, Any]]) -> str:
    """A hash of the two tables' contents: identical tables (same rules and code) give identical results."""
    data = json.dumps([sub_columns, sub_rows, JOINT_COLUMNS, joint_rows], ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _validate(sub_rows: list[dict[str, Any]], sub_columns: list[str], joint_rows: list[dict[str, Any]],
              rules: Rules) -> tuple[list[dict[str, Any]], str, float]:
    """Run the suites; returns (one record per table, the GX version, seconds spent importing GX)."""
    import pandas as pd

    g = _gx()
    tables = {SUBMISSIONS: pd.DataFrame(sub_rows, columns=sub_columns),
              JOINT_UNITS: pd.DataFrame(joint_rows, columns=JOINT_COLUMNS)}
    key = (rules.sha256, tuple(sub_columns))
    suites = _STATE.get(("suites", key))
    if suites is None:
        suites = _STATE[("suites", key)] = build_suites(g, rules, sub_columns)
    validations = []
    for table, df in tables.items():
        index_cols = ["submission_id", "joint_index"] if table == JOINT_UNITS else ["submission_id"]
        batch = g.batch_definitions[table].get_batch(batch_parameters={"dataframe": df})
        res = batch.validate(suites[table], result_format={"result_format": "COMPLETE",
                                                           "unexpected_index_column_names": index_cols})
        validations.append({"table": table, "rows": len(df), "result": res.to_json_dict()})
    return validations, g.gx.__version__, g.import_seconds


def make_gx_handler(_payload: Any) -> Callable[[tuple], tuple[list[dict[str, Any]], str, float]]:
    """Worker factory (pipeline.workers) for running the suites in a process of their own.

    The engine starts it when a run begins: GX's import (seconds of CPU) then happens at the lowest
    CPU priority, on whatever the file workers leave idle, and its memory stays out of the parent.
    """
    with contextlib.suppress(OSError, AttributeError):
        os.nice(19)
    try:
        _gx()
    except Exception:  # noqa: BLE001 - reported when the suites are run
        log.debug("great_expectations import failed", exc_info=True)

    def handle(arg: tuple) -> tuple[list[dict[str, Any]], str, float]:
        return _validate(*arg)

    return handle


def run_expectations(subs: list[Submission], rules: Rules, prep: Prepared, cache: Any = None,
                     runner: Callable[..., tuple[list[dict[str, Any]], str, float]] | None = None,
                     ) -> tuple[dict[str, Any] | None, dict[str, list[Finding]]]:
    """Validate the consolidated tables; returns (the JSON-able result, findings by submission id).

    With a `cache` (get_value/put_value), the GX result of identical tables is reused; findings are
    always made afresh from it, since their evidence comes from the submissions. `runner` runs
    `_validate`'s work elsewhere (the engine's GX process); by default it runs here.
    """
    t0 = time.perf_counter()
    try:
        sub_rows, sub_columns = submission_rows(subs, rules, prep)
        joint_rows = joint_unit_rows(subs, rules, prep)
        digest = tables_digest(sub_rows, sub_columns, joint_rows) if cache is not None else None
        stored = cache.get_value("expectations", digest) if cache is not None else None
        t1 = time.perf_counter()
        if stored is not None:
            validations, version, import_seconds = stored["validations"], stored["version"], 0.0
        else:
            validations, version, import_seconds = (runner or _validate)(sub_rows, sub_columns, joint_rows, rules)
            if cache is not None:
                cache.put_value("expectations", digest, {"validations": validations, "version": version})
        by_id = {s.submission_id: s for s in subs}
        findings: dict[str, list[Finding]] = {}
        for v in validations:
            for sid, found in _findings(v["table"], v["result"], by_id, rules, prep).items():
                findings.setdefault(sid, []).extend(found)
    except Exception as exc:  # GX trouble must not lose the Python findings
        log.exception("great_expectations validation failed")
        return {"success": None, "error": f"{type(exc).__name__}: {exc}"}, {}
    stats = [v["result"].get("statistics", {}) for v in validations]
    evaluated = sum(s.get("evaluated_expectations", 0) for s in stats)
    successful = sum(s.get("successful_expectations", 0) for s in stats)
    return {
        "success": all(v["result"].get("success") for v in validations),
        "great_expectations_version": version,
        "rules_version": rules.version,
        "statistics": {"evaluated_expectations": evaluated, "successful_expectations": successful,
                       "unsuccessful_expectations": evaluated - successful,
                       "success_percent": round(100.0 * successful / evaluated, 2) if evaluated else None},
        "reused": stored is not None,
        "seconds": {"import_once": round(import_seconds, 3), "build": round(t1 - t0, 3),
                    "validate": round(time.perf_counter() - t1, 3)},
        "validations": validations,
    }, findings
