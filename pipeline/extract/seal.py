"""Red-stamp (seal) detection on PIL images, shared by the DOCX and PDF/OCR backends.

A Chinese unit seal is a red ring with a star and text inside. We look for red pixels (R high,
G and B low), group them into connected regions on a coarse grid (fast, numpy only), and call a
region a seal when it is large enough, red enough and roughly round: its red pixels lie inside
the inscribed ellipse of its bounding box and reach the rim in most directions. Thresholds come
from the rules file ([seal]) and are passed in by the caller.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

# Work on images no larger than this (longest side, px); seals stay tens of pixels wide.
_WORK_SIDE = 1600
# Angular sectors sampled around a candidate's centre, and the share that must reach the rim.
_SECTORS = 24
_MIN_RIM_SECTORS = 0.7


@dataclass(frozen=True)
class SealRegion:
    """A red region of an image, in the image's own pixel coordinates."""

    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1
    red_ratio: float  # red pixels / bbox area
    round: bool

    def looks_like_seal(self, min_red_ratio: float, min_size_px: int) -> bool:
        x0, y0, x1, y1 = self.bbox
        return self.round and self.red_ratio >= min_red_ratio and min(x1 - x0, y1 - y0) >= min_size_px


def to_rgb(img: Image.Image) -> Image.Image:
    """RGB with transparency flattened onto white (seal PNGs usually have an alpha channel)."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img if img.mode == "RGB" else img.convert("RGB")


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """Boolean mask of seal-red pixels in an HxWx3 uint8 array (stamp ink, also faded/pinkish)."""
    a = rgb.astype(np.int16)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    gb = np.maximum(g, b)
    return (r >= 110) & (r - gb >= 60) & ((r - gb) * 10 >= r * 3)


def _downscaled(img: Image.Image) -> tuple[Image.Image, float]:
    """The image shrunk so its longest side is at most `_WORK_SIDE`, and the factor applied."""
    w, h = img.size
    scale = min(1.0, _WORK_SIDE / max(w, h, 1))
    if scale < 1.0:
        img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
    return img, scale


def _components(grid: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (r0, c0, r1, c1 exclusive) of 8-connected True regions of a small grid."""
    labels, _ = ndimage.label(grid, structure=np.ones((3, 3), dtype=bool))
    return [(sl[0].start, sl[1].start, sl[0].stop, sl[1].stop) for sl in ndimage.find_objects(labels) if sl]


def _is_round(mask: np.ndarray) -> bool:
    """Red pixels of a box sit inside its inscribed ellipse and reach its rim all around."""
    h, w = mask.shape
    if h < 8 or w < 8 or not 0.6 <= w / h <= 1.67:
        return False
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return False
    cy, cx = (h - 1) / 2, (w - 1) / 2
    dy, dx = (ys - cy) / (h / 2), (xs - cx) / (w / 2)
    rad = np.hypot(dx, dy)
    if np.mean(rad <= 1.12) < 0.9:
        return False
    rim = rad >= 0.72
    sectors = np.unique(
        ((np.arctan2(dy[rim], dx[rim]) + np.pi) / (2 * np.pi) * _SECTORS).astype(int) % _SECTORS
    )
    return len(sectors) >= _MIN_RIM_SECTORS * _SECTORS


def find_red_regions(img: Image.Image, min_size_px: int) -> list[SealRegion]:
    """Red regions at least `min_size_px` on both sides, largest first, in `img` pixels."""
    small, scale = _downscaled(to_rgb(img))
    return _red_regions(red_mask(np.asarray(small)), scale, min_size_px)


def _red_regions(mask: np.ndarray, scale: float, min_size_px: int) -> list[SealRegion]:
    """`find_red_regions` from the red mask of the image shrunk by `scale` (computed once by callers)."""
    if not mask.any():
        return []
    # Coarse grid: a cell is red when it holds a few red pixels; one dilation joins ring, star and text.
    cell = max(2, round(min(mask.shape) / 400))
    rows, cols = -(-mask.shape[0] // cell), -(-mask.shape[1] // cell)
    padded = np.zeros((rows * cell, cols * cell), dtype=bool)
    padded[: mask.shape[0], : mask.shape[1]] = mask
    counts = padded.reshape(rows, cell, cols, cell).sum(axis=(1, 3))
    grid = counts >= max(1, cell * cell // 8)
    grown = grid.copy()
    grown[1:, :] |= grid[:-1, :]
    grown[:-1, :] |= grid[1:, :]
    grown[:, 1:] |= grid[:, :-1]
    grown[:, :-1] |= grid[:, 1:]
    min_cells = min_size_px * scale / cell
    regions = []
    for r0, c0, r1, c1 in _components(grown):
        if min(r1 - r0, c1 - c0) < min_cells * 0.9:
            continue
        y0, y1 = r0 * cell, min(r1 * cell, mask.shape[0])
        x0, x1 = c0 * cell, min(c1 * cell, mask.shape[1])
        sub = mask[y0:y1, x0:x1]
        ys, xs = np.nonzero(sub)
        if len(ys) == 0:
            continue
        y0, y1, x0, x1 = y0 + ys.min(), y0 + ys.max() + 1, x0 + xs.min(), x0 + xs.max() + 1
        sub = mask[y0:y1, x0:x1]
        bbox = (round(x0 / scale), round(y0 / scale), round(x1 / scale), round(y1 / scale))
        if min(bbox[2] - bbox[0], bbox[3] - bbox[1]) < min_size_px:
            continue
        regions.append(SealRegion(bbox, float(sub.mean()), _is_round(sub)))
    regions.sort(key=lambda s: -(s.bbox[2] - s.bbox[0]) * (s.bbox[3] - s.bbox[1]))
    return regions


def find_seals(img: Image.Image, min_red_ratio: float, min_size_px: int) -> list[SealRegion]:
    """Regions of `img` (e.g. a rendered page) that look like a seal."""
    return [r for r in find_red_regions(img, min_size_px) if r.looks_like_seal(min_red_ratio, min_size_px)]


def image_info(img: Image.Image, min_red_ratio: float, min_size_px: int) -> tuple[float, bool]:
    """(share of red pixels in the whole image, whether a region of it looks like a seal).

    The ratio test applies to the seal region, not the whole image, so a full-page scan with a
    stamp counts as well as a cropped stamp picture.
    """
    small, scale = _downscaled(to_rgb(img))
    mask = red_mask(np.asarray(small)) if small.width and small.height else None
    ratio = float(mask.mean()) if mask is not None else 0.0
    if ratio == 0.0 or min(img.size) < min_size_px:
        return ratio, False
    regions = _red_regions(mask, scale, min_size_px)
    return ratio, any(r.looks_like_seal(min_red_ratio, min_size_px) for r in regions)


def crop_png_b64(
    img: Image.Image, bbox: tuple[float, float, float, float] | None = None, max_side: int = 120
) -> str:
    """A small PNG (base64, a few KB: 32-colour palette) of `img` or of its `bbox` region, for the report."""
    part = to_rgb(img)
    if bbox is not None:
        x0, y0, x1, y1 = (round(v) for v in bbox)
        part = part.crop((max(0, x0), max(0, y0), min(part.width, x1), min(part.height, y1)))
    part = part.copy()
    part.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    part = part.quantize(colors=32, method=Image.Quantize.MEDIANCUT)
    buf = io.BytesIO()
    part.save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")
