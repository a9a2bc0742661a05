"""Every DOCX / .doc of the sample batch against samples/expected.json, field by field."""

from __future__ import annotations

import time

import pytest

from pipeline.extract import extract_file

try:
    from .sample_compare import batch_files, compare, real_path
except ImportError:  # tests/ run as a plain directory
    from sample_compare import batch_files, compare, real_path


@pytest.fixture(scope="module")
def docx_cases(rules, expected, tmp_path_factory):
    """(submission id, expected file entry, FileResult, seconds) for every DOCX/.doc the batch holds."""
    where = batch_files(rules, tmp_path_factory.mktemp("samples-docx"))
    cases = []
    for sid, exp in sorted(expected.items()):
        for f in exp["files"]:
            if f["format"] not in ("docx", "doc"):
                continue
            started = time.perf_counter()
            res = extract_file(real_path(where, sid, f["path"]), f["path"], rules)
            cases.append((sid, f, res, time.perf_counter() - started))
    assert cases
    return cases


def test_samples_docx_fields(docx_cases, expected):
    compare(docx_cases, expected, "DOCX/.doc sample")


def test_samples_docx_provenance(docx_cases):
    for _sid, f, res, _ in docx_cases:
        for doc in res.documents:
            for key, value in doc.fields.items():
                filled = any(value.values()) if isinstance(value, dict) else value not in (None, [], "", False)
                if filled:
                    assert key in doc.provenance, f"{f['path']}: {key} has no provenance"


def test_samples_bad_docx_are_problems(docx_cases):
    checked = 0
    for sid, f, res, _ in docx_cases:
        if f["kind"] == "unknown" and res.problems:
            checked += 1
            assert res.problems[0].rule in ("FILE_UNREADABLE", "FILE_ENCRYPTED"), sid
    assert checked
