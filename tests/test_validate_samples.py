"""Validation on the sample batch: the engine (real files, real extractors) against samples/expected.json.

Prints precision and recall per rule (run with `-s` to see the table). Asserts that a clean
submission gets no error and that every expected rule is reported. A second test feeds the
generator's own field values (expected.json "fields") to the validator, which checks the rules
independently of extraction.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter

from pipeline.model import ExtractedDocument, Submission
from pipeline.validate import validate_batch
from pipeline.validate.files import FILE_RULE_IDS

try:
    from .conftest import EXPECTED
except ImportError:  # tests/ is not a package
    from conftest import EXPECTED


def _key(sid: str) -> str:
    return unicodedata.normalize("NFKC", sid)


def per_rule_scores(expected: dict[str, set[str]], got: dict[str, set[str]]) -> dict[str, dict[str, int]]:
    scores: dict[str, Counter] = {}
    for sid in expected.keys() | got.keys():
        e, g = expected.get(sid, set()), got.get(sid, set())
        for rule in e | g:
            c = scores.setdefault(rule, Counter())
            c["tp" if rule in e and rule in g else "fn" if rule in e else "fp"] += 1
    return {r: dict(c) for r, c in sorted(scores.items())}


def print_table(title: str, scores: dict[str, dict[str, int]]) -> None:
    print(f"\n{title}\n{'rule':<30}{'tp':>4}{'fp':>4}{'fn':>4}{'precision':>11}{'recall':>8}")
    for rule, c in scores.items():
        tp, fp, fn = c.get("tp", 0), c.get("fp", 0), c.get("fn", 0)
        p = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        r = f"{tp / (tp + fn):.2f}" if tp + fn else "-"
        print(f"{rule:<30}{tp:>4}{fp:>4}{fn:>4}{p:>11}{r:>8}")


def test_engine_on_the_samples_matches_expected_rules(sample_run, expected):
    result, out = sample_run
    by_key = {_key(s.submission_id): s for s in result.submissions}
    exp = {_key(sid): set(e["rules"]) for sid, e in expected.items()}
    got = {k: {f.rule for f in s.findings} for k, s in by_key.items()}
    print_table("engine on samples/batch vs samples/expected.json", per_rule_scores(exp, got))
    for k in sorted(exp.keys() | got.keys()):
        if exp.get(k) != got.get(k):
            print(f"  {k}: missing {sorted(exp.get(k, set()) - got.get(k, set()))}, "
                  f"extra {sorted(got.get(k, set()) - exp.get(k, set()))}")
    assert exp.keys() == got.keys()
    clean_with_errors = {k: sorted(f.rule for f in by_key[k].findings if f.severity == "error")
                         for k, rules in exp.items() if not rules}
    assert not {k: v for k, v in clean_with_errors.items() if v}, clean_with_errors
    missed = {k: sorted(rules - got[k]) for k, rules in exp.items() if rules - got[k]}
    assert not missed, missed


def test_results_json_findings_carry_rule_severity_field_message_evidence(sample_run):
    _result, out = sample_run
    data = json.loads((out / "results.json").read_text("utf-8"))
    findings = [f for s in data["submissions"] for f in s["findings"]]
    assert findings
    for f in findings:
        assert set(f) >= {"rule", "severity", "field", "message", "evidence"}
        assert re.search(r"[\u4e00-\u9fff]", f["message"]), f
        assert set(f["evidence"]) >= {"file", "page", "location", "excerpt"}
    for s in data["submissions"]:
        assert set(s["fields"]["section_lengths"]) >= {"lead_unit_intro", "scenario_overview", "funding"}
        worst = {f["severity"] for f in s["findings"]}
        assert s["status"] == ("fail" if "error" in worst else "warn" if "warning" in worst else "pass")
    located = [f for f in findings if f["field"] and f["evidence"]["file"]]
    assert located, "findings about a field name the file it came from"
    expectations = json.loads((out / "expectations.json").read_text("utf-8"))
    assert expectations["validations"][0]["table"] == "submissions"


def test_validator_on_the_generators_field_values(rules):
    """expected.json's fields are what a perfect extractor returns: the rule sets must match
    exactly, apart from file-level rules, which come from reading files, not from fields."""
    expected = json.loads(EXPECTED.read_text("utf-8"))["submissions"]
    subs = []
    for sid, e in expected.items():
        sub = Submission(sid, "folder", "")
        fields = e["fields"]
        form = {k: v for k, v in fields.items() if not k.startswith("letter_")}
        letter = {k: v for k, v in fields.items() if k.startswith("letter_")}
        if form:
            sub.documents.append(ExtractedDocument("form", "附件1.docx", form))
        if letter:
            sub.documents.append(ExtractedDocument("letter", "附件2.docx", letter))
        sub.fields = json.loads(json.dumps(fields))
        subs.append(sub)
    validate_batch(subs, rules)
    exp = {s.submission_id: set(expected[s.submission_id]["rules"]) - set(FILE_RULE_IDS) for s in subs}
    got = {s.submission_id: {f.rule for f in s.findings} for s in subs}
    print_table("validator on expected.json fields", per_rule_scores(exp, got))
    assert got == exp
    for s in subs:
        lengths = s.fields["section_lengths"]
        assert lengths == expected[s.submission_id]["fields"].get("section_lengths", lengths)
