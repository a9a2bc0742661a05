"""Scanned commitment letters through the real pipeline (OCR): a line OCR did not read is the
checker's blind spot (EXTRACTION_INCOMPLETE for that clause), a clause the applicant rewrote and
the scan shows clearly is still LETTER_CLAUSES_ALTERED, quoting the applicant's text as read."""

from __future__ import annotations

import shutil

import pytest

from pipeline.engine import RunOptions, run_batch
from pipeline.extract import ocr

try:
    from . import scanned_letters as sl
except ImportError:  # tests/ run as a plain directory
    import scanned_letters as sl

pytestmark = pytest.mark.skipif(not (sl.tools_available() and ocr.engine_available()),
                                reason="needs LibreOffice, poppler and the OCR engine")

FORM = sl.SAMPLE.parent / "附件1-需求征集表.docx"
REWORDED = "4.承诺根据自身情况为项目提供部分资金支持，场景建设完成后择机推动应用。"


@pytest.fixture(scope="module")
def batch(tmp_path_factory, rules):
    """Two submissions, each the sample form and a scanned letter: one whose clause-4 first line
    is blank on the scan (OCR cannot read it), one whose clause 4 was typed differently."""
    work = tmp_path_factory.mktemp("letter-scans")
    src = sl.to_pdf(sl.edited_docx(work / "letter.docx"), work)
    dropped = sl.scan(src, work / "dropped.pdf", [sl.line_box(src, "4.承诺")])
    altered_pdf = sl.to_pdf(sl.edited_docx(work / "altered.docx", {"4.": REWORDED}), work)
    altered = sl.scan(altered_pdf, work / "altered-scan.pdf")
    root = work / "batch"
    for name, letter in (("dropped", dropped), ("altered", altered)):
        d = root / name
        d.mkdir(parents=True)
        shutil.copyfile(FORM, d / "附件1-需求征集表.docx")
        shutil.copyfile(letter, d / "附件2-建设承诺书（扫描件）.pdf")
    result = run_batch(root, rules, RunOptions(workers=1))
    return {s.submission_id: s for s in result.submissions}


def test_a_line_ocr_did_not_read_is_a_review_item_for_that_clause(batch):
    sub = batch["dropped"]
    assert not [f for f in sub.findings if f.rule == "LETTER_CLAUSES_ALTERED"]
    (gap,) = [f for f in sub.findings if f.rule == "EXTRACTION_INCOMPLETE"]
    assert gap.severity == "review" and gap.field == "letter_clauses[3]"
    # The applicant's text as read, where it was read, and the notice's wording labelled as such.
    assert "识别到的文字" in gap.message and "一并划入项目专账管理使用" in gap.message
    assert "通知原文第4条：「承诺并有能力保障" in gap.message
    assert gap.evidence.file == "附件2-建设承诺书（扫描件）.pdf" and gap.evidence.page == 1
    # Both submissions carry the same form: DUPLICATE_SUBMISSION is theirs, not the letter's.
    assert {f.severity for f in sub.findings if f.rule != "DUPLICATE_SUBMISSION"} == {"review"}


def test_a_clearly_rewritten_clause_on_a_scan_is_still_an_error(batch):
    sub = batch["altered"]
    (f,) = [f for f in sub.findings if f.rule == "LETTER_CLAUSES_ALTERED"]
    assert f.severity == "error" and f.field == "letter_clauses[3]"
    assert not [g for g in sub.findings if g.rule == "EXTRACTION_INCOMPLETE"]
    # Evidence: the applicant's clause as OCR read it, at its own page and paragraph; the
    # official text only in the details, under its own key.
    assert "部分资金支持" in f.evidence.excerpt and "承诺并有能力" not in f.evidence.excerpt
    assert f.evidence.page == 1 and "OCR" in f.evidence.location
    assert f.details["official"].startswith("承诺并有能力保障") and "部分资金支持" in f.details["actual"]
    assert "投入" in f.message and "投人" not in f.message  # the texts' own characters, not the folded forms
