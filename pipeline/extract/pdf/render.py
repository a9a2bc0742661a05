"""Page images: scanned pages rendered with pypdfium2 and read by OCR into the same lines and cells
a text page gives; embedded pictures decoded at their own resolution for the seal check.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdftypes import resolve1
from PIL import Image

from .. import ocr as ocr_mod
from .lines import MAX_RENDER_SIDE, OCR_CHECKBOX_MIN_FILL, OCR_DPI, TABLE_SETTINGS, Line, PageData, TablePart
from .page import place_chars, table_parts

# ---------------------------------------------------------------------------------------------
# Rendering: OCR of scanned pages, seals on page images


class Renderer:
    """pypdfium2 document opened on first use (only files with scans or pictures need it)."""

    def __init__(self, path: Path):
        self.path = path
        self.doc = None

    def page_image(self, index: int, dpi: int, crop: tuple[float, float, float, float] | None = None):
        """The page (or the `crop` box of it, top-left coordinates) rendered at `dpi`, never larger
        than `MAX_RENDER_SIDE` pixels a side (an absurd page size must not exhaust memory)."""
        page = self._document()[index]
        try:
            w, h = page.get_size()
            cw, ch = (crop[2] - crop[0], crop[3] - crop[1]) if crop is not None else (w, h)
            scale = min(dpi / 72, MAX_RENDER_SIDE / max(cw, ch, 1.0))
            if crop is None:
                return page.render(scale=scale).to_pil()
            x0, top, x1, bottom = crop
            box = (max(0.0, x0), max(0.0, h - bottom), max(0.0, w - x1), max(0.0, top))
            return page.render(scale=scale, crop=box).to_pil()
        finally:
            page.close()

    def _document(self):

        if self.doc is None:
            self.doc = pdfium.PdfDocument(str(self.path), password=None)
        return self.doc

    def image_pixels(self, index: int, bbox: tuple[float, float, float, float], stream):
        """The picture drawn at `bbox` (top-left coordinates) at its own resolution, with its soft
        mask as alpha; None when no image object sits there."""

        page = self._document()[index]
        try:
            height = page.get_size()[1]
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
                x0, y0, x1, y1 = obj.get_bounds()
                if abs(x0 - bbox[0]) > 2 or abs((height - y1) - bbox[1]) > 2 or abs(x1 - bbox[2]) > 2:
                    continue
                img = obj.get_bitmap(render=False).to_pil()
                alpha = _soft_mask(stream, img.size)
                if alpha is not None:
                    img = img.convert("RGB")
                    img.putalpha(alpha)
                return img
            return None
        finally:
            page.close()

    def close(self) -> None:
        if self.doc is not None:
            self.doc.close()
            self.doc = None


def _soft_mask(stream, size: tuple[int, int]):
    """The image's /SMask (8-bit grey, same size) as a PIL alpha channel, if it has a simple one."""

    try:
        mask = resolve1(stream.attrs.get("SMask")) if stream is not None else None
        if mask is None or resolve1(mask.attrs.get("BitsPerComponent")) != 8:
            return None
        w, h = resolve1(mask.attrs.get("Width")), resolve1(mask.attrs.get("Height"))
        data = mask.get_data()
        if (w, h) != size or len(data) < w * h:
            return None
        alpha = Image.frombytes("L", (w, h), data[: w * h])
        decode = resolve1(mask.attrs.get("Decode"))
        if isinstance(decode, list) and len(decode) == 2 and resolve1(decode[0]) == 1:
            alpha = alpha.point(lambda v: 255 - v)
        return alpha
    except MemoryError:  # extract_file reports it as 内存超限, never cached
        raise
    except Exception:  # noqa: BLE001 - an undecodable mask only costs the transparency
        return None


def read_scanned_page(img, p: PageData, scan=None):
    """A straightened scanned page → the same lines and table cells a text page gives; returns
    the OCR reading (`scan` when it came from the cache)."""

    if scan is None:
        scan = ocr_mod.read_scan(img, OCR_CHECKBOX_MIN_FILL)
    k = p.width / img.width if img.width else 72 / OCR_DPI
    chars = [
        {
            "text": c.text,
            "x0": c.bbox[0] * k,
            "x1": c.bbox[2] * k,
            "top": c.bbox[1] * k,
            "bottom": c.bbox[3] * k,
            "size": (c.bbox[3] - c.bbox[1]) * k,
            "conf": c.confidence,
            "box": c.box,
        }
        for c in scan.chars
    ]
    h_lines = [_line(x0 * k, x1 * k, y * k, y * k) for x0, x1, y in scan.h_rules]
    v_lines = [_line(x * k, x * k, y0 * k, y1 * k) for y0, y1, x in scan.v_rules]
    parts: list[TablePart] = []
    if len(h_lines) >= 2 and len(v_lines) >= 2 and p.source is not None:  # fewer make no cell
        settings = {
            **TABLE_SETTINGS,
            "vertical_strategy": "explicit",
            "horizontal_strategy": "explicit",
            "explicit_vertical_lines": v_lines,
            "explicit_horizontal_lines": h_lines,
            "edge_min_length": 6,  # rules read from pixels: shorter ones are specks
        }
        parts = table_parts(p.source.find_tables(settings), p.number)
    place_chars(p, chars, parts)
    confs = [c["conf"] for c in chars if c["box"] >= 0]
    p.ocr_confidence = sum(confs) / len(confs) if confs else None
    return scan


def _line(x0: float, x1: float, top: float, bottom: float) -> dict:
    """A ruling line as pdfplumber's table finder takes it (`explicit_*_lines`)."""
    return {"object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "width": x1 - x0, "height": bottom - top}


def page_lines(p: PageData) -> list[Line]:
    return p.lines + [ln for t in p.tables for row in t.rows for c in row for ln in c.lines]


def near_label(bbox, lines: list[Line], labels: tuple[str, ...]) -> bool:
    """A seal near (overlapping, beside or just below/above) a line naming the seal place."""
    if not labels:
        return False
    x0, top, x1, bottom = bbox
    h = bottom - top
    for ln in lines:
        if not any(lab in ln.text for lab in labels):
            continue
        if ln.bottom >= top - h and ln.top <= bottom + h and ln.x1 >= x0 - 2 * h and ln.x0 <= x1 + h:
            return True
    return False
