"""The letter's six commitments compared with the notice's wording, tolerant of OCR.

Shared by the letter reader (which turns what a scan does not clearly show into a gap) and the
LETTER_CLAUSES_ALTERED rule (which judges the rest), so both pair and score clauses alike.

Texts are compared folded: width and case folded, punctuation and spaces dropped (OCR loses
commas and splits lines), and characters recognisers confuse (己/已, 0/O …) made one. A clause
read by OCR carries each character's confidence (its recognised line's) and the places where
lines meet; a difference counts as the applicant's only where the scan was read well around it:
no low-confidence characters in it, not at a place where a line may have been lost (a line
break, the clause's start when its number was not read, its end when its last line was not).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

# Characters recognisers read for one another. Each group folds onto its first character; none of
# them changes what a commitment promises.
CONFUSABLES = ("己已巳", "0oO〇○◯零", "1lI丨|", "日曰", "人入", "土士", "干千", "候侯", "账帐", "末未", "戊戌戍",
               "拨拔", "汩汨")
_FOLD = {ord(ch): group[0] for group in CONFUSABLES for ch in group[1:]}
_NOT_WORD = re.compile(r"[\W_]")
_LEADING_NUMBER = re.compile(r"^\s*(?:[（(]?\d{1,2}[)）.、．:：]|[（(][一二三四五六七八九十][)）]|[一二三四五六七八九十][、.．])\s*")


def fold(text: str) -> tuple[str, list[int]]:
    """`text` as compared, and for each of its characters the offset it came from in `text`."""
    out: list[str] = []
    where: list[int] = []
    m = _LEADING_NUMBER.match(text)
    start = m.end() if m else 0
    for i in range(start, len(text)):
        n = unicodedata.normalize("NFKC", text[i]).translate(_FOLD).casefold()
        for ch in n:
            if _NOT_WORD.match(ch) or ch.isspace():
                continue
            out.append(ch.translate(_FOLD))  # after casefold too: o → 0
            where.append(i)
    return "".join(out), where


def folded(text: str) -> str:
    return fold(text)[0]


def similarity(official: str, actual: str) -> float:
    a, b = folded(official), folded(actual)
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def coverage(official: str, piece: str) -> float:
    """Share of `piece` (a fragment of a clause) found, in order, in `official`."""
    a, b = folded(official), folded(piece)
    if not b:
        return 0.0
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(blk.size for blk in sm.get_matching_blocks()) / len(b)


@dataclass
class ReadClause:
    """A clause as the letter gives it. For a scan: per-character confidences and where it may miss text."""

    text: str
    confidences: list[float] | None = None  # one per character of `text`; None: a text layer, fully seen
    breaks: tuple[int, ...] = ()  # offsets in `text` where two recognised lines meet
    head_seen: bool = True  # its start (with its number) was read
    tail_seen: bool = True  # its end was read
    number: int | None = None  # the number the letter gives it

    @property
    def ocr(self) -> bool:
        return self.confidences is not None


State = Literal["same", "altered", "missing", "unsure"]


@dataclass
class Verdict:
    """One official clause judged against the letter."""

    index: int  # official clause index
    match: int | None  # the letter's clause index, None when missing
    ratio: float
    state: State  # same: close enough; altered / missing: certain; unsure: the scan does not show it clearly
    reason: str = ""  # Chinese, for unsure: what the scan does not show
    weak: list[str] = field(default_factory=list)  # the applicant's text read with low confidence


def pair(official: list[str], actual: list[str], threshold: float) -> list[tuple[int, int | None, float, bool]]:
    """(official index, letter index or None, score, close enough) per official clause.

    The clause in the same place wins when close enough; else the best match among all (an inserted
    or dropped clause shifts the numbering). A clause matching nothing counts as missing only when the
    letter has fewer clauses than the notice; otherwise the letter's clause in the same place is the
    reworded one."""
    out: list[tuple[int, int | None, float, bool]] = []
    if not actual:
        return [(i, None, 0.0, False) for i in range(len(official))]
    for i, off in enumerate(official):
        if i < len(actual):
            s = similarity(off, actual[i])
            if s >= threshold:
                out.append((i, i, s, True))
                continue
        scores = [similarity(off, a) for a in actual]
        best = max(range(len(actual)), key=lambda k: (scores[k], k == i))
        if scores[best] >= threshold:
            out.append((i, best, scores[best], True))
            continue
        positional = i if i < len(actual) else None
        j = best if positional is None or scores[best] > scores[positional] + 0.1 else positional
        if len(actual) < len(official) and scores[j] < 0.5:
            out.append((i, None, scores[j], False))
        else:
            out.append((i, j, scores[j], False))
    return out


def _doubt(official: str, clause: ReadClause, floor: float) -> tuple[str, list[str]]:
    """Why the differences between `official` and an OCR-read clause may be the OCR's ("" if none)."""
    a, _ = fold(official)
    b, where = fold(clause.text)
    confs = clause.confidences or []

    def conf(k: int) -> float:
        return confs[where[k]] if 0 <= k < len(where) and where[k] < len(confs) else 1.0

    def at_break(k: int) -> bool:
        """Whether a line break lies between folded characters k-1 and k."""
        lo = where[k - 1] + 1 if k > 0 else 0
        hi = where[k] if k < len(where) else len(clause.text)
        return any(lo <= br <= hi for br in clause.breaks)

    weak: list[str] = []
    reasons: list[str] = []
    for op, _a0, _a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op in ("insert", "replace"):
            low = [k for k in range(b0, b1) if conf(k) < floor]
            if low:
                weak.append(clause.text[where[b0]: where[b1 - 1] + 1])
                reasons.append(f"“{weak[-1]}”识别置信度仅 {min(conf(k) for k in low):.2f}")
                continue
        if op in ("delete", "replace"):
            if b0 == 0 and not clause.head_seen:
                reasons.append("条款开头（含序号的一行）未能识别，可能被漏读")
            elif b1 >= len(b) and not clause.tail_seen:
                reasons.append("条款结尾未能识别，最后一行可能被漏读")
            elif at_break(b0) or at_break(b1):
                reasons.append("缺少的文字正处在两行相接处，可能有一行被漏读")
            elif min(conf(b0 - 1), conf(b1)) < floor:
                reasons.append(f"缺少文字处识别置信度仅 {min(conf(b0 - 1), conf(b1)):.2f}")
    return "；".join(dict.fromkeys(reasons)), weak


def judge(official: list[str], read: list[ReadClause], threshold: float, floor: float) -> list[Verdict]:
    """Each official clause: same, altered or missing where the letter clearly shows it, else unsure."""
    actual = [c.text for c in read]
    verdicts = []
    for i, j, score, close in pair(official, actual, threshold):
        if close:
            verdicts.append(Verdict(i, j, score, "same"))
            continue
        if j is None:
            reason = _missing_doubt(i, official, read, threshold, floor)
            verdicts.append(Verdict(i, None, score, "unsure" if reason else "missing", reason))
            continue
        clause = read[j]
        if not clause.ocr:
            verdicts.append(Verdict(i, j, score, "altered"))
            continue
        reason, weak = _doubt(official[i], clause, floor)
        verdicts.append(Verdict(i, j, score, "unsure" if reason else "altered", reason, weak))
    return verdicts


def _missing_doubt(i: int, official: list[str], read: list[ReadClause], threshold: float, floor: float) -> str:
    """Why a clause not found in a scanned letter may be the OCR's loss ("" when the scan shows it is gone).

    A scan shows a clause gone when the applicant renumbered: the letter's clause that follows gives
    the dropped clause's number to the next commitment, and was read well. Numbers that skip one
    (…3, 5…), or a last clause absent with nothing after it, may be a line the OCR did not read."""
    if not any(c.ocr for c in read):
        return ""
    later = [c for c in read if c.number is not None and c.number == i + 1]
    for c in later:
        takes_over = any(similarity(official[k], c.text) >= threshold for k in range(i + 1, len(official)))
        confs = c.confidences or [1.0]
        if takes_over and min(confs) >= floor:
            return ""
    return "扫描件中没有识别到这一条，但条款序号不连续或其后没有重新编号，可能是 OCR 漏读了这一条所在的行"
