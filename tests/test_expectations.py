"""great_expectations over the consolidated tables: the suite comes from the rules file, its result
is JSON for OUT/expectations.json, and its unexpected rows become findings that never repeat what
the Python rules already reported."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest

from pipeline.validate import registry, validate_batch
from pipeline.validate.expectations import _gx, joint_units_table, run_expectations, submissions_table
from pipeline.validate.registry import Prepared

try:
    from .validate_support import JOINT_CODE, RULES, clean_submission, findings_of, make_uscc
except ImportError:  # tests/ is not a package
    from validate_support import JOINT_CODE, RULES, clean_submission, findings_of, make_uscc


def planted_batch():
    """Submissions with problems the expectation suite can see too."""
    a = clean_submission("a-missing-name")
    a.fields["lead_unit_name"] = None
    a.fields["scenario_name"] = a.fields["letter_scenario_name"] = "场景甲"
    b = clean_submission("b-bad-code-long-section")
    b.fields["lead_unit_code"] = "9131011"
    b.fields["sections"]["funding"] = "资" * 600
    b.fields["direction"] = ["元宇宙+产线", "元宇宙+工厂"]
    c = clean_submission("c-joint")
    c.fields["scenario_name"] = c.fields["letter_scenario_name"] = "另一个场景"
    c.fields["joint_units"] = [
        {"name": "甲", "nature": "民营企业", "strengths": None, "code": JOINT_CODE},
        {"name": "乙", "nature": "民营企业", "strengths": None, "code": JOINT_CODE},
        {"name": "丙", "nature": "民营企业", "strengths": None, "code": "ABC"},
        {"name": "丁", "nature": "民营企业", "strengths": None, "code": make_uscc("91", "310104", "MA1GT7B7")},
    ]
    d = clean_submission("d-dup")
    e = clean_submission("e-dup")
    f = clean_submission("f-letter-only", form=False)
    return [a, b, c, d, e, f]


GX_SEEN = {
    "a-missing-name": {("FIELD_MISSING", "lead_unit_name")},
    "b-bad-code-long-section": {("CODE_INVALID", "lead_unit_code"), ("SECTION_TOO_LONG", "funding"),
                                ("DIRECTION_MULTIPLE", "direction")},
    "c-joint": {("JOINT_UNIT_DUPLICATE", "joint_units[0].code"), ("JOINT_UNIT_DUPLICATE", "joint_units[1].code"),
                ("CODE_INVALID", "joint_units[2].code"), ("JOINT_UNITS_TOO_MANY", "joint_units")},
    "d-dup": {("DUPLICATE_SUBMISSION", None)},
    "e-dup": {("DUPLICATE_SUBMISSION", None)},
}


def gx_keys(findings: dict) -> dict:
    return {sid: {(f.rule, f.field) for f in found} for sid, found in findings.items()}


def test_expectation_findings_on_their_own():
    """Without the Python rules, the suite alone finds what it can express, with the same ids and fields."""
    subs = planted_batch()
    prep = Prepared(RULES)
    from pipeline.validate import sections

    for s in subs:
        sections.prepare(s, RULES, prep, any(d.kind == "form" for d in s.documents))
    result, found = run_expectations(subs, RULES, prep)
    assert result["success"] is False
    assert gx_keys(found) == GX_SEEN  # nothing for the letter-only submission: no FIELD_MISSING cascade
    f = found["b-bad-code-long-section"][0]
    assert f.severity in ("error", "warning") and f.details["source"] == "great_expectations"
    assert f.evidence.file == "附件1-需求征集表.docx"


def test_python_rules_already_report_everything_the_suite_sees():
    subs = planted_batch()
    result = validate_batch(subs, RULES)
    assert result["findings_added"] == 0
    assert result["statistics"]["unsuccessful_expectations"] > 0
    for s in subs:
        keys = Counter((f.rule, f.field) for f in s.findings)
        assert all(n == 1 for n in keys.values()), (s.submission_id, keys)
        assert GX_SEEN.get(s.submission_id, set()) <= set(keys)


def test_a_problem_only_the_suite_found_is_added_once(monkeypatch):
    from pipeline.validate.basic import check_required

    monkeypatch.setitem(registry.CHECKS, "form", [fn for fn in registry.CHECKS["form"] if fn is not check_required])
    subs = planted_batch()
    result = validate_batch(subs, RULES)
    assert result["findings_added"] == 1
    (f,) = findings_of(subs[0], "FIELD_MISSING")
    assert f.field == "lead_unit_name" and "牵头单位名称" in f.message and f.details["source"] == "great_expectations"


def test_result_is_json_with_both_tables():
    subs = [clean_submission("x"), clean_submission("y", letter=False)]
    subs[1].fields["scenario_name"] = "其他场景"
    result = validate_batch(subs, RULES)
    text = json.dumps(result, ensure_ascii=False)
    data = json.loads(text)
    assert data["success"] is True
    assert [v["table"] for v in data["validations"]] == ["submissions", "joint_units"]
    assert [v["rows"] for v in data["validations"]] == [2, 2]
    rules_in_suite = {r["expectation_config"]["meta"].get("rule") for v in data["validations"] for r in v["result"]["results"]}
    assert {"FIELD_MISSING", "CODE_INVALID", "SECTION_EMPTY", "SECTION_TOO_LONG", "DIRECTION_NONE",
            "DIRECTION_MULTIPLE", "UNIT_NATURE_NONE", "UNIT_NATURE_MULTIPLE", "DUPLICATE_SUBMISSION",
            "JOINT_UNITS_TOO_MANY", "JOINT_UNIT_DUPLICATE"} <= rules_in_suite
    assert data["statistics"]["evaluated_expectations"] == sum(len(v["result"]["results"]) for v in data["validations"])


def test_suite_is_built_from_the_rules_file():
    subs = [clean_submission("x")]
    prep = Prepared(RULES)
    df = submissions_table(subs, RULES, prep)
    for key in RULES.raw["fields"]["required"]:
        assert key in df.columns
    for sec in RULES.sections:
        assert f"{sec.key}_length" in df.columns
    result, _ = run_expectations(subs, RULES, prep)
    between = [r["expectation_config"]["kwargs"] for v in result["validations"] for r in v["result"]["results"]
               if r["expectation_config"]["meta"].get("rule") == "SECTION_TOO_LONG"]
    assert {k["column"]: k["max_value"] for k in between} == {f"{s.key}_length": s.limit for s in RULES.sections}
    assert list(joint_units_table(subs, RULES, prep).columns)[:2] == ["submission_id", "joint_index"]


def test_gx_is_initialised_once_per_process_without_analytics():
    g1 = _gx()
    assert _gx() is g1
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
    progress = g1.context.variables.progress_bars
    assert progress is not None and not progress["globally"]


@pytest.mark.parametrize("n", [0])
def test_empty_batch(n):
    assert validate_batch([], RULES)["validations"][0]["rows"] == n


def test_gx_is_imported_as_it_is():
    """No stand-in in `sys.modules` for a module GX imports (issue #21: such stubs break silently on
    a library's next release): scipy.stats and altair, which GX imports at start-up, are the real ones."""
    import sys

    from pipeline.validate.expectations import _gx

    _gx()
    assert "pipeline.lazy" not in sys.modules
    for name, attribute in (("scipy.stats", "ks_2samp"), ("altair", "Chart")):
        module = sys.modules.get(name)
        if module is not None:
            assert type(module).__module__ == "builtins" and attribute in vars(module), name
