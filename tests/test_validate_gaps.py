"""What the checker could not read: one review finding per part, and silence on what it hides."""

from __future__ import annotations

from pipeline.config import load_rules
from pipeline.model import Gap, Provenance
from pipeline.validate import validate_batch

from .validate_support import clean_submission, findings_of, rule_ids, with_problem


def run(sub):
    validate_batch([sub], load_rules(), expectations=False)
    return sub


def test_a_section_not_located_is_a_review_item_not_an_empty_section():
    sub = clean_submission()
    sub.fields["sections"]["timeline"] = None
    sub.gaps.append(Gap("附件1具体内容栏目「时间进度」", "没有找到该栏目的标题", ("timeline",)))
    run(sub)
    assert rule_ids(sub) == {"EXTRACTION_INCOMPLETE"} and sub.status == "review"
    (f,) = sub.findings
    assert f.severity == "review" and f.field == "timeline" and "时间进度" in f.message
    assert sub.fields["section_lengths"]["timeline"] is None


def test_a_blank_section_with_its_heading_stays_the_applicants_error():
    sub = clean_submission()
    sub.fields["sections"]["timeline"] = ""
    run(sub)
    assert [f.field for f in findings_of(sub, "SECTION_EMPTY")] == ["timeline"] and sub.status == "fail"


def test_no_narrative_seen_silences_every_rule_that_reads_it():
    sub = clean_submission()
    keys = tuple(sub.fields["sections"])
    sub.fields["sections"] = dict.fromkeys(keys)
    sub.gaps.append(Gap("附件1“二、具体内容”", "没有找到任何栏目标题", keys))
    run(sub)
    assert rule_ids(sub) == {"EXTRACTION_INCOMPLETE"}  # no SECTION_EMPTY, TECH_ELEMENTS_MISSING, topics…


def test_an_unreadable_tick_group_silences_direction_rules_only():
    sub = clean_submission()
    sub.fields.update(direction=None, track=None, address="苏州市")
    sub.gaps.append(Gap("申报场景方向", "没有识别到任何勾选框", ("direction", "track")))
    run(sub)
    assert rule_ids(sub) == {"EXTRACTION_INCOMPLETE", "ADDRESS_NOT_SHANGHAI"}
    assert sub.status == "review"  # fail > review > warn > pass


def test_an_error_elsewhere_still_fails_the_submission():
    sub = clean_submission()
    sub.fields.update(direction=None, lead_unit_code="91310000XXXXXXXXXX")
    sub.gaps.append(Gap("申报场景方向", "没有识别到任何勾选框", ("direction", "track")))
    run(sub)
    assert {"EXTRACTION_INCOMPLETE", "CODE_INVALID"} <= rule_ids(sub) and sub.status == "fail"
    assert not findings_of(sub, "DIRECTION_NONE")


def test_a_file_ocr_could_not_read_is_no_missing_letter():
    sub = clean_submission(letter=False)
    with_problem(sub, "EXTRACTION_INCOMPLETE", "扫描页文字识别失败，请人工核对", file="附件2-扫描件.pdf", page=2)
    run(sub)
    assert rule_ids(sub) == {"EXTRACTION_INCOMPLETE"}
    (f,) = sub.findings
    assert "附件2-扫描件.pdf" in f.message and "第2页" in f.message


def test_an_error_on_an_unsure_ocr_read_is_doubted():
    sub = clean_submission()
    sub.fields["lead_unit_code"] = "91310114MA1372953X"  # wrong check character, as an OCR slip gives
    sub.provenance["lead_unit_code"] = Provenance("附件1.pdf", page=1, ocr=True, confidence=0.71)
    run(sub)
    (f,) = sub.findings
    assert f.rule == "EXTRACTION_INCOMPLETE" and f.field == "lead_unit_code" and sub.status == "review"
    assert "0.71" in f.message and f.details["doubted"]["rule"] == "CODE_INVALID"


def test_an_error_on_a_confident_ocr_read_stands():
    sub = clean_submission()
    sub.fields["lead_unit_code"] = "91310114MA1372953X"
    sub.provenance["lead_unit_code"] = Provenance("附件1.pdf", page=1, ocr=True, confidence=0.98)
    run(sub)
    assert rule_ids(sub) == {"CODE_INVALID"} and sub.status == "fail"
