"""Rules on the form's basic information: required fields, codes, direction, unit nature,
contacts, address and joint units. They run only when a form was read (the contact check also
reads the letter's 联系电话 when a letter was read)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from ..model import Finding
from .codes import CodeCheck, check_code, natures_for_authority
from .registry import Context, rule
from .text import as_list, as_text, is_blank

PERSONS = ("leader", "contact")


def joint_units(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The joint units as dicts, indices kept (an entry that is not a dict reads as an empty unit)."""
    units = fields.get("joint_units") or []
    return [u if isinstance(u, dict) else {} for u in units] if isinstance(units, list) else []


def joint_field(i: int, key: str) -> str:
    return f"joint_units[{i}].{key}"


def code_check(c: Context, raw: Any) -> CodeCheck:
    require = bool(c.rules.raw["codes"].get("require_embedded_org_check", True))
    return check_code(as_text(raw), require)


# --- required fields ---------------------------------------------------------------------------

@rule(id="FIELD_MISSING", absence=True, severity="error", scope="form", field="（必填字段）",
      title="必填字段未填写",
      message="{label}未填写")
def check_required(c: Context) -> Iterator[Finding]:
    spec = c.rules.raw["fields"]
    for key in spec["required"]:
        if is_blank(c.fields.get(key)):
            yield c.finding("FIELD_MISSING", key)
    for group in spec["required_any"]:
        if group and all(is_blank(c.fields.get(k)) for k in group):
            names = "、".join(c.label(k) for k in group)
            yield c.finding("FIELD_MISSING", group[0], label=f"{names}（至少填写一项）均",
                            details={"any_of": list(group)})
    for i, unit in enumerate(joint_units(c.fields)):
        for key in c.rules.raw["fields"].get("joint_unit_required", []):
            if is_blank(unit.get(key)):
                yield c.finding("FIELD_MISSING", joint_field(i, key), excerpt=unit.get("name"))


# --- codes ---------------------------------------------------------------------------------------

@rule(id="CODE_INVALID", severity="error", scope="form", field="lead_unit_code / joint_units[i].code",
      title="代码既不是有效的18位统一社会信用代码（GB 32100-2015），也不是有效的9位组织机构代码（GB 11714）",
      message="{label}「{code}」无效：{reason}")
def check_codes(c: Context) -> Iterator[Finding]:
    targets = [("lead_unit_code", c.fields.get("lead_unit_code"))]
    targets += [(joint_field(i, "code"), u.get("code")) for i, u in enumerate(joint_units(c.fields))]
    for key, raw in targets:
        if is_blank(raw):
            continue
        res = code_check(c, raw)
        if not res.valid:
            yield c.finding("CODE_INVALID", key, excerpt=raw, code=as_text(raw), reason=res.reason,
                            details={"normalised": res.code})


@rule(id="CODE_NOT_SHANGHAI", severity="error", scope="form", field="lead_unit_code",
      title="牵头单位的18位代码中行政区划码（第3–8位）不是上海",
      message="牵头单位代码「{code}」的行政区划码为「{division}」，不是上海（应以「{prefix}」开头），"
              "申报主体须为在上海市内注册的单位")
def check_shanghai(c: Context) -> Iterator[Finding]:
    raw = c.fields.get("lead_unit_code")
    res = code_check(c, raw)
    prefix = c.rules.raw["codes"]["lead_division_prefix"]
    if res.valid and res.kind == "uscc" and not res.division.startswith(prefix):
        yield c.finding("CODE_NOT_SHANGHAI", "lead_unit_code", excerpt=raw, code=res.code,
                        division=res.division, prefix=prefix, details={"division": res.division})


@rule(id="UNIT_NATURE_CODE_MISMATCH", severity="warning", scope="form", field="unit_nature",
      title="代码的登记管理部门/机构类别码与所勾选的单位性质矛盾",
      message="{who}的单位性质为「{nature}」，但代码「{code}」以「{prefix}」开头，对应的单位性质应为{allowed}")
def check_nature_vs_code(c: Context) -> Iterator[Finding]:
    prefixes = c.rules.raw["unit_natures"]["code_prefixes"]
    options = set(c.rules.unit_natures)
    natures = as_list(c.fields.get("unit_nature"))
    cases = [("unit_nature", "牵头单位", natures[0] if len(natures) == 1 else None, c.fields.get("lead_unit_code"))]
    for i, u in enumerate(joint_units(c.fields)):
        cases.append((joint_field(i, "nature"), f"第{i + 1}家联合申报单位", as_text(u.get("nature")), u.get("code")))
    for key, who, nature, raw in cases:
        if not nature or nature not in options:
            continue
        res = code_check(c, raw)
        if not (res.valid and res.kind == "uscc"):
            continue
        match = natures_for_authority(res.code, prefixes)
        if match and nature not in match[1]:
            yield c.finding("UNIT_NATURE_CODE_MISMATCH", key, excerpt=f"{nature} / {res.code}", who=who,
                            nature=nature, code=res.code, prefix=match[0], allowed="、".join(match[1]),
                            details={"authority_prefix": match[0], "allowed": match[1]})


# --- checkboxes ----------------------------------------------------------------------------------

@rule(id="DIRECTION_NONE", absence=True, severity="error", scope="form", field="direction",
      title="申报场景方向未勾选（或勾选的不是本次征集的方向）",
      message="申报场景方向{problem}")
@rule(id="DIRECTION_MULTIPLE", severity="error", scope="form", field="direction",
      title="申报场景方向勾选了多个（每个场景只能选择一个方向）",
      message="申报场景方向勾选了 {n} 个（{values}），每个场景只能选择一个方向")
def check_direction(c: Context) -> Iterator[Finding]:
    values = as_list(c.fields.get("direction"))
    known = c.rules.direction_track
    if not values:
        yield c.finding("DIRECTION_NONE", "direction", problem="未勾选，须且只能勾选一个方向")
    elif len(values) > 1:
        yield c.finding("DIRECTION_MULTIPLE", "direction", excerpt=values, n=len(values), values="、".join(values),
                        details={"values": values})
    elif values[0] not in known:
        yield c.finding("DIRECTION_NONE", "direction", excerpt=values[0],
                        problem=f"「{values[0]}」不是本次征集的方向")


@rule(id="UNIT_NATURE_NONE", absence=True, severity="error", scope="form", field="unit_nature",
      title="单位性质未勾选",
      message="单位性质{problem}")
@rule(id="UNIT_NATURE_MULTIPLE", severity="error", scope="form", field="unit_nature",
      title="单位性质勾选了多个",
      message="单位性质勾选了 {n} 个（{values}），只能勾选一个")
@rule(id="UNIT_NATURE_OTHER_UNSPECIFIED", absence=True, severity="warning", scope="form", field="unit_nature_other",
      title="单位性质勾选了“其他”，但未注明",
      message="单位性质勾选了「{other}」，但“请注明”处未填写具体性质")
def check_unit_nature(c: Context) -> Iterator[Finding]:
    values = as_list(c.fields.get("unit_nature"))
    other = c.rules.raw["unit_natures"]["other"]
    if not values:
        yield c.finding("UNIT_NATURE_NONE", "unit_nature", problem="未勾选，须且只能勾选一个")
    elif len(values) > 1:
        yield c.finding("UNIT_NATURE_MULTIPLE", "unit_nature", excerpt=values, n=len(values),
                        values="、".join(values), details={"values": values})
    elif values[0] not in c.rules.unit_natures:
        yield c.finding("UNIT_NATURE_NONE", "unit_nature", excerpt=values[0],
                        problem=f"「{values[0]}」不是表中的选项")
    if other in values and is_blank(c.fields.get("unit_nature_other")):
        yield c.finding("UNIT_NATURE_OTHER_UNSPECIFIED", "unit_nature_other", other=other)


# --- contacts and address ------------------------------------------------------------------------

_PHONE_NOISE = re.compile(r"[\s\-‐‑‒–—―−()（）\[\]【】.．]")
_PHONE_SPLIT = re.compile(r"[/／,，;；、]|或")


def phone_parts(raw: Any) -> list[str]:
    """A phone value as the numbers it holds, each without spaces, hyphens or brackets."""
    text = unicodedata.normalize("NFKC", as_text(raw))
    return [p for p in (_PHONE_NOISE.sub("", part).lower() for part in _PHONE_SPLIT.split(text)) if p]


def _patterns(c: Context) -> dict[str, re.Pattern]:
    return c.prep.get("contact_patterns", lambda: {
        k: re.compile(c.rules.raw["contact"][f"{k}_pattern"]) for k in ("mobile", "phone", "email")})


def phone_valid(raw: Any, pats: dict[str, re.Pattern], allow_mobile: bool = True) -> bool:
    parts = phone_parts(raw)
    return bool(parts) and all(pats["phone"].match(p) or (allow_mobile and pats["mobile"].match(p)) for p in parts)


@rule(id="MOBILE_INVALID", severity="warning", scope="submission", field="leader_mobile / contact_mobile",
      title="手机号码格式不正确（应为以13至19开头的11位号码，可带+86）",
      message="{label}「{value}」不是有效的手机号码（应为以13至19开头的11位号码）")
@rule(id="PHONE_INVALID", severity="warning", scope="submission",
      field="leader_phone / contact_phone / letter_contact_phone",
      title="电话号码格式不正确（区号 + 7–8 位号码，可带分机号；手机号码也接受）",
      message="{label}「{value}」不是有效的电话号码（应为区号+7–8位号码，可带分机号，或11位手机号码）")
@rule(id="EMAIL_INVALID", severity="warning", scope="submission", field="leader_email / contact_email",
      title="电子邮箱格式不正确",
      message="{label}「{value}」不是有效的电子邮箱地址")
def check_contacts(c: Context) -> Iterator[Finding]:
    """Form contacts when a form was read; the letter's 联系电话 when a letter was read.
    Blank optional values are not invalid (FIELD_MISSING covers the required ones)."""
    pats = _patterns(c)
    for person in PERSONS if c.has_document("form") else ():
        mobile, phone, email = (c.fields.get(f"{person}_{k}") for k in ("mobile", "phone", "email"))
        if not is_blank(mobile):
            parts = phone_parts(mobile)
            if not parts or not all(pats["mobile"].match(p) for p in parts):
                yield c.finding("MOBILE_INVALID", f"{person}_mobile", excerpt=mobile, value=as_text(mobile))
        if not is_blank(phone) and not phone_valid(phone, pats):
            yield c.finding("PHONE_INVALID", f"{person}_phone", excerpt=phone, value=as_text(phone))
        if not is_blank(email):
            value = unicodedata.normalize("NFKC", as_text(email)).strip().rstrip("。.;；,，")
            if not pats["email"].match(value.replace(" ", "")):
                yield c.finding("EMAIL_INVALID", f"{person}_email", excerpt=email, value=as_text(email))
    letter_phone = c.fields.get("letter_contact_phone")
    if c.has_document("letter") and not is_blank(letter_phone) and not phone_valid(letter_phone, pats):
        yield c.finding("PHONE_INVALID", "letter_contact_phone", excerpt=letter_phone, value=as_text(letter_phone))


@rule(id="ADDRESS_NOT_SHANGHAI", severity="warning", scope="form", field="address",
      title="场景所在地址中既没有“上海”也没有上海的区名",
      message="场景所在地址「{value}」中没有“{city}”或上海的区名，场景应位于上海")
def check_address(c: Context) -> Iterator[Finding]:
    address = as_text(c.fields.get("address"))
    if not address:
        return
    spec = c.rules.raw["address"]
    text = unicodedata.normalize("NFKC", address)
    if spec["city"] not in text and not any(d in text for d in spec["districts"]):
        yield c.finding("ADDRESS_NOT_SHANGHAI", "address", excerpt=address, value=address, city=spec["city"])


# --- joint units ---------------------------------------------------------------------------------

@rule(id="JOINT_UNITS_TOO_MANY", severity="error", scope="form", field="joint_units",
      title="联合申报单位超过规定数量",
      message="联合申报单位共 {n} 家，超过上限 {max} 家")
def check_joint_count(c: Context) -> Iterator[Finding]:
    units = joint_units(c.fields)
    limit = int(c.rules.raw["joint_units"]["max"])
    if len(units) > limit:
        names = [as_text(u.get("name")) for u in units]
        yield c.finding("JOINT_UNITS_TOO_MANY", "joint_units", excerpt="、".join(n for n in names if n) or None,
                        n=len(units), max=limit, details={"count": len(units), "max": limit})


def unit_identity(c: Context, raw: Any) -> str:
    """What identifies a unit by its code: the organisation code it stands for when valid."""
    res = code_check(c, raw)
    return res.org_code or res.code


@rule(id="JOINT_UNIT_DUPLICATE", severity="error", scope="form", field="joint_units[i].code",
      title="联合申报单位的代码重复，或与牵头单位相同",
      message="{label}「{code}」与{others}相同")
def check_joint_duplicates(c: Context) -> Iterator[Finding]:
    """Every unit involved is flagged (both copies), so the finding is where the reviewer looks."""
    lead = unit_identity(c, c.fields.get("lead_unit_code")) if not is_blank(c.fields.get("lead_unit_code")) else ""
    ids = []
    for i, u in enumerate(joint_units(c.fields)):
        ids.append((i, unit_identity(c, u.get("code")) if not is_blank(u.get("code")) else "", u.get("code")))
    for i, ident, raw in ids:
        if not ident:
            continue
        others = [f"第{j + 1}家联合申报单位" for j, other, _ in ids if j != i and other == ident]
        if lead and ident == lead:
            others.insert(0, "牵头单位")
        if others:
            yield c.finding("JOINT_UNIT_DUPLICATE", joint_field(i, "code"), excerpt=raw, code=as_text(raw),
                            others="、".join(others), details={"same_as": others})
