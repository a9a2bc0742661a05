"""Chinese names of field keys: the one map read by the validator's messages and by the reports.

Labels are the ones printed on the paper forms (SPEC §2); section labels come from the rules file
(the first label of each section), so a renamed section reads the same everywhere. Two places name
a field differently and both are kept: a report column or row sits inside its part of the form, so
it uses the printed label (`组织机构代码/三证合一码`), while a finding's sentence stands alone and
needs the longer name in `SENTENCE_LABELS` (`牵头单位组织机构代码/三证合一码`). Indexed paths
(`joint_units[1].code`, `letter_clauses[2]`) are phrased per style from `PATH_PHRASES`.
"""

from __future__ import annotations

import re
from typing import Literal

from .config import Rules

LabelStyle = Literal["column", "sentence"]

# SPEC §2 keys in the order of the paper form (附件1 一、基本信息, then 附件2).
FIELD_LABELS: dict[str, str] = {
    "lead_unit_name": "牵头单位名称",
    "lead_unit_code": "组织机构代码/三证合一码",
    "scenario_name": "场景名称",
    "track": "赛道",
    "direction": "申报场景方向",
    "address": "场景所在地址",
    "leader_name": "负责人姓名",
    "leader_title": "负责人职务",
    "leader_phone": "负责人电话",
    "leader_mobile": "负责人手机",
    "leader_fax": "负责人传真",
    "leader_email": "负责人E-mail",
    "contact_name": "联系人姓名",
    "contact_title": "联系人职务",
    "contact_phone": "联系人电话",
    "contact_mobile": "联系人手机",
    "contact_fax": "联系人传真",
    "contact_email": "联系人E-mail",
    "unit_nature": "单位性质",
    "unit_nature_other": "单位性质（其他，请注明）",
    "joint_units": "联合申报单位",
    "sections": "具体内容",
    "section_lengths": "具体内容字数",
    "letter_scenario_name": "承诺书场景名称",
    "letter_clauses": "承诺条款",
    "letter_contact": "承诺书联系人",
    "letter_contact_phone": "承诺书联系电话",
    "letter_date": "承诺书日期",
    "letter_has_seal": "承诺书盖章",
}

# Each rule's short Chinese name, for the index and the reports (the rule id is shown beside it).
RULE_NAMES: dict[str, str] = {
    "FILE_UNREADABLE": "文件无法读取",
    "FILE_ENCRYPTED": "文件设有密码",
    "FILE_UNSUPPORTED": "不支持的文件类型",
    "OCR_UNAVAILABLE": "扫描件未能识别文字",
    "FILE_TYPE_MISMATCH": "文件格式与扩展名不符",
    "FORM_MISSING": "缺少需求征集表",
    "LETTER_MISSING": "缺少建设承诺书",
    "EXTRACTION_INCOMPLETE": "部分内容未能读取",
    "FIELD_MISSING": "必填项未填写",
    "CODE_INVALID": "组织机构代码无效",
    "CODE_NOT_SHANGHAI": "代码不属于上海",
    "UNIT_NATURE_CODE_MISMATCH": "单位性质与代码不符",
    "DIRECTION_NONE": "未勾选申报方向",
    "DIRECTION_MULTIPLE": "勾选了多个申报方向",
    "UNIT_NATURE_NONE": "未勾选单位性质",
    "UNIT_NATURE_MULTIPLE": "勾选了多个单位性质",
    "UNIT_NATURE_OTHER_UNSPECIFIED": "单位性质“其他”未注明",
    "MOBILE_INVALID": "手机号码格式不正确",
    "PHONE_INVALID": "电话号码格式不正确",
    "EMAIL_INVALID": "电子邮箱格式不正确",
    "ADDRESS_NOT_SHANGHAI": "场景地址不在上海",
    "JOINT_UNITS_TOO_MANY": "联合申报单位过多",
    "JOINT_UNIT_DUPLICATE": "联合申报单位代码重复",
    "SECTION_EMPTY": "具体内容栏目为空",
    "SECTION_TOO_LONG": "具体内容超出字数上限",
    "TECH_ELEMENTS_MISSING": "缺少技术要素",
    "OVERVIEW_TOPICS_MISSING": "场景建设概述缺项",
    "DIRECTION_CONTENT_MISMATCH": "内容与申报方向不符",
    "SCENARIO_NAME_MISMATCH": "承诺书场景名称不一致",
    "LETTER_DATE_MISSING": "承诺书未填日期",
    "LETTER_DATE_OUT_OF_WINDOW": "承诺书日期不在申报期内",
    "LETTER_CLAUSES_ALTERED": "承诺条款缺失或被改写",
    "SEAL_MISSING": "承诺书未盖公章",
    "DUPLICATE_SUBMISSION": "重复申报",
    "NARRATIVE_REUSED": "具体内容与其他申报雷同",
}


def rule_name(rule_id: str) -> str:
    """A rule's Chinese name; an id without one comes back as it is."""
    return RULE_NAMES.get(rule_id, rule_id)


# How a finding's sentence names a field whose printed label is ambiguous out of its form context.
SENTENCE_LABELS: dict[str, str] = {
    "lead_unit_code": "牵头单位组织机构代码/三证合一码",
    "letter_scenario_name": "承诺书中的场景名称",
    "letter_clauses": "承诺书承诺条款",
    "letter_has_seal": "承诺书公章",
}

# Keys of one joint unit (fields.joint_units[i]).
JOINT_UNIT_LABELS: dict[str, str] = {
    "name": "单位名称",
    "nature": "单位性质",
    "strengths": "单位特色、优势",
    "code": "组织机构代码/三证合一码",
}

# The person blocks of the form: (prefix, printed label) and their six sub-fields as printed.
PERSON_BLOCKS: tuple[tuple[str, str], ...] = (("leader", "负责人"), ("contact", "联系人"))
PERSON_FIELDS: dict[str, str] = {
    "name": "姓名",
    "phone": "电话",
    "title": "职务",
    "mobile": "手机",
    "fax": "传真",
    "email": "E-mail",
}

# Labels of the letter's fields inside the 附件2 part of a report, where the 承诺书 prefix is implied.
LETTER_LABELS: dict[str, str] = {
    "letter_scenario_name": "场景名称",
    "letter_contact": "联系人",
    "letter_contact_phone": "联系电话",
    "letter_date": "落款日期",
    "letter_has_seal": "盖章",
}

# Indexed paths per style: {n} is the 1-based index, {unit} the unit's name, {field} a sub-field's label.
PATH_PHRASES: dict[LabelStyle, dict[str, str]] = {
    "column": {"unit": "联合申报单位第{n}家", "unit_field": "{unit}·{field}", "clause": "承诺条款第{n}条"},
    "sentence": {
        "unit": "第{n}家联合申报单位",
        "unit_field": "{unit}的{field}",
        "clause": "承诺书第{n}条承诺",
    },
}

_NAMES: dict[LabelStyle, dict[str, str]] = {
    "column": FIELD_LABELS,
    "sentence": FIELD_LABELS | SENTENCE_LABELS,
}
_PATH_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def section_labels(rules: Rules) -> dict[str, str]:
    """Section key → its printed label (the first label in the rules file)."""
    return {s.key: (s.labels[0] if s.labels else s.key) for s in rules.sections}


def field_path(field: str) -> list[str | int]:
    """`joint_units[1].code` → ['joint_units', 1, 'code']; `sections.funding` → ['sections', 'funding']."""
    return [name if name else int(idx) for name, idx in _PATH_TOKEN.findall(field or "")]


def field_label(field: str | None, rules: Rules, style: LabelStyle = "column") -> str:
    """The Chinese name of a field path; unknown keys come back unchanged.

    `joint_units[1].code` → 联合申报单位第2家·组织机构代码/三证合一码 (column) or
    第2家联合申报单位的组织机构代码/三证合一码 (sentence).
    """
    if not field:
        return ""
    sections = section_labels(rules)
    phrases = PATH_PHRASES[style]
    path = field_path(field)
    if not path or not isinstance(path[0], str):
        return field
    head, rest = path[0], path[1:]
    if head in ("sections", "section_lengths") and rest and isinstance(rest[0], str):
        return sections.get(rest[0], rest[0]) + ("字数" if head == "section_lengths" else "")
    if head in sections:
        return sections[head]
    if head == "joint_units" and rest and isinstance(rest[0], int):
        unit = phrases["unit"].format(n=rest[0] + 1)
        if len(rest) > 1 and isinstance(rest[1], str):
            return phrases["unit_field"].format(unit=unit, field=JOINT_UNIT_LABELS.get(rest[1], rest[1]))
        return unit
    if head == "letter_clauses" and rest and isinstance(rest[0], int):
        return phrases["clause"].format(n=rest[0] + 1)
    return _NAMES[style].get(head, field)
