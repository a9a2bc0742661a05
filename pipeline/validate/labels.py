"""Chinese names of field paths for finding messages (as printed on the forms)."""

from __future__ import annotations

import re

from ..config import Rules

FIELD_NAMES: dict[str, str] = {
    "lead_unit_name": "牵头单位名称",
    "lead_unit_code": "牵头单位组织机构代码/三证合一码",
    "scenario_name": "场景名称",
    "direction": "申报场景方向",
    "track": "赛道",
    "address": "场景所在地址",
    "unit_nature": "单位性质",
    "unit_nature_other": "单位性质（其他，请注明）",
    "joint_units": "联合申报单位",
    "letter_scenario_name": "承诺书中的场景名称",
    "letter_clauses": "承诺书承诺条款",
    "letter_contact": "承诺书联系人",
    "letter_contact_phone": "承诺书联系电话",
    "letter_date": "承诺书日期",
    "letter_has_seal": "承诺书公章",
}
PERSON_NAMES: dict[str, str] = {"leader": "负责人", "contact": "联系人"}
PERSON_FIELD_NAMES: dict[str, str] = {
    "name": "姓名", "phone": "电话", "title": "职务", "mobile": "手机", "fax": "传真", "email": "E-mail",
}
JOINT_FIELD_NAMES: dict[str, str] = {
    "name": "单位名称", "nature": "单位性质", "strengths": "单位特色、优势", "code": "组织机构代码/三证合一码",
}

_JOINT = re.compile(r"^joint_units\[(\d+)\](?:\.(\w+))?$")
_CLAUSE = re.compile(r"^letter_clauses\[(\d+)\]$")


def field_label(key: str | None, rules: Rules) -> str:
    """`joint_units[1].code` → 第2家联合单位的组织机构代码/三证合一码; section keys → their printed label."""
    if not key:
        return ""
    if key in FIELD_NAMES:
        return FIELD_NAMES[key]
    for spec in rules.sections:
        if key == spec.key:
            return spec.labels[0]
    person, _, sub = key.partition("_")
    if person in PERSON_NAMES and sub in PERSON_FIELD_NAMES:
        return PERSON_NAMES[person] + PERSON_FIELD_NAMES[sub]
    m = _JOINT.match(key)
    if m:
        unit = f"第{int(m.group(1)) + 1}家联合申报单位"
        return unit + (f"的{JOINT_FIELD_NAMES.get(m.group(2), m.group(2))}" if m.group(2) else "")
    m = _CLAUSE.match(key)
    if m:
        return f"承诺书第{int(m.group(1)) + 1}条承诺"
    return key
