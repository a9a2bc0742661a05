"""Every DOCX / .doc of the sample batch against samples/expected.json, field by field."""

from __future__ import annotations

import json

import pytest

from pipeline.discover import Discoverer
from pipeline.extract import extract_file
from pipeline.safety import sanitize_name

try:
    from .conftest import SAMPLE_BATCH
except ImportError:  # tests/ run as a plain directory
    from conftest import SAMPLE_BATCH

LETTER_KEYS = ("letter_scenario_name", "letter_clauses", "letter_contact", "letter_contact_phone", "letter_date",
               "letter_has_seal")
NOT_EXTRACTED = ("section_lengths",)  # computed by the validator


def _keys(kind: str, expected_fields: dict) -> list[str]:
    if kind == "letter":
        return [k for k in LETTER_KEYS if k in expected_fields]
    return [k for k in expected_fields if k not in LETTER_KEYS and k not in NOT_EXTRACTED]


@pytest.fixture(scope="module")
def docx_cases(rules, expected, tmp_path_factory):
    """(submission id, expected file entry, FileResult) for every DOCX/.doc the batch holds."""
    inputs = Discoverer(rules, tmp_path_factory.mktemp("samples-docx")).discover(SAMPLE_BATCH)
    where = {}
    for sub in inputs:
        for f in sub.files:
            if f.real_path is not None:
                where[(sub.submission_id if sub.origin != "loose" else None, f.rel_path)] = f.real_path
    cases = []
    for sid, exp in sorted(expected.items()):
        for f in exp["files"]:
            if f["format"] not in ("docx", "doc"):
                continue
            real = where.get((sanitize_name(sid), f["path"])) or where.get((None, f["path"]))
            assert real is not None, f"{sid}: {f['path']} not found in the batch"
            cases.append((sid, f, extract_file(real, f["path"], rules)))
    assert cases
    return cases


def test_samples_docx_fields(docx_cases, expected):
    compared = 0
    wrong: list[str] = []
    per_key: dict[str, list[int]] = {}
    for sid, f, res in docx_cases:
        docs = {d.kind: d for d in res.documents}
        kinds = {"both": {"form", "letter"}, "form": {"form"}, "letter": {"letter"}, "unknown": set()}[f["kind"]]
        if set(docs) != kinds:
            wrong.append(f"{sid} / {f['path']}: documents {sorted(docs)} ≠ {sorted(kinds)} {res.problems}")
            continue
        exp_fields = expected[sid]["fields"]
        for kind, doc in docs.items():
            for key in _keys(kind, exp_fields):
                compared += 1
                ok = doc.fields.get(key) == exp_fields[key]
                per_key.setdefault(key, [0, 0])[0 if ok else 1] += 1
                if not ok:
                    got = json.dumps(doc.fields.get(key), ensure_ascii=False)[:300]
                    want = json.dumps(exp_fields[key], ensure_ascii=False)[:300]
                    wrong.append(f"{sid} / {f['path']} [{key}]\n    got  {got}\n    want {want}")
    right = compared - sum(1 for w in wrong if "[" in w.split("\n")[0])
    print(f"\nDOCX/.doc sample accuracy: {right}/{compared} fields in {len(docx_cases)} files")
    for key, (good, bad) in sorted(per_key.items()):
        if bad:
            print(f"  {key}: {good}/{good + bad}")
    assert not wrong, "\n".join(wrong)


def test_samples_docx_provenance(docx_cases):
    for _sid, f, res in docx_cases:
        for doc in res.documents:
            for key, value in doc.fields.items():
                filled = any(value.values()) if isinstance(value, dict) else value not in (None, [], "", False)
                if filled:
                    assert key in doc.provenance, f"{f['path']}: {key} has no provenance"


def test_samples_bad_docx_are_problems(docx_cases):
    for sid, f, res in docx_cases:
        if f["kind"] == "unknown" and res.problems:
            assert res.problems[0].rule in ("FILE_UNREADABLE", "FILE_ENCRYPTED"), sid
