"""Chinese names for field keys, statuses and severities: one map used by the HTML and the xlsx.

Field labels are the ones printed on the paper form (SPEC §2); section labels come from the rules
file (its first label of each section), so a renamed section shows the same name everywhere.
"""

from __future__ import annotations

import re
from typing import Any

from ..config import Rules

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

STATUS_LABELS: dict[str, str] = {"pass": "通过", "warn": "有警告", "fail": "不通过"}
STATUS_ORDER: dict[str, int] = {"fail": 0, "warn": 1, "pass": 2}
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
FILE_KIND_LABELS: dict[str, str] = {
    "form": "附件1 需求征集表",
    "letter": "附件2 建设承诺书",
    "both": "附件1 + 附件2",
    "unknown": "未识别",
}
ORIGIN_LABELS: dict[str, str] = {"folder": "文件夹", "zip": "压缩包", "loose": "散放文件"}
YES_NO: dict[bool, str] = {True: "是", False: "否"}

_PATH_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def section_labels(rules: Rules) -> dict[str, str]:
    """Section key → its printed label (the first label in the rules file)."""
    return {s.key: (s.labels[0] if s.labels else s.key) for s in rules.sections}


def field_path(field: str) -> list[str | int]:
    """`joint_units[1].code` → ['joint_units', 1, 'code']; `sections.funding` → ['sections', 'funding']."""
    return [name if name else int(idx) for name, idx in _PATH_TOKEN.findall(field or "")]


def field_label(field: str | None, rules: Rules) -> str:
    """The Chinese name of a finding's field, e.g. `joint_units[1].code` → 联合申报单位第2家·组织机构代码/三证合一码."""
    if not field:
        return ""
    sections = section_labels(rules)
    path = field_path(field)
    if not path or not isinstance(path[0], str):
        return field
    head, rest = path[0], path[1:]
    if head in ("sections", "section_lengths") and rest and isinstance(rest[0], str):
        return sections.get(rest[0], rest[0]) + ("字数" if head == "section_lengths" else "")
    if head in sections:
        return sections[head]
    if head == "joint_units" and rest and isinstance(rest[0], int):
        label = f"联合申报单位第{rest[0] + 1}家"
        if len(rest) > 1 and isinstance(rest[1], str):
            label += "·" + JOINT_UNIT_LABELS.get(rest[1], rest[1])
        return label
    if head == "letter_clauses" and rest and isinstance(rest[0], int):
        return f"承诺条款第{rest[0] + 1}条"
    return FIELD_LABELS.get(head, field)


def display_value(value: Any) -> str | None:
    """A field value as one line of text: lists joined with 、, booleans as 是/否, blanks as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, (list, tuple)):
        parts = [display_value(v) for v in value]
        joined = "、".join(p for p in parts if p)
        return joined or None
    if isinstance(value, dict):
        return "；".join(f"{k}: {display_value(v)}" for k, v in value.items() if v not in (None, ""))
    text = str(value)
    return text if text != "" else None


def scalar_field_keys(submissions: list[dict[str, Any]]) -> list[str]:
    """§2 keys shown one per column: the known ones in form order, then any unknown extras seen."""
    structured = {"joint_units", "sections", "section_lengths", "letter_clauses"}
    keys = [k for k in FIELD_LABELS if k not in structured]
    extra: list[str] = []
    for s in submissions:
        for k in (s.get("fields") or {}):
            if k not in FIELD_LABELS and k not in extra:
                extra.append(k)
    return keys + sorted(extra)
