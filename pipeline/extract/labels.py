"""Printed labels → field keys, tolerant of the ways applicants and converters mangle them.

Labels come from the rules file ([labels] and [[sections]]). Matching ignores spaces (`姓  名`),
width (`：`/`:`, `（`/`(`), brackets and punctuation; `E-mail`/`Email`/`邮箱` are synonyms listed
there. Everything is compiled once per rules file and works on plain strings, so the DOCX and PDF
backends and the tests share it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import Rules, compiled

# Characters that never distinguish one label from another (besides whitespace).
IGNORABLE_CHARS = frozenset("()[]{}<>【】〔〕《》〈〉「」『』:;,.!?/\\、，。；：！？_-—–·•*＊'\"“”‘’")
_IGNORABLE_RE = re.compile("[\\s" + re.escape("".join(sorted(IGNORABLE_CHARS))) + "]+")
# Allowed between the characters of a label as written (`组织机构代码\n/三证合一码`, `姓  名`).
_GAP = r"[\s()\[\]【】〔〕/\\、:_\-.·]*"
# What may stand before a label (required-field stars) and what must follow it: the end, a
# separator, a space or an opening bracket (a hint) — not another letter of a longer word.
_LEAD = r"[\s*★☆]*"
_TAIL = r"(?=$|[\s:;(\[【/])"
# A short bracketed remark printed after a label (`牵头单位名称（全称）`) belongs to the label.
_NOTE = r"\s*\([^()\n]{1,12}\)"
# Where a label may start inside a block when scanning for several (after a space or separator).
_BEFORE = r"(?<![^\s:;,、|])"

PERSON_PREFIX = "person_"
JOINT_PREFIX = "joint_"
LETTER_PREFIX = "letter_"
GROUPS = ("form", "person", "joint", "letter")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def norm(text: str) -> str:
    """Comparable form of a label: width-folded, lower-case, without spaces, brackets or punctuation."""
    return _IGNORABLE_RE.sub("", nfkc(text)).lower()


@dataclass(frozen=True)
class Match:
    """A label found in a text: its key, and where it sits in the original text."""

    key: str
    group: str
    start: int
    end: int


@dataclass(frozen=True)
class Segment:
    """A piece of a block: the text after `key`'s label (key None: text before any label)."""

    key: str | None
    group: str | None
    text: str
    label_start: int = 0


class LabelIndex:
    """All labels of one rules file, by group: form (top level), person, joint, letter."""

    def __init__(self, rules: Rules):
        self.by_group: dict[str, dict[str, str]] = {g: {} for g in GROUPS}
        for name, variants in rules.labels.items():
            if name.startswith(PERSON_PREFIX):
                group, key = "person", name[len(PERSON_PREFIX):]
            elif name.startswith(JOINT_PREFIX) and name != "joint_units":
                group, key = "joint", name[len(JOINT_PREFIX):]
            elif name.startswith(LETTER_PREFIX):
                group, key = "letter", name
            else:
                group, key = "form", name
            for v in variants:
                self.by_group[group].setdefault(norm(v), key)
        self.section_keys = tuple(s.key for s in rules.sections)
        for spec in rules.sections:
            for v in spec.labels:
                self.by_group["form"].setdefault(norm(v), spec.key)
        self._compiled: dict[tuple[tuple[str, ...], bool], re.Pattern[str]] = {}

    def keys(self, group: str) -> set[str]:
        return set(self.by_group[group].values())

    def _regex(self, groups: tuple[str, ...], anywhere: bool) -> re.Pattern[str]:
        ck = (groups, anywhere)
        if ck not in self._compiled:
            labels = sorted({lab for g in groups for lab in self.by_group[g]}, key=lambda s: (-len(s), s))
            alt = "|".join(_GAP.join(re.escape(c) for c in lab) for lab in labels)
            head = _BEFORE if anywhere else "^"
            self._compiled[ck] = re.compile(f"{head}{_LEAD}(?P<lab>(?:{alt})[)\\]】〕]*)(?:{_NOTE}|{_TAIL})", re.IGNORECASE)
        return self._compiled[ck]

    def _resolve(self, found: str, groups: tuple[str, ...]) -> tuple[str, str] | None:
        n = norm(found)
        for g in groups:
            key = self.by_group[g].get(n)
            if key is not None:
                return key, g
        return None

    def match_start(self, text: str, groups: tuple[str, ...], window: int = 120) -> Match | None:
        """The label at the very start of `text` (after spaces/stars), if any."""
        head, index = _folded(text[:window])
        m = self._regex(groups, False).search(head)
        if not m:
            return None
        res = self._resolve(m.group("lab"), groups)
        if res is None:
            return None
        return Match(res[0], res[1], index[m.start("lab")], index[m.end()])

    def find_all(self, text: str, groups: tuple[str, ...]) -> list[Match]:
        """Every label in `text` standing at a word boundary (start, or after a space/separator)."""
        folded, index = _folded(text)
        out = []
        for m in self._regex(groups, True).finditer(folded):
            res = self._resolve(m.group("lab"), groups)
            if res is not None:
                out.append(Match(res[0], res[1], index[m.start("lab")], index[m.end()]))
        return out

    def split(self, text: str, groups: tuple[str, ...], anywhere: bool) -> list[Segment]:
        """`text` cut at its labels: [text before the first label] + one segment per label."""
        matches = self.find_all(text, groups) if anywhere else [m for m in [self.match_start(text, groups)] if m]
        if not matches:
            return [Segment(None, None, text)]
        segs = []
        if matches[0].start > 0:
            segs.append(Segment(None, None, text[: matches[0].start]))
        for i, m in enumerate(matches):
            stop = matches[i + 1].start if i + 1 < len(matches) else len(text)
            segs.append(Segment(m.key, m.group, strip_separator(text[m.end:stop]), m.start))
        return segs


_SEPARATOR = re.compile(r"^[\s:：]+")


def strip_separator(value: str) -> str:
    """The value after a label, without the colon and spaces between them."""
    return _SEPARATOR.sub("", value)


def _folded(text: str) -> tuple[str, Sequence[int]]:
    """NFKC of `text` with, for each folded character, the index of the original one."""
    folded = unicodedata.normalize("NFKC", text)
    if len(folded) == len(text):  # width folding keeps one character per character
        return folded, range(len(text) + 1)
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        f = unicodedata.normalize("NFKC", ch) if ord(ch) >= 0x80 else ch
        out.append(f)
        index.extend([i] * len(f))
    index.append(len(text))
    return "".join(out), index


def label_index(rules: Rules) -> LabelIndex:
    """The compiled label table of a rules file (one per process and rules file)."""
    return compiled(rules, "labels", LabelIndex)
