"""附件2 建设承诺书: scenario name, the six clauses, contact, date and seal, from layout blocks."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..config import Rules
from ..model import Block, ImageInfo, Note, Provenance
from .labels import label_index
from .text import clean_value

# "我单位提交了 ____ 参评": the name sits between 提交了 and 参评 (spaces may split every character).
_SUBMITTED = re.compile(r"提\s*交\s*了(?P<name>.*?)参\s*评", re.DOTALL)
_NAME_EDGES = re.compile(r"^[\s_＿:：]+|[\s_＿。，,]+$")
# 《》〈〉 are title marks and never part of a name. Other brackets and quotes are removed only as
# one pair enclosing the whole name (`<名称>`, `“名称”`), so `<script>…</script>展厅` keeps its own.
_NAME_QUOTES = re.compile(r"[《》〈〉]")
_WRAPPERS = (("<＜", ">＞"), ("「", "」"), ("『", "』"), ("【", "】"), ("“\"'‘", "”\"'’"))
_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")
# A numbered clause: 1. 1、 1． （1） (1) １． 一、
_CLAUSE = re.compile(
    r"^\s*(?:[（(]\s*(?P<a>[1-6１-６一二三四五六])\s*[)）]|(?P<b>[1-6１-６])\s*[.．、,，)）]|(?P<c>[一二三四五六])\s*[、.．])\s*(?P<text>\S.*)$",
    re.DOTALL,
)
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0, "o": 0, "0": 0}
_NUM = "0-9０-９〇零○Ｏ一二三四五六七八九十"
_DATE = re.compile(
    rf"(?P<y>[0-9０-９〇零○ＯO一二三四五六七八九]{{4}})\s*年\s*(?P<m>[{_NUM}]{{1,3}})\s*月\s*(?P<d>[{_NUM}]{{1,4}})\s*[日号]")


@dataclass
class _Line:
    text: str
    prov: Provenance
    kind: str


def _lines(blocks: list[Block]) -> list[_Line]:
    return [_Line(t, b.prov, b.kind) for b in blocks for t in b.text.split("\n")]


def clean_scenario_name(raw: str) -> str | None:
    """The name as filled in: without 《》, an enclosing bracket pair, underline blanks, and spaces next to Chinese characters."""
    name = _NAME_QUOTES.sub("", raw.replace("\n", " "))
    name = re.sub(r"[_＿]{2,}", " ", name)
    name = _NAME_EDGES.sub("", name)
    name = _CJK_GAP.sub("", name)
    name = re.sub(r"\s+", " ", name).strip()
    return _unwrap(name) or None


def _unwrap(name: str) -> str:
    """`name` without the bracket pairs (from `_WRAPPERS`) that enclose all of it, outermost first."""
    while len(name) >= 2:
        pair = next(((o, c) for o, c in _WRAPPERS if name[0] in o and name[-1] in c), None)
        if pair is None or any(ch in pair[0] + pair[1] for ch in name[1:-1]):
            return name
        name = name[1:-1].strip()
    return name


def _number(ch: str) -> int:
    if ch in "123456":
        return int(ch)
    if ch in "１２３４５６":
        return ord(ch) - ord("１") + 1
    return "一二三四五六".index(ch) + 1


def _cn_int(text: str) -> int | None:
    """"11", "十一", "二十三", "三〇" → int."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    if "十" in text:
        head, _, tail = text.partition("十")
        tens = _CN_DIGITS.get(head, None) if head else 1
        ones = _CN_DIGITS.get(tail, None) if tail else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    digits = [_CN_DIGITS.get(c) for c in text]
    if any(d is None for d in digits):
        return None
    return int("".join(str(d) for d in digits))


def parse_date(text: str) -> tuple[str | None, bool]:
    """(ISO date, whether a filled-in date was seen) of the last date in `text`."""
    matches = list(_DATE.finditer(text))
    if not matches:
        return None, False
    m = matches[-1]
    year, month, day = _cn_int(m.group("y")), _cn_int(m.group("m")), _cn_int(m.group("d"))
    try:
        return dt.date(year, month, day).isoformat(), True  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, True


def read_letter(blocks: list[Block], rules: Rules, images: list[ImageInfo],
                only_if_found: bool = False) -> tuple[dict, dict[str, Provenance], list[Note], bool]:
    """Fields of a commitment letter; the last value says whether it looks like one at all.

    `only_if_found`: the caller drops the letter unless it looks like one (blocks without a letter
    title), so when it does not, the rest is not worked out and the fields come back empty.
    """
    lines = _lines(blocks)
    fields: dict = {}
    prov: dict[str, Provenance] = {}
    notes: list[Note] = []

    # Scenario name.
    joined = "\n".join(ln.text for ln in lines)
    starts = []
    pos = 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln.text) + 1
    m = _SUBMITTED.search(joined)
    name = clean_scenario_name(m.group("name")) if m else None
    fields["letter_scenario_name"] = name
    if m:
        at = max(i for i, s in enumerate(starts) if s <= m.start())
        prov["letter_scenario_name"] = lines[at].prov

    # Clauses: numbered paragraphs; a clause broken over PDF lines runs until its full stop.
    found: dict[int, tuple[str, Provenance]] = {}
    open_no: int | None = None
    for ln in lines:
        cm = _CLAUSE.match(ln.text)
        if cm:
            no = _number(cm.group("a") or cm.group("b") or cm.group("c"))
            if no in found:
                open_no = None
                continue
            found[no] = (cm.group("text").strip(), ln.prov)
            open_no = no if ln.kind == "line" and not cm.group("text").rstrip().endswith("。") else None
        elif open_no is not None and ln.text.strip():
            text, p = found[open_no]
            found[open_no] = (text + ln.text.strip(), p)
            if ln.text.rstrip().endswith("。"):
                open_no = None
    clauses = [found[k][0] for k in sorted(found)]
    fields["letter_clauses"] = clauses
    for i, k in enumerate(sorted(found)):
        prov[f"letter_clauses[{i}]"] = found[k][1]
    if found:
        prov["letter_clauses"] = found[min(found)][1]
    looks_like_letter = m is not None and len(found) >= 3
    if only_if_found and not looks_like_letter:
        return {}, {}, [], False

    # Contact and phone.
    ix = label_index(rules)
    for key in ("letter_contact", "letter_contact_phone"):
        fields[key] = None
    for ln in lines:
        for seg in ix.split(ln.text, ("letter",), anywhere=True):
            if seg.key and seg.key not in prov:
                fields[seg.key] = clean_value(seg.text)
                prov[seg.key] = ln.prov

    # Date: the last one written in the letter (the signature date).
    date_iso, seen = None, False
    for ln in lines:
        if "年" in ln.text and "月" in ln.text:
            iso, had = parse_date(ln.text)
            if had:
                date_iso, seen = iso, True
                prov["letter_date"] = ln.prov
                if iso is None:
                    notes.append(Note(f"承诺书日期“{ln.text.strip()}”不是有效日期", ln.prov))
    fields["letter_date"] = date_iso
    if not seen:
        date_line = next((ln for ln in reversed(lines) if "年" in ln.text and "月" in ln.text and "日" in ln.text), None)
        if date_line is not None:
            prov["letter_date"] = date_line.prov

    # Seal.
    fields["letter_has_seal"] = any(img.looks_like_seal for img in images)
    seal_img = next((img for img in images if img.looks_like_seal), None)
    if seal_img is not None:
        prov["letter_has_seal"] = seal_img.prov
    return fields, prov, notes, looks_like_letter
