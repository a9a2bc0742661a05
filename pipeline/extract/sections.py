"""Where each narrative section of 二、具体内容 starts, in any layout the form arrives in.

Applicants write the seven sections as table rows (a label cell and an answer cell), or as headings
followed by paragraphs: `（一）牵头单位基本情况介绍`, `一、…`, `1.…`, `1、…`, bold, a Word heading
style, a label split over two lines or cells (`牵头单位` / `基本情况介绍`), the printed hint on the
heading line, or `时间进度：` with the text on the same line. A converter (LibreOffice for .doc,
PDF export, OCR) may turn one into another. This module finds the headings in the block stream, so
every backend (DOCX, converted .doc, PDF text, OCR lines) shares one path.

A heading is recognised by its label, not by its number: `1.建设背景：…` or `（一）功能及性能需求`
inside a section is the section's text. Each section key gets at most one heading: the strongest
candidate (a label standing alone, or set apart by number, style or bold, beats `label：text` in a
plain paragraph), the first of equals that keeps the form's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import Rules, compiled
from ..model import Block
from .labels import norm

# Numbering that may stand before a heading's label (format knowledge, one row a style).
NUMBERING = (
    r"[（(]\s*[一二三四五六七八九十]{1,3}\s*[）)]",  # （一）
    r"[（(]\s*\d{1,2}\s*[）)]",  # (1)
    r"[一二三四五六七八九十]{1,3}\s*[、.．:：]",  # 一、
    r"\d{1,2}\s*(?:[、．:：]|\.(?!\d))",  # 1、 1. (not 1.5)
    r"\d{1,2}\s*[)）]",  # 1)
    r"第\s*[一二三四五六七八九十\d]{1,3}\s*(?:部分|项|节|章|条)?\s*[、.．:：]?",  # 第一部分
    r"[①②③④⑤⑥⑦⑧⑨⑩]",
    r"[■□◆◇●○▲△►▶★☆※•·\-]",  # a bullet
)
NUMBER = re.compile(r"^\s*(?:" + "|".join(NUMBERING) + r")\s*")
# Characters allowed between the characters of a label as written (`牵 头 单 位`, a line break).
_GAP = r"[\s\u3000]*"
# A printed hint after the label: a bracketed remark, possibly cut by a line break.
_HINT = re.compile(r"^\s*[(（][^()（）]*[)）]?")
_SEPARATOR = re.compile(r"^\s*[:：]\s*")

STANDALONE, INLINE = "standalone", "inline"


@dataclass(frozen=True)
class Heading:
    """A section heading found at `index` (and `span - 1` more blocks when split over two)."""

    key: str
    index: int
    span: int
    rest: str  # the section's text that follows the heading in its own (last) block
    strength: int
    form: str  # STANDALONE or INLINE


class SectionLocator:
    """Section labels of one rules file, compiled once."""

    def __init__(self, rules: Rules):
        self.order = tuple(s.key for s in rules.sections)
        labels = sorted(((lab, s.key) for s in rules.sections for lab in s.labels), key=lambda lk: -len(lk[0]))
        self.by_norm = {norm(lab): key for lab, key in labels}
        alt = "|".join(_GAP.join(re.escape(ch) for ch in lab if not ch.isspace()) for lab, _ in labels)
        self.label_re = re.compile(f"^(?:{alt})")
        # Prefixes of labels (≥ 2 characters) that a heading split over two blocks may end with,
        # each with the labels it starts, longest first.
        self.longest = 3 * max(map(len, self.by_norm))  # room for spaces and brackets as written
        self.prefixes: dict[str, list[str]] = {}
        for n in self.by_norm:
            for i in range(2, len(n)):
                self.prefixes.setdefault(n[:i], []).append(n)

    def locate(self, blocks: list[Block]) -> dict[int, Heading]:
        """The chosen heading of each section found, by the index of its first block."""
        candidates: dict[str, list[Heading]] = {}
        skip_to = -1
        for i in range(len(blocks)):
            if i <= skip_to:
                continue
            head = self._candidate(blocks, i)
            if head is not None:
                candidates.setdefault(head.key, []).append(head)
                skip_to = i + head.span - 1
        return {h.index: h for h in self._choose(candidates)}

    # One block ----------------------------------------------------------------------------------

    def _candidate(self, blocks: list[Block], i: int) -> Heading | None:
        block = blocks[i]
        text = block.text
        number = NUMBER.match(text)
        body = text[number.end():] if number else text
        m = self.label_re.match(body.lstrip())
        span, after = 1, None
        if m is not None:
            lead = len(body) - len(body.lstrip())
            key = self.by_norm.get(norm(m.group()))
            after = body[lead + m.end():]
        else:
            key, after, span = self._split(blocks, i, body)
        if key is None or after is None:
            return None
        form, rest = _shape(after)
        if form is None:
            return None
        return Heading(key, i, span, rest, _strength(block, form, bool(number)), form)

    def _split(self, blocks: list[Block], i: int, body: str) -> tuple[str | None, str | None, int]:
        """A label split over two blocks: this one ends with its start, the next begins with the rest."""
        if i + 1 >= len(blocks) or len(body) > self.longest:  # no prefix of a label is that long
            return None, None, 1
        first = norm(body)
        if first not in self.prefixes:
            return None, None, 1
        nxt = blocks[i + 1].text
        for whole in self.prefixes[first]:
            remainder = whole[len(first):]
            m = re.match("^" + _GAP + _GAP.join(re.escape(ch) for ch in remainder), nxt)
            if m is not None and _shape(nxt[m.end():])[0] is not None:
                return self.by_norm[whole], nxt[m.end():], 2
        return None, None, 1

    # Choosing -----------------------------------------------------------------------------------

    def _choose(self, candidates: dict[str, list[Heading]]) -> list[Heading]:
        """Per key the strongest candidates; among them the first after the previous section's heading."""
        chosen: list[Heading] = []
        last = -1
        for key in self.order:
            cands = candidates.get(key)
            if not cands:
                continue
            best = max(h.strength for h in cands)
            top = [h for h in cands if h.strength == best]
            pick = next((h for h in top if h.index > last), top[0])
            chosen.append(pick)
            last = max(last, pick.index)
        return chosen


def _shape(after: str) -> tuple[str | None, str]:
    """How the heading's line goes on after its label: (STANDALONE | INLINE | None, the text after)."""
    hint = _HINT.match(after)
    if hint is not None and hint.group().strip():
        after = after[hint.end():]
        sep = _SEPARATOR.match(after)
        if sep is not None:
            after = after[sep.end():]
        if not after.strip() or after.lstrip(" \t\u3000").startswith("\n"):
            return STANDALONE, after.strip()
        return INLINE, after.strip()  # `label（hint）：text`
    if not after.strip() or after.lstrip(" \t\u3000").startswith("\n"):
        return STANDALONE, after.strip()
    sep = _SEPARATOR.match(after)
    if sep is not None:
        return INLINE, after[sep.end():].strip()
    return None, ""  # the label word runs on into a sentence (`已有基础方面，…`): not a heading


def _strength(first: Block, form: str, numbered: bool) -> int:
    """3: the label alone on its line; 2: `label：text` set apart by number, style or bold;
    1: `label：text` in plain text (may be a sub-item of another section)."""
    if form == STANDALONE:
        return 3
    return 2 if numbered or first.heading is not None else 1


def section_locator(rules: Rules) -> SectionLocator:
    """The compiled locator of a rules file (one per process and rules file)."""
    return compiled(rules, "sections", SectionLocator)
