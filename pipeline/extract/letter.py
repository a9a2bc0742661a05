"""附件2 建设承诺书: scenario name, the six clauses, contact, date and seal, from layout blocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .. import clauses as clausematch
from ..config import Rules
from ..model import Block, Gap, ImageInfo, Note, Provenance
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


# Unnumbered OCR text counts as part of a clause when this share of it is found in that clause.
_PIECE_COVERAGE = 0.6
_SENTENCE_END = ("。", ".", "．")


@dataclass
class _Line:
    text: str
    prov: Provenance
    kind: str
    confs: list[float] | None = None  # OCR: one confidence per character (its recognised line's)
    breaks: list[int] = field(default_factory=list)  # OCR: offsets where two recognised lines meet


def _lines(blocks: list[Block]) -> list[_Line]:
    out = []
    for b in blocks:
        confs: list[float] | None = None
        breaks: list[int] = []
        if b.ocr_lines:
            confs, start = [], 0
            for end, conf in b.ocr_lines:
                confs.extend([conf] * max(0, end - start))
                start = max(start, end)
            confs.extend([b.ocr_lines[-1][1]] * (len(b.text) - len(confs)))
            breaks = [end for end, _ in b.ocr_lines[:-1]]
        elif b.prov.ocr and b.prov.confidence is not None:
            confs = [b.prov.confidence] * len(b.text)
        pos = 0
        for t in b.text.split("\n"):
            end = pos + len(t)
            out.append(_Line(t, b.prov, b.kind, confs[pos:end] if confs is not None else None,
                             [k - pos for k in breaks if pos < k < end]))
            pos = end + 1
    return out


@dataclass
class _Clause:
    """A clause as read: its text and, for a scan, per-character confidences and unseen edges."""

    number: int
    text: str
    prov: Provenance
    confs: list[float] | None
    breaks: list[int]
    head_seen: bool = True

    @classmethod
    def of(cls, number: int, ln: _Line, start: int, head_seen: bool = True) -> _Clause:
        text = ln.text[start:]
        lead = len(text) - len(text.lstrip())
        text = text.strip()
        a = start + lead
        confs = ln.confs[a: a + len(text)] if ln.confs is not None else None
        return cls(number, text, ln.prov, confs, [k - a for k in ln.breaks if a < k < a + len(text)], head_seen)

    def extend(self, ln: _Line) -> None:
        text = ln.text.strip()
        a = len(ln.text) - len(ln.text.lstrip())
        if self.confs is not None or ln.confs is not None:
            mine = self.confs if self.confs is not None else [1.0] * len(self.text)
            theirs = ln.confs[a: a + len(text)] if ln.confs is not None else [1.0] * len(text)
            self.confs = mine + theirs
        if ln.prov.ocr:
            self.breaks.append(len(self.text))
        self.breaks.extend(len(self.text) + k - a for k in ln.breaks if a < k < a + len(text))
        self.text += text

    @property
    def ended(self) -> bool:
        return self.text.rstrip().endswith(_SENTENCE_END)

    def read(self) -> clausematch.ReadClause:
        return clausematch.ReadClause(self.text, self.confs, tuple(self.breaks), self.head_seen,
                                      self.confs is None or self.ended, self.number)

    def provenance(self) -> Provenance:
        """Where it was read; on a scan with the confidence of its own weakest line."""
        if self.confs and self.prov.ocr:
            return dataclasses.replace(self.prov, confidence=round(min(self.confs), 3))
        return self.prov


class LetterRead(NamedTuple):
    fields: dict
    prov: dict[str, Provenance]
    notes: list[Note]
    found: bool  # whether it looks like a commitment letter at all
    gaps: list[Gap]


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
                only_if_found: bool = False) -> LetterRead:
    """Fields of a commitment letter, with what a scan does not let us read (`gaps`).

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

    found = _clauses(lines, rules)
    ordered = [found[k] for k in sorted(found)]
    fields["letter_clauses"] = [c.text for c in ordered]
    for i, c in enumerate(ordered):
        prov[f"letter_clauses[{i}]"] = c.provenance()
    if found:
        prov["letter_clauses"] = found[min(found)].prov
    looks_like_letter = m is not None and len(found) >= 3
    if only_if_found and not looks_like_letter:
        return LetterRead({}, {}, [], False, [])
    gaps = clause_gaps(ordered, rules)

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
    return LetterRead(fields, prov, notes, looks_like_letter, gaps)


def _clauses(lines: list[_Line], rules: Rules) -> dict[int, _Clause]:
    """Numbered paragraphs; a clause broken over PDF lines runs until its full stop.

    On a scan, unnumbered text between clauses is a piece of one that OCR did not read whole: the
    rest of the clause before it (a line lost or split off), or a clause whose first line, with its
    number, was lost. It is kept when most of it is found in that clause's official wording."""
    found: dict[int, _Clause] = {}
    orphans: list[tuple[int, _Line]] = []  # (number of the clause before it, line)
    open_no: int | None = None
    last_no: int | None = None
    for ln in lines:
        cm = _CLAUSE.match(ln.text)
        if cm:
            no = _number(cm.group("a") or cm.group("b") or cm.group("c"))
            if no in found:
                open_no = None
                continue
            found[no] = _Clause.of(no, ln, cm.start("text"))
            last_no = no
            open_no = no if ln.kind == "line" and not cm.group("text").rstrip().endswith("。") else None
        elif open_no is not None and ln.text.strip():
            found[open_no].extend(ln)
            if ln.text.rstrip().endswith("。"):
                open_no = None
        elif last_no is not None and ln.prov.ocr and ln.text.strip():
            orphans.append((last_no, ln))
    official = [str(t) for t in rules.raw["letter"]["clauses"]]
    taken: dict[int, int] = {}  # clause before the orphans → the clause they were read as
    for before, ln in orphans:
        current = taken.get(before, before)
        cur = found[current]
        opts = []
        if not cur.ended and current <= len(official):
            opts.append((clausematch.coverage(official[current - 1], ln.text), "extend"))
        nxt = before + 1
        if current == before and nxt <= len(official) and nxt not in found:
            opts.append((clausematch.coverage(official[nxt - 1], ln.text), "adopt"))
        if not opts or len(clausematch.folded(ln.text)) < 4:
            continue
        score, how = max(opts)
        if score < _PIECE_COVERAGE:
            continue
        if how == "extend":
            cur.extend(ln)
        else:
            found[nxt] = _Clause.of(nxt, ln, 0, head_seen=False)
            taken[before] = nxt
    return found


def clause_gaps(ordered: list[_Clause], rules: Rules) -> list[Gap]:
    """A gap for each official clause a scanned letter does not clearly show as kept, changed or gone."""
    read = [c.read() for c in ordered]
    if not any(r.ocr for r in read):
        return []
    spec = rules.raw["letter"]
    official = [str(t) for t in spec["clauses"]]
    floor = float(rules.raw.get("ocr", {}).get("min_confidence", 0.9))
    gaps = []
    for v in clausematch.judge(official, read, float(spec["clause_similarity_min"]), floor):
        if v.state != "unsure":
            continue
        n = v.index + 1
        if v.match is not None:
            c = ordered[v.match]
            where = c.provenance()
            seen = f"识别到的文字（{where.describe()}）：「{c.text}」"
        else:
            before = [c for c in ordered if c.number < n]
            where = before[-1].provenance() if before else (ordered[0].provenance() if ordered else None)
            seen = "扫描件中未识别到这一条的文字"
        gaps.append(Gap(
            part=f"承诺书第{n}条承诺（扫描件）",
            reason=f"{v.reason}，无法判断该条是否与通知原文一致，请对照原件核对。{seen}；"
                   f"通知原文第{n}条：「{official[v.index]}」",
            fields=(f"letter_clauses[{v.index}]",), prov=where))
    return gaps
