"""Small text helpers shared by the form and letter readers (pure functions of strings)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from functools import lru_cache

from ..normalise import code_key
from .checkbox import UNCHECKED, glyph_meaning
from .labels import IGNORABLE_CHARS, norm

_CJK = r"\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
_EDGE = re.compile(r"^[\s_＿:：]+|[\s_＿]+$")
_UNDERLINE_RUN = re.compile(r"[_＿]{2,}")


def join_inline(parts: list[str]) -> str:
    """Pieces of one value (cells, wrapped lines) → one line: no spaces next to CJK, single spaces elsewhere."""
    text = " ".join(p.strip() for p in parts if p and p.strip())
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def clean_value(text: str | None) -> str | None:
    """A one-line field value without blank-line underscores and edge punctuation; None when blank."""
    if text is None:
        return None
    text = _UNDERLINE_RUN.sub(" ", text)
    text = _EDGE.sub("", join_inline([text]))
    return text or None


def paragraphs(texts: list[str]) -> list[str]:
    """Block texts → stripped, non-empty paragraphs."""
    out = []
    for t in texts:
        for line in t.split("\n"):
            line = line.strip()
            if line:
                out.append(line)
    return out


def normalise_code(text: str | None) -> str | None:
    """A code as extracted: `normalise.code_key`, or None when there is none."""
    return code_key(text) or None


# Hints ------------------------------------------------------------------------------------------

_HINT_TAIL = re.compile(r"^[\s)）\]】〕。，,.;；:：]*")


def _folded_chars(text: str) -> tuple[str, list[int]]:
    """`norm` of `text`, with the original index of every kept character."""
    chars: list[str] = []
    index: list[int] = []
    nf = unicodedata.normalize("NFKC", text)
    if len(nf) == len(text):
        kept = [i for i, ch in enumerate(nf) if ch not in IGNORABLE_CHARS and not ch.isspace()]
        lowered = [nf[i].lower() for i in kept]
        folded = "".join(lowered)
        if len(folded) == len(kept):  # one character each (always, but for a few letters like İ)
            return folded, kept
        for i, low in zip(kept, lowered, strict=True):
            index.extend([i] * len(low))
        return folded, index
    for i, ch in enumerate(text):
        n = norm(ch)
        for c in n:
            chars.append(c)
            index.append(i)
    return "".join(chars), index


def _common_chars(a: str, b: str) -> int:
    """Characters `a` and `b` have in common (as multisets): no alignment of them matches more."""
    return sum((Counter(a) & Counter(b)).values())


def _hint_prefix_end(line: str, hint_norm: str, min_cover: float) -> int | None:
    """Where a hint written at the start of `line` ends (original index), if it is there."""
    folded, index = _folded_chars(line[: len(hint_norm) * 2 + 20])
    if not folded:
        return None
    window = folded[: len(hint_norm) + len(hint_norm) // 3 + 2]
    if _common_chars(hint_norm, window) < min_cover * len(hint_norm):
        return None  # the matching below could only cover fewer characters still
    sm = difflib.SequenceMatcher(None, hint_norm, window, autojunk=False)
    blocks = [b for b in sm.get_matching_blocks() if b.size]
    if not blocks or blocks[0].a > 3 or blocks[0].b > 3:
        return None
    covered = sum(b.size for b in blocks)
    if covered < min_cover * len(hint_norm):
        return None
    last = blocks[-1]
    end = index[last.b + last.size - 1] + 1
    return end + _HINT_TAIL.match(line[end:]).end()


@lru_cache(maxsize=64)
def _norm_cached(text: str) -> str:
    """`norm` of the few printed hints, which every form repeats."""
    return norm(text)


_HINT_TAIL_MIN = 6  # characters of a hint's end that a paragraph must hold to be taken for it


def _hint_tail(line: str, hint_norm: str) -> bool:
    head = norm(line)
    return len(head) >= _HINT_TAIL_MIN and hint_norm.endswith(head)


def strip_hint(lines: list[str], hint: str, min_ratio: float = 0.8) -> list[str]:
    """Applicant paragraphs without the printed hint, when it was left in place (loosely matched).

    The hint may fill the first paragraph(s) on its own (wrapped over several lines in a PDF), or
    the applicant may have typed straight after it in the same paragraph. A paragraph that is only
    the hint's tail is dropped wherever it stands: cut from its label when the label cell broke
    over a page, it lands among the applicant's paragraphs (a PDF row continued on the next page).
    """
    hint_norm = _norm_cached(hint)
    if not lines or not hint_norm:
        return lines
    return [ln for ln in _strip_leading_hint(lines, hint_norm, min_ratio) if not _hint_tail(ln, hint_norm)]


def _strip_leading_hint(lines: list[str], hint_norm: str, min_ratio: float) -> list[str]:
    acc = ""
    sm = difflib.SequenceMatcher(None, "", hint_norm, autojunk=False)  # indexes the hint once
    for k in range(min(len(lines), 4)):
        acc += norm(lines[k])
        if not acc:
            continue
        if len(acc) > len(hint_norm) * 1.3:
            break
        sm.set_seq1(acc)
        # The quick ratios are upper bounds of ratio(): most paragraphs are not the hint at all.
        need = min_ratio + 0.05
        if sm.real_quick_ratio() >= need and sm.quick_ratio() >= need and sm.ratio() >= need:
            return lines[k + 1:]
    cut = _hint_prefix_end(lines[0], hint_norm, min_ratio)
    if cut is None:
        return lines
    rest = lines[0][cut:].strip()
    return ([rest] if rest else []) + lines[1:]


# Checkbox options -------------------------------------------------------------------------------

def _mark(ch: str) -> bool | None:
    m = glyph_meaning(ch)
    if m is None:
        return None
    return m != UNCHECKED


@lru_cache(maxsize=64)
def _option_keys(options: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(option, its `norm`) longest first, blank ones left out: the same few lists are searched often."""
    return tuple((opt, norm(opt)) for opt in sorted(options, key=lambda o: -len(norm(o))) if norm(opt))


def find_options(text: str, options: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, option) of every option label in `text`, longest labels first, no overlaps."""
    folded, index = _folded_chars(text)
    taken = [False] * len(folded)
    found = []
    for opt, key in _option_keys(tuple(options)):
        start = folded.find(key)
        while start >= 0:
            end = start + len(key)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                found.append((index[start], index[end - 1] + 1, opt))
                break
            start = folded.find(key, start + 1)
    found.sort()
    return found


def read_options(text: str, options: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(checked, unchecked, without a box) options of a checkbox group written in `text`.

    Each box belongs to the option it stands before (`☑元宇宙+产线`, also `□方向1：元宇宙+产线`);
    when the group is written with boxes after the labels (`产线☑`), to the option it follows.
    """
    spans = find_options(text, options)
    if not spans:
        return [], [], []
    n = len(spans)
    before: list[bool | None] = []
    after: list[bool | None] = []
    for k, (s, e, _) in enumerate(spans):
        prev_end = spans[k - 1][1] if k else 0
        next_start = spans[k + 1][0] if k + 1 < n else len(text)
        marks_before = [m for m in (_mark(c) for c in text[prev_end:s]) if m is not None]
        seg_after = text[e:next_start]
        line_end = seg_after.find("\n")
        marks_after = [m for m in (_mark(c) for c in seg_after[: line_end if line_end >= 0 else None]) if m is not None]
        before.append(marks_before[-1] if marks_before else None)
        after.append(marks_after[0] if marks_after else None)
    # Boxes before the labels unless the group clearly puts them after (the first label has none
    # before it while the last one has one after it).
    use_after = before[0] is None and after[-1] is not None and sum(a is not None for a in after) > sum(
        b is not None for b in before)
    states = after if use_after else before
    checked = [spans[k][2] for k in range(n) if states[k]]
    unchecked = [spans[k][2] for k in range(n) if states[k] is False]
    missing = [spans[k][2] for k in range(n) if states[k] is None]
    order = {o: i for i, o in enumerate(options)}
    return (sorted(dict.fromkeys(checked), key=order.get), sorted(dict.fromkeys(unchecked), key=order.get),
            sorted(dict.fromkeys(missing), key=order.get))


def one_or_many(values: list[str]) -> str | list[str] | None:
    """The field convention: a string for one value, a list for several, None for none."""
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)
