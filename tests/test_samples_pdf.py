"""Every PDF of the sample batch (LibreOffice exports and scans) against samples/expected.json.

The PDFs are exported from the same documents the DOCX samples are, so the fields read from a
PDF must equal the DOCX's, field by field; scanned letters go through OCR. Files that are not
really PDFs or that are encrypted must come back as their file problem instead.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from pipeline.extract import extract_file

try:
    from .sample_compare import batch_files, compare, real_path, scanned_sample
except ImportError:  # tests/ run as a plain directory
    from sample_compare import batch_files, compare, real_path, scanned_sample

FILE_RULES = ("FILE_UNREADABLE", "FILE_ENCRYPTED")


@pytest.fixture(scope="module")
def pdf_cases(rules, expected, tmp_path_factory):
    """(submission id, expected file entry, FileResult, seconds) for every PDF of the batch but the
    scanned samples' (tests/test_scan_samples.py reads those, with OCR's tolerance)."""
    where = batch_files(rules, tmp_path_factory.mktemp("samples-pdf"))
    cases = []
    for sid, exp in sorted(expected.items()):
        if scanned_sample(exp):
            continue
        for f in exp["files"]:
            if f["format"] != "pdf":
                continue
            started = time.perf_counter()
            res = extract_file(real_path(where, sid, f["path"]), f["path"], rules)
            cases.append((sid, f, res, time.perf_counter() - started))
    assert cases
    return cases


@pytest.fixture(scope="module")
def exported_cases(rules, expected, tmp_path_factory):
    """Every readable sample DOCX exported to PDF by LibreOffice (one call), then read as a PDF."""
    where = batch_files(rules, tmp_path_factory.mktemp("samples-docx"))
    work = tmp_path_factory.mktemp("exported")
    jobs = []
    for sid, exp in sorted(expected.items()):
        for f in exp["files"]:
            if f["format"] == "docx" and f["kind"] != "unknown":
                src = work / f"d{len(jobs):03d}.docx"
                shutil.copyfile(real_path(where, sid, f["path"]), src)
                jobs.append((sid, f, src))
    profile = (work / "lo-profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            *(str(src) for _, _, src in jobs),
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    cases = []
    for sid, f, src in jobs:
        pdf = src.with_suffix(".pdf")
        assert pdf.exists(), f"LibreOffice did not export {sid} / {f['path']}"
        started = time.perf_counter()
        res = extract_file(pdf, f["path"].rsplit(".", 1)[0] + ".pdf", rules)
        cases.append((sid, f, res, time.perf_counter() - started))
    assert cases
    return cases


def test_samples_pdf_fields(pdf_cases, expected):
    compare(pdf_cases, expected, "PDF sample")


def test_samples_docx_exported_as_pdf(exported_cases, expected):
    """The same documents as PDFs give the DOCX's fields: every checkbox encoding, tables split over
    pages, inline and floating seal pictures.

    One thing a PDF may not hold: LibreOffice without Wingdings prints some `<w:sym>` boxes as the
    fallback font's missing-glyph box, identical for ticked and empty (and maps both codes to one
    character). Such a field must come back empty with a note, never as a guess.
    """
    compare(exported_cases, expected, "DOCX exported to PDF", allow_undecidable=True)


def test_samples_pdf_file_problems(pdf_cases, expected):
    """A PDF the expectations call unreadable or encrypted gives exactly that problem, and no documents."""
    checked = 0
    for sid, f, res, _ in pdf_cases:
        want = [r for r in expected[sid]["rules"] if r in FILE_RULES]
        got = [p.rule for p in res.problems]
        if f["kind"] == "unknown" and want:
            checked += 1
            assert set(got) & set(want), f"{sid} / {f['path']}: problems {got}, expected one of {want}"
            assert not res.documents
        elif f["kind"] != "unknown":
            assert not set(got) & set(FILE_RULES), f"{sid} / {f['path']}: unexpected {res.problems}"
    assert checked


def test_samples_pdf_provenance(pdf_cases):
    """Every extracted value knows its page and position; text read by OCR says so (a seal is
    found in the page image, not read)."""
    for sid, f, res, _ in pdf_cases:
        for doc in res.documents:
            for key, prov in doc.provenance.items():
                assert prov.page is not None and prov.bbox is not None, f"{sid} / {f['path']} [{key}] {prov}"
                if res.source.ocr and key != "letter_has_seal":
                    assert prov.ocr and prov.confidence is not None, f"{sid} / {f['path']} [{key}] {prov}"
