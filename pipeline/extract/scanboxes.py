"""Checkboxes on scanned pages, judged from the image itself.

A recogniser reads an empty box as 口 and a ticked one as 区, a circled digit or nothing at all, so
each box is found as a small closed square on a text line's band and called ticked (☑), clean (☐)
or unsure (⍰: some ink, short of a tick) by the share of ink inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHECKED, UNCHECKED = "☑", "☐"
# A box whose ink is too faint or too little to call either way: read as neither (checkbox.UNSURE).
UNSURE = "⍰"
# A box with less ink than the tick threshold but at least this share of it is unsure, not unticked.
UNSURE_SHARE = 0.5

# What a recogniser may read in place of a drawn box; the image decides checked or not. Real
# characters among them (口 区 回 日) only count where the image shows a closed square apart
# from the text before it.
# What the recogniser makes of a drawn box (a ticked one is often read as a circled digit or a tick).
BOX_LIKE = frozenset("口□☐☑☒■▢◻囗回区R£α0O○◯①②③④⑤⑥⑦⑧⑨⑩√✓✔")
_CANONICAL = frozenset((CHECKED, UNCHECKED, UNSURE))


@dataclass
class OcrChar:
    """One recognised character (or a decoded checkbox) in image pixels."""

    text: str
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom
    confidence: float = 1.0
    box: int = -1  # index of the recognised box it came from; -1 for a checkbox found in the image


# ---------------------------------------------------------------------------------------------
# Checkboxes


@dataclass
class DrawnBox:
    """A small square drawn on the page (pixel coordinates) and the ink inside it."""

    bbox: tuple[int, int, int, int]
    fill: float
    gap: float  # blank pixels between the square and the nearest ink to its left

    def state(self, min_fill: float) -> str:
        """☑ ticked, ☐ clean, or ⍰ unsure: some ink inside, short of a tick (a faint or partial mark)."""
        if self.fill >= min_fill:
            return CHECKED
        return UNSURE if self.fill >= UNSURE_SHARE * min_fill else UNCHECKED

    def checked(self, min_fill: float) -> bool:
        return self.fill >= min_fill

    def stands_apart(self) -> bool:
        """Options stand after spaces or at the start of a cell; 口 or 回 in a word sit close."""
        return self.gap >= 0.4 * (self.bbox[3] - self.bbox[1])


def find_boxes(dark: np.ndarray, around: tuple[float, float, float, float]) -> list[DrawnBox]:
    """Closed squares about one text line high on a text line's band (and left of it)."""
    import cv2

    h = max(4.0, around[3] - around[1])
    x0 = int(max(0, around[0] - 2 * h))
    x1 = int(min(dark.shape[1], around[2] + h))
    y0 = int(max(0, around[1] - 0.4 * h))
    y1 = int(min(dark.shape[0], around[3] + 0.4 * h))
    band = dark[y0:y1, x0:x1]
    if band.size == 0:
        return []
    n, _, stats, _ = cv2.connectedComponentsWithStats(band.astype(np.uint8), connectivity=8)
    boxes = []
    for i in range(1, n):
        bx, by, bw, bh, _area = stats[i]
        if not (0.35 * h <= bw <= 1.1 * h and 0.35 * h <= bh <= 1.1 * h) or abs(bw - bh) > 0.25 * max(bw, bh):
            continue
        sub = band[by : by + bh, bx : bx + bw]
        t = max(1, round(0.15 * min(bw, bh)))
        # An outline: ink on all four sides along most of their length.
        sides = (
            sub[:t, :].any(axis=0).mean(),
            sub[-t:, :].any(axis=0).mean(),
            sub[:, :t].any(axis=1).mean(),
            sub[:, -t:].any(axis=1).mean(),
        )
        if min(sides) < 0.8:
            continue
        m = max(t + 1, round(0.22 * min(bw, bh)))
        inner = sub[m:-m, m:-m]
        fill = float(inner.mean()) if inner.size else 0.0
        ax0 = x0 + bx
        left = dark[y0 + by : y0 + by + bh, max(0, ax0 - int(2 * bw)) : ax0]
        cols = np.nonzero(left.any(axis=0))[0]
        gap = float(left.shape[1] - 1 - cols[-1]) if len(cols) else float(2 * bw)
        boxes.append(DrawnBox((ax0, y0 + by, ax0 + bw, y0 + by + bh), fill, gap))
    return boxes


def _overlap(a: tuple[float, ...], b: tuple[float, ...], axis: int) -> float:
    return max(0.0, min(a[axis + 2], b[axis + 2]) - max(a[axis], b[axis]))


def _gap_after(box: tuple[float, ...], char: tuple[float, ...]) -> float:
    """How far `char` is from `box`, text after the box first (an option's label follows its box)."""
    if char[0] >= box[0]:
        return char[0] - box[2]
    return 4 * (box[0] - char[2]) + 1000.0


def mark_checkboxes(chars: list[OcrChar], squares: list[DrawnBox], min_fill: float) -> list[OcrChar]:
    """Characters with each drawn box read as ☑/☐: what the recogniser made of it is replaced,
    or the box is added where it dropped it. A square counts only where it stands apart from
    the ink before it (options do), so 口 or 回 inside a word is left alone."""
    chars = list(chars)
    seen: list[tuple[int, int, int, int]] = []
    for sq in sorted(squares, key=lambda s: (s.bbox[1], s.bbox[0])):
        b = sq.bbox
        if any(
            _overlap(b, s, 0) > 0.5 * (b[2] - b[0]) and _overlap(b, s, 1) > 0.5 * (b[3] - b[1]) for s in seen
        ):
            continue
        seen.append(b)
        side = b[3] - b[1]
        row = [i for i, c in enumerate(chars) if _overlap(c.bbox, b, 1) >= 0.5 * side]
        # What the recogniser made of the box: characters centred on it, or holding it (a square
        # inside a glyph, the 日 of 指). A neighbour whose box only reaches into the square
        # (per-character boxes are loose) is the option's label, not the box.
        hits = [i for i in row if _overlap(chars[i].bbox, b, 0) >= 0.8 * (b[2] - b[0])
                or (_overlap(chars[i].bbox, b, 0) >= 0.4 * (b[2] - b[0])
                    and b[0] <= (chars[i].bbox[0] + chars[i].bbox[2]) / 2 <= b[2])]
        if any(chars[i].text not in BOX_LIKE and chars[i].text not in _CANONICAL for i in hits):
            continue
        if not sq.stands_apart():
            continue
        glyph = sq.state(min_fill)
        if hits:
            first = chars[hits[0]]
            chars[hits[0]] = OcrChar(glyph, first.bbox, first.confidence, first.box)
            for i in sorted(hits[1:], reverse=True):
                del chars[i]
        else:
            # The dropped box takes the line of the text beside it (the option it stands before,
            # else the one it ends), not the span of everything level with it: a label cell
            # centred on two option lines would stretch it over both, and the box would land in
            # neither line.
            near = min(row, key=lambda i: _gap_after(b, chars[i].bbox), default=None)
            y0, y1 = (chars[near].bbox[1], chars[near].bbox[3]) if near is not None else (b[1], b[3])
            chars.append(OcrChar(glyph, (float(b[0]), y0, float(b[2]), y1)))
    return chars
