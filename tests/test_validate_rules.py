"""Every per-submission rule: one case that triggers it and one (or more) that must not.

Submissions are built from the document model (`validate_support.clean_submission`), changed in
one place, and validated; the clean submission itself must come out with no finding at all.
Runs on real sample files are in test_validate_samples.py.
"""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import Rules
from pipeline.model import SEVERITY_ORDER
from pipeline.validate import registry, validate_batch
from pipeline.validate.textcount import count_zi

try:
    from .validate_support import (
        CLAUSES,
        JOINT_CODE,
        LEAD_CODE,
        RULES,
        clean_submission,
        findings_of,
        make_org,
        make_uscc,
        rule_ids,
        with_problem,
    )
except ImportError:  # tests/ is not a package
    from validate_support import (
        CLAUSES,
        JOINT_CODE,
        LEAD_CODE,
        RULES,
        clean_submission,
        findings_of,
        make_org,
        make_uscc,
        rule_ids,
        with_problem,
    )

CJK = re.compile(r"[\u4e00-\u9fff]")


def run(sub, rules: Rules = RULES):
    validate_batch([sub], rules, expectations=False)
    return sub


def changed(**fields):
    sub = clean_submission()
    for key, value in fields.items():
        sub.fields[key] = value
    return run(sub)


def section_changed(key: str, text: str):
    sub = clean_submission()
    sub.fields["sections"][key] = text
    return run(sub)


def joint(name="上海某某科技有限公司", nature="民营企业", code=JOINT_CODE):
    return {"name": name, "nature": nature, "strengths": "数字孪生", "code": code}


def test_clean_submission_has_no_finding():
    sub = run(clean_submission())
    assert sub.findings == [], [(f.rule, f.field, f.message) for f in sub.findings]
    assert sub.status == "pass"
    assert set(sub.fields["section_lengths"]) == {s.key for s in RULES.sections}
    assert all(v > 0 for v in sub.fields["section_lengths"].values())
    assert sub.coverage["missing_tech_elements"] == [] and sub.coverage["missing_overview_topics"] == []


# --- (rule, expected field, submission) that must trigger -------------------------------------------

def _disguised(extension: str, fmt: str = "docx", problem: str | None = None):
    """The clean submission with its form file (read as `fmt`) named with another extension."""
    sub = clean_submission()
    src = sub.files[0]
    src.format, src.extension = fmt, extension
    src.path = sub.documents[0].file = src.path.rsplit(".", 1)[0] + "." + extension
    if problem:
        with_problem(sub, problem, "文件已损坏", src.path)
    return run(sub)


def _letter_date(value):
    return changed(letter_date=value)


def _clauses(clauses):
    return changed(letter_clauses=clauses)


def _without(text: str, *words: str) -> str:
    for w in words:
        text = text.replace(w, "")
    return text


TRIGGERS = {
    "FILE_UNREADABLE": lambda: run(with_problem(clean_submission(), "FILE_UNREADABLE", "文件已损坏", "补充材料.pdf")),
    "FILE_ENCRYPTED": lambda: run(with_problem(clean_submission(), "FILE_ENCRYPTED", "需要密码", "方案.docx")),
    "FILE_UNSUPPORTED": lambda: run(with_problem(clean_submission(), "FILE_UNSUPPORTED", "不支持的文件类型（.txt 文件）", "说明.txt")),
    "OCR_UNAVAILABLE": lambda: run(with_problem(clean_submission(), "OCR_UNAVAILABLE", "未安装 OCR 引擎", "扫描件.pdf", 2)),
    "FILE_TYPE_MISMATCH": lambda: _disguised("pdf"),
    "FORM_MISSING": lambda: run(clean_submission(form=False)),
    "LETTER_MISSING": lambda: run(clean_submission(letter=False)),
    "FIELD_MISSING": lambda: changed(lead_unit_name="  "),
    "CODE_INVALID": lambda: changed(lead_unit_code=LEAD_CODE[:-1] + ("0" if LEAD_CODE[-1] != "0" else "1")),
    "CODE_NOT_SHANGHAI": lambda: changed(lead_unit_code=make_uscc("91", "110108", "MA1FL0A1")),
    "UNIT_NATURE_CODE_MISMATCH": lambda: changed(lead_unit_code=make_uscc("12", "310112", "42501375")),
    "DIRECTION_NONE": lambda: changed(direction=None),
    "DIRECTION_MULTIPLE": lambda: changed(direction=["元宇宙+产线", "元宇宙+工厂"]),
    "UNIT_NATURE_NONE": lambda: changed(unit_nature=None),
    "UNIT_NATURE_MULTIPLE": lambda: changed(unit_nature=["国有企业", "民营企业"]),
    "UNIT_NATURE_OTHER_UNSPECIFIED": lambda: changed(unit_nature="其他", unit_nature_other=None),
    "MOBILE_INVALID": lambda: changed(leader_mobile="1381234567"),
    "PHONE_INVALID": lambda: changed(contact_phone="021-6419"),
    "EMAIL_INVALID": lambda: changed(contact_email="wangmin@zhentu-tech,com"),
    "ADDRESS_NOT_SHANGHAI": lambda: changed(address="江苏省苏州市吴中区木渎镇山塘街88号"),
    "JOINT_UNITS_TOO_MANY": lambda: changed(joint_units=[
        joint(f"单位{i}", code=make_uscc("91", "310104", f"MA1GT7B{i}")) for i in range(4)]),
    "JOINT_UNIT_DUPLICATE": lambda: changed(joint_units=[joint(code=LEAD_CODE)]),
    "SECTION_EMPTY": lambda: section_changed("stage_goals", ""),
    "SECTION_TOO_LONG": lambda: section_changed("funding", "资" * 501),
    "TECH_ELEMENTS_MISSING": lambda: section_changed(
        "scenario_overview", _without(clean_submission().fields["sections"]["scenario_overview"], "数据流通", "数据融合")),
    "OVERVIEW_TOPICS_MISSING": lambda: section_changed(
        "scenario_overview", clean_submission().fields["sections"]["scenario_overview"].rsplit("\n", 1)[0]),
    "DIRECTION_CONTENT_MISMATCH": lambda: changed(direction="元宇宙+直播教学", track="教育"),
    "SCENARIO_NAME_MISMATCH": lambda: changed(letter_scenario_name="焊装车间数字孪生"),
    "LETTER_DATE_MISSING": lambda: _letter_date(None),
    "LETTER_DATE_OUT_OF_WINDOW": lambda: _letter_date("2023-11-16"),
    "LETTER_CLAUSES_ALTERED": lambda: _clauses(CLAUSES[:3] + ["承诺根据自身情况为项目提供部分资金支持，择机推动应用。"] + CLAUSES[4:]),
    "SEAL_MISSING": lambda: changed(letter_has_seal=False),
}

EXPECTED_FIELD = {
    "FIELD_MISSING": "lead_unit_name", "CODE_INVALID": "lead_unit_code", "CODE_NOT_SHANGHAI": "lead_unit_code",
    "UNIT_NATURE_CODE_MISMATCH": "unit_nature", "DIRECTION_NONE": "direction", "DIRECTION_MULTIPLE": "direction",
    "UNIT_NATURE_NONE": "unit_nature", "UNIT_NATURE_MULTIPLE": "unit_nature",
    "UNIT_NATURE_OTHER_UNSPECIFIED": "unit_nature_other", "MOBILE_INVALID": "leader_mobile",
    "PHONE_INVALID": "contact_phone", "EMAIL_INVALID": "contact_email", "ADDRESS_NOT_SHANGHAI": "address",
    "JOINT_UNITS_TOO_MANY": "joint_units", "JOINT_UNIT_DUPLICATE": "joint_units[0].code",
    "SECTION_EMPTY": "stage_goals", "SECTION_TOO_LONG": "funding", "TECH_ELEMENTS_MISSING": None,
    "OVERVIEW_TOPICS_MISSING": "scenario_overview", "DIRECTION_CONTENT_MISMATCH": "direction",
    "SCENARIO_NAME_MISMATCH": "letter_scenario_name", "LETTER_DATE_MISSING": "letter_date",
    "LETTER_DATE_OUT_OF_WINDOW": "letter_date", "LETTER_CLAUSES_ALTERED": "letter_clauses[3]",
    "SEAL_MISSING": "letter_has_seal", "FORM_MISSING": None, "LETTER_MISSING": None,
    "FILE_UNREADABLE": None, "FILE_ENCRYPTED": None, "FILE_UNSUPPORTED": None, "OCR_UNAVAILABLE": None,
    "FILE_TYPE_MISMATCH": None,
}


@pytest.mark.parametrize("rule", sorted(TRIGGERS))
def test_rule_triggers(rule):
    sub = TRIGGERS[rule]()
    found = findings_of(sub, rule)
    assert found, f"{rule} not reported; got {[(f.rule, f.field) for f in sub.findings]}"
    f = found[0]
    assert f.field == EXPECTED_FIELD[rule]
    assert CJK.search(f.message), f.message
    assert "{" not in f.message and "}" not in f.message  # template fully filled
    assert f.severity == RULES.severity(rule, f.severity)
    expected_status = "fail" if any(x.severity == "error" for x in sub.findings) else "warn"
    assert sub.status == expected_status


def test_every_triggered_rule_is_the_only_change():
    """Each trigger changes one thing: apart from knock-on rules listed here, nothing else fires."""
    knock_on = {
        "UNIT_NATURE_OTHER_UNSPECIFIED": set(),
        "SECTION_TOO_LONG": set(),
        "DIRECTION_CONTENT_MISMATCH": set(),
        "TECH_ELEMENTS_MISSING": set(),
    }
    for rule, make in TRIGGERS.items():
        got = rule_ids(make())
        extra = got - {rule} - knock_on.get(rule, set())
        assert not extra, f"{rule}: unexpected {extra}"


# --- near misses that must not trigger ---------------------------------------------------------------

NOT_TRIGGERED = [
    ("FIELD_MISSING", lambda: changed(leader_mobile=None)),  # phone still there
    ("FIELD_MISSING", lambda: changed(contact_phone="", leader_fax=None)),
    ("CODE_INVALID", lambda: changed(lead_unit_code=" 9131 0115 " + LEAD_CODE[8:].lower())),
    ("CODE_INVALID", lambda: changed(joint_units=[joint(code=make_org("31415926")[:8] + "-" + make_org("31415926")[8])])),
    ("CODE_NOT_SHANGHAI", lambda: changed(lead_unit_code=make_org("31415926"))),  # 9 chars: no division
    ("CODE_NOT_SHANGHAI", lambda: changed(lead_unit_code=make_uscc("91", "310000", "MA1FL0A1"))),
    ("UNIT_NATURE_CODE_MISMATCH", lambda: changed(lead_unit_code=make_uscc("12", "310112", "42501375"), unit_nature="事业单位")),
    ("UNIT_NATURE_CODE_MISMATCH", lambda: changed(unit_nature="其他", unit_nature_other="合伙企业")),
    ("UNIT_NATURE_CODE_MISMATCH", lambda: changed(lead_unit_code=make_uscc("51", "310000", "MJ000001"), unit_nature="社会团体")),
    ("DIRECTION_NONE", lambda: changed(direction=["元宇宙+工厂"])),  # a one-element list is one direction
    ("UNIT_NATURE_OTHER_UNSPECIFIED", lambda: changed(unit_nature="其他", unit_nature_other="合伙企业")),
    ("MOBILE_INVALID", lambda: changed(leader_mobile="+86 138-1234-5678")),
    ("MOBILE_INVALID", lambda: changed(leader_mobile="１３８１２３４５６７８")),  # full-width digits
    ("MOBILE_INVALID", lambda: changed(leader_mobile=None)),  # blank optional value
    ("PHONE_INVALID", lambda: changed(contact_phone="021-34567890转801")),
    ("PHONE_INVALID", lambda: changed(contact_phone="（021）3456 7890")),
    ("PHONE_INVALID", lambda: changed(contact_phone="13812345678")),  # a mobile in the phone box
    ("PHONE_INVALID", lambda: changed(contact_phone="+86-21-6123 4567")),
    ("PHONE_INVALID", lambda: changed(contact_phone="400-820-8820")),
    ("PHONE_INVALID", lambda: changed(contact_phone="021-34567890 / 021-34567891")),
    ("PHONE_INVALID", lambda: changed(letter_contact_phone="021-34567890")),
    ("EMAIL_INVALID", lambda: changed(contact_email="ｗａｎｇ＠ｚｈｅｎｔｕ．ｃｏｍ")),
    ("ADDRESS_NOT_SHANGHAI", lambda: changed(address="浦东新区张江路1号")),
    ("JOINT_UNITS_TOO_MANY", lambda: changed(joint_units=[
        joint(f"单位{i}", code=make_uscc("91", "310104", f"MA1GT7B{i}")) for i in range(3)])),
    ("JOINT_UNIT_DUPLICATE", lambda: changed(joint_units=[joint(), joint("另一单位", code=make_uscc("91", "310104", "MA1GT7B9"))])),
    ("FILE_TYPE_MISMATCH", lambda: _disguised("docx")),
    ("FILE_TYPE_MISMATCH", lambda: _disguised("docx", "encrypted-ooxml")),  # an encrypted .docx is an OLE file
    ("FILE_TYPE_MISMATCH", lambda: _disguised("pdf", "docx", "FILE_UNREADABLE")),  # not read: said in FILE_UNREADABLE
    ("SECTION_EMPTY", lambda: section_changed("stage_goals", "5G")),
    ("SCENARIO_NAME_MISMATCH", lambda: changed(letter_scenario_name="《 白车身焊装产线数字孪生 》")),
    ("SCENARIO_NAME_MISMATCH", lambda: changed(letter_scenario_name="“白车身焊装产线数字孪生”")),
    ("LETTER_DATE_OUT_OF_WINDOW", lambda: _letter_date("2023-10-13")),  # window is inclusive
    ("LETTER_DATE_OUT_OF_WINDOW", lambda: _letter_date("2023-11-15")),
    ("LETTER_CLAUSES_ALTERED", lambda: _clauses([f"{i + 1}．{c.replace('，', ',')}" for i, c in enumerate(CLAUSES)])),
    ("LETTER_CLAUSES_ALTERED", lambda: _clauses([c.replace("本单位", "本 单 位") for c in CLAUSES])),
    ("TECH_ELEMENTS_MISSING", lambda: section_changed(
        "scenario_overview", _without(clean_submission().fields["sections"]["scenario_overview"], "数据流通")
        + "建设数据共享平台。")),
]


@pytest.mark.parametrize(("rule", "make"), NOT_TRIGGERED, ids=[f"{r}-{i}" for i, (r, _) in enumerate(NOT_TRIGGERED)])
def test_rule_does_not_trigger(rule, make):
    sub = make()
    assert not findings_of(sub, rule), [(f.rule, f.field, f.message) for f in findings_of(sub, rule)]


# --- details of individual rules ---------------------------------------------------------------------

def test_form_rules_do_not_cascade_when_the_form_is_missing():
    sub = run(clean_submission(form=False))
    assert rule_ids(sub) == {"FORM_MISSING"}
    assert sub.fields["section_lengths"] == {s.key: None for s in RULES.sections}  # unknown, not 0
    assert sub.coverage == {}


def test_letter_rules_need_a_letter():
    sub = run(clean_submission(letter=False))
    assert rule_ids(sub) == {"LETTER_MISSING"}


FORM_NAME = "附件1《上海市元宇宙重大应用场景需求征集表》"
LETTER_NAME = "附件2《上海市元宇宙重大应用场景建设承诺书》"


def _unread(*files: str, form: bool = False, letter: bool = True, rule: str = "FILE_UNREADABLE"):
    sub = clean_submission(form=form, letter=letter)
    for f in files:
        with_problem(sub, rule, "文件已损坏", f)
    return run(sub)


@pytest.mark.parametrize("rule", ["FILE_UNREADABLE", "FILE_ENCRYPTED", "OCR_UNAVAILABLE"])
def test_an_unread_form_file_is_one_finding_saying_both(rule):
    """One cause, one finding: the damaged 附件1 is the reason the form is missing."""
    sub = _unread("附件1.docx", rule=rule)
    assert rule_ids(sub) == {rule}
    (f,) = sub.findings
    assert "附件1.docx" in f.message and f"缺少可读取的{FORM_NAME}" in f.message and LETTER_NAME not in f.message
    assert f.details["missing"] == ["form"]


def test_two_unread_files_each_say_their_own():
    sub = _unread("申报/附件2-建设承诺书.pdf", "附件1 需求征集表.docx", letter=False)
    assert rule_ids(sub) == {"FILE_UNREADABLE"}
    by_file = {f.evidence.file: f for f in sub.findings}
    assert by_file["附件1 需求征集表.docx"].details["missing"] == ["form"]
    assert by_file["申报/附件2-建设承诺书.pdf"].details["missing"] == ["letter"]
    assert LETTER_NAME not in by_file["附件1 需求征集表.docx"].message


def test_one_unread_file_with_a_neutral_name_says_both():
    sub = _unread("申报材料.docx", letter=False)
    (f,) = sub.findings
    assert f.rule == "FILE_UNREADABLE" and f.details["missing"] == ["form", "letter"]
    assert f"缺少可读取的{FORM_NAME}和{LETTER_NAME}" in f.message


def test_an_unread_letter_is_not_the_missing_form():
    """A file named for the letter did not hold the form: FORM_MISSING is its own finding."""
    sub = _unread("附件2-建设承诺书.pdf", letter=False)
    assert rule_ids(sub) == {"FILE_UNREADABLE", "FORM_MISSING"}
    assert findings_of(sub, "FILE_UNREADABLE")[0].details["missing"] == ["letter"]
    assert "附件2" not in findings_of(sub, "FORM_MISSING")[0].message


def test_a_named_unread_file_takes_the_document_from_a_neutral_one():
    sub = _unread("附件1.docx", "附件10.pdf")  # 附件10 is not 附件1
    (named,) = [f for f in sub.findings if f.evidence.file == "附件1.docx"]
    (other,) = [f for f in sub.findings if f.evidence.file == "附件10.pdf"]
    assert named.details["missing"] == ["form"] and "missing" not in other.details and "缺少" not in other.message
    assert rule_ids(sub) == {"FILE_UNREADABLE"}


def test_an_unread_file_says_nothing_missing_when_the_form_was_read():
    sub = _unread("附件1-需求征集表（备份）.docx", form=True)
    (f,) = sub.findings
    assert "缺少" not in f.message and "missing" not in f.details


def test_section_findings_follow_the_form_order():
    """一…七 as the form prints them (rules [[sections]]), not by key."""
    sub = clean_submission()
    for key in sub.fields["sections"]:
        sub.fields["sections"][key] = ""
    run(sub)
    order = [s.key for s in RULES.sections]
    assert [f.field for f in findings_of(sub, "SECTION_EMPTY")] == order
    assert order != sorted(order)


def test_section_order_within_mixed_fields_is_deterministic():
    from pipeline.validate import sort_findings

    sub = section_changed("funding", "资" * 501)
    sub.fields["sections"].update(timeline="", stage_goals="", lead_unit_intro="")
    sub.fields["lead_unit_name"] = None
    run(sub)
    got = [(f.rule, f.field) for f in sub.findings]
    assert got == [("FIELD_MISSING", "lead_unit_name"), ("SECTION_EMPTY", "lead_unit_intro"),
                   ("SECTION_EMPTY", "timeline"), ("SECTION_EMPTY", "stage_goals"), ("SECTION_TOO_LONG", "funding"),
                   *[(f.rule, f.field) for f in sub.findings[5:]]]
    keys = [s.key for s in RULES.sections]
    assert sort_findings(list(reversed(sub.findings)), keys) == sub.findings


def test_required_any_is_one_finding_per_group():
    sub = changed(contact_mobile=None, contact_phone=" ")
    (f,) = findings_of(sub, "FIELD_MISSING")
    assert f.field == "contact_mobile" and f.details["any_of"] == ["contact_mobile", "contact_phone"]
    assert "联系人手机" in f.message and "联系人电话" in f.message


def test_one_field_missing_per_missing_field():
    sub = changed(lead_unit_name=None, address="", contact_email=None)
    assert sorted(f.field for f in findings_of(sub, "FIELD_MISSING")) == ["address", "contact_email", "lead_unit_name"]


def test_joint_unit_code_missing_and_invalid():
    sub = changed(joint_units=[joint(code=None), joint("乙", code="91310104MA1GT7B2X0")])
    assert [f.field for f in findings_of(sub, "FIELD_MISSING")] == ["joint_units[0].code"]
    (bad,) = findings_of(sub, "CODE_INVALID")
    assert bad.field == "joint_units[1].code" and "第2家联合申报单位" in bad.message


def test_joint_duplicates_flag_every_copy_and_the_lead():
    org = LEAD_CODE[8:17]  # the lead's own organisation code written as a 9-char code
    sub = changed(joint_units=[joint(code=JOINT_CODE), joint("乙", code=JOINT_CODE), joint("丙", code=org[:8] + "-" + org[8])])
    fields = [f.field for f in findings_of(sub, "JOINT_UNIT_DUPLICATE")]
    assert fields == ["joint_units[0].code", "joint_units[1].code", "joint_units[2].code"]
    assert "牵头单位" in findings_of(sub, "JOINT_UNIT_DUPLICATE")[2].message


def test_code_invalid_reports_the_reason():
    sub = changed(lead_unit_code="91310115MA1FL0A1O9")
    (f,) = findings_of(sub, "CODE_INVALID")
    assert "I、O、S、V、Z" in f.message
    assert f.evidence.file == "附件1-需求征集表.docx" and f.evidence.location == "表1 第2行第2列"


def test_unknown_direction_label_is_direction_none():
    sub = changed(direction="元宇宙+其它")
    (f,) = findings_of(sub, "DIRECTION_NONE")
    assert "元宇宙+其它" in f.message


def test_date_before_window_and_unreadable_date():
    assert findings_of(_letter_date("2023-10-12"), "LETTER_DATE_OUT_OF_WINDOW")
    sub = _letter_date("2023-13-45")
    assert findings_of(sub, "LETTER_DATE_MISSING") and not findings_of(sub, "LETTER_DATE_OUT_OF_WINDOW")


def test_altered_clause_names_its_number_and_shows_the_difference():
    sub = TRIGGERS["LETTER_CLAUSES_ALTERED"]()
    (f,) = findings_of(sub, "LETTER_CLAUSES_ALTERED")
    assert "第4条" in f.message and f.details["clause"] == 4
    assert "[-" in f.details["diff"] and "[+" in f.details["diff"]
    assert f.details["ratio"] < RULES.raw["letter"]["clause_similarity_min"]


def test_missing_clause_is_reported_at_its_number_even_when_later_ones_shift():
    sub = _clauses(CLAUSES[:1] + CLAUSES[2:])  # clause 2 dropped; 3–6 move up one place
    found = findings_of(sub, "LETTER_CLAUSES_ALTERED")
    assert [f.field for f in found] == ["letter_clauses[1]"]
    assert "缺少第2条" in found[0].message


def test_no_clauses_at_all_is_one_finding():
    found = findings_of(_clauses([]), "LETTER_CLAUSES_ALTERED")
    assert len(found) == 1 and found[0].field == "letter_clauses"


def test_section_holding_only_its_printed_hint_is_empty():
    hint = next(s.hint for s in RULES.sections if s.key == "stage_goals")
    sub = section_changed("stage_goals", hint.replace("(", "（").replace(")", "）"))
    assert [f.field for f in findings_of(sub, "SECTION_EMPTY")] == ["stage_goals"]


def test_overview_hint_left_in_place_does_not_hide_a_missing_topic():
    hint = next(s.hint for s in RULES.sections if s.key == "scenario_overview")
    text = clean_submission().fields["sections"]["scenario_overview"].rsplit("\n", 1)[0]
    sub = section_changed("scenario_overview", hint + "\n" + text)
    (f,) = findings_of(sub, "OVERVIEW_TOPICS_MISSING")
    assert f.details["missing"] == ["拟合作单位"]
    assert sub.fields["section_lengths"]["scenario_overview"] == count_zi(text)  # the hint is not counted


def test_tech_elements_missing_lists_all_missing_in_one_finding():
    sub = section_changed("scenario_overview", "建设背景、总体目标、建设内容、建设周期、项目创新点、预期成效、拟合作单位。")
    for key in ("existing_foundation", "requirement_analysis", "timeline", "stage_goals", "lead_unit_intro"):
        sub.fields["sections"][key] = "本单位情况良好。"
    run(sub)
    (f,) = findings_of(sub, "TECH_ELEMENTS_MISSING")
    assert f.details["missing"] == list(RULES.raw["coverage"]["tech_elements"])


def test_direction_content_mismatch_needs_enough_hits():
    sub = changed(direction="元宇宙+直播教学")
    (f,) = findings_of(sub, "DIRECTION_CONTENT_MISMATCH")
    assert f.details == {"track": "教育", "guess": "工业", "scores": sub.coverage["track_scores"]}
    strict = copy.deepcopy(RULES.raw)
    strict["coverage"]["mismatch_min_hits"] = 1000
    rules = Rules(raw=strict, source="test", sha256="strict")
    sub2 = clean_submission()
    sub2.fields["direction"] = "元宇宙+直播教学"
    assert not findings_of(run(sub2, rules), "DIRECTION_CONTENT_MISMATCH")


def test_severity_override_from_the_rules_file():
    raw = copy.deepcopy(RULES.raw)
    raw["severities"] = {"SEAL_MISSING": "error", "TECH_ELEMENTS_MISSING": "info"}
    rules = Rules(raw=raw, source="test", sha256="override")
    sub = clean_submission()
    sub.fields["letter_has_seal"] = False
    run(sub, rules)
    (f,) = findings_of(sub, "SEAL_MISSING")
    assert f.severity == "error" and sub.status == "fail"


def test_findings_are_sorted_and_validation_is_idempotent():
    sub = clean_submission()
    sub.fields.update(letter_has_seal=False, direction=None, leader_mobile="123", address="苏州",
                      joint_units=[joint(code="X"), joint(code="Y"), joint(code="Z")] * 4)
    run(sub)
    # errors first; within a severity, as the form prints the fields (issue #19), then by rule
    from .test_evidence_order import _place

    keys = [(-SEVERITY_ORDER[f.severity], _place(f.field), f.rule) for f in sub.findings]
    assert keys == sorted(keys)
    assert [f.rule for f in sub.findings if f.severity == "error"][0] == "DIRECTION_NONE"  # 申报场景方向 before 联合申报单位
    codes = [f.field for f in findings_of(sub, "CODE_INVALID")]
    assert codes == [f"joint_units[{i}].code" for i in range(12)]  # [2] before [10]
    first = [(f.rule, f.field, f.message) for f in sub.findings]
    run(sub)
    assert [(f.rule, f.field, f.message) for f in sub.findings] == first


def test_odd_field_types_do_not_break_the_rules():
    sub = clean_submission()
    sub.fields.update(joint_units="not a list", direction=42, letter_clauses=None, sections=None,
                      unit_nature=["民营企业", None], address=["上海市", "浦东新区"])
    run(sub)
    assert not [n.message for n in sub.notes if "出错" in n.message]
    assert {"DIRECTION_NONE", "LETTER_CLAUSES_ALTERED"} <= rule_ids(sub)
    # no sections at all: unknown, so no length and no SECTION_EMPTY (the extractor reports a gap)
    assert set(sub.fields["section_lengths"].values()) == {None} and "SECTION_EMPTY" not in rule_ids(sub)


def test_a_failing_check_becomes_a_note_not_a_crash(monkeypatch, caplog):
    def broken(c):
        raise RuntimeError("boom")

    broken.rule_ids = ("SEAL_MISSING",)
    monkeypatch.setitem(registry.CHECKS, "letter", [broken, *registry.CHECKS["letter"]])
    sub = run(clean_submission())
    assert sub.findings == []
    # the note is Chinese; the exception's own words go to the log only
    assert any("SEAL_MISSING" in n.message and "执行出错" in n.message and "boom" not in n.message for n in sub.notes)
    assert "boom" in caplog.text


def test_medical_teaching_may_read_like_education():
    text = ("本项目面向医学院学生和住院医师，建设外科手术模拟与解剖学虚拟教学平台。学生在虚拟课堂中完成器械操作训练"
            "和临床教学实践，教师通过学情数据评估学习效果，课程覆盖解剖、外科和护理三个专业，实训课时提升50%。")
    as_medical_teaching = clean_submission()
    as_medical_teaching.fields["sections"] = {k: text for k in as_medical_teaching.fields["sections"]}
    as_medical_teaching.fields["direction"] = "元宇宙+医学教育"
    assert not findings_of(run(as_medical_teaching), "DIRECTION_CONTENT_MISMATCH")
    as_smart_hospital = clean_submission()
    as_smart_hospital.fields["sections"] = {k: text for k in as_smart_hospital.fields["sections"]}
    as_smart_hospital.fields["direction"] = "元宇宙+智慧医院"
    (f,) = findings_of(run(as_smart_hospital), "DIRECTION_CONTENT_MISMATCH")
    assert f.details["guess"] == "教育"


_ANY_VALUE = st.one_of(
    st.none(), st.text(max_size=30), st.integers(), st.booleans(),
    st.lists(st.one_of(st.none(), st.text(max_size=10), st.integers()), max_size=3),
    st.dictionaries(st.sampled_from(["name", "nature", "code", "strengths", "x"]), st.one_of(st.none(), st.text(max_size=10))),
)
_KEYS = ["lead_unit_name", "lead_unit_code", "scenario_name", "direction", "address", "leader_mobile", "contact_phone",
         "contact_email", "unit_nature", "unit_nature_other", "joint_units", "sections", "letter_scenario_name",
         "letter_clauses", "letter_date", "letter_has_seal", "letter_contact_phone", "section_lengths"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_KEYS), _ANY_VALUE, max_size=8))
def test_any_field_values_give_findings_not_errors(values):
    sub = clean_submission()
    sub.fields.update(values)
    run(sub)
    assert not [n.message for n in sub.notes if "出错" in n.message]
    assert sub.status in ("pass", "warn", "review", "fail")
    assert all(v is None or isinstance(v, int) for v in sub.fields["section_lengths"].values())
