"""The PDF backend's faster page (`pdf._Page`) gives exactly pdfplumber's objects, key for key.

`_Page` builds character dicts itself instead of through pdfplumber's generic conversion; these
tests compare every object of real PDFs (the sample batch, and copies with a shifted and a
rotated page box) with what pdfplumber's own `Page` gives, so a pdfplumber upgrade that changes
its conversion fails here rather than silently changing extraction results.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.extract import pdf as P

SAMPLE_PDFS = sorted((Path(__file__).resolve().parents[1] / "samples" / "batch").rglob("*.pdf"))


def _objects(page) -> dict[str, list[list[tuple]]]:
    return {kind: [list(obj.items()) for obj in objs] for kind, objs in page.objects.items()}


def _compare(path: Path) -> int:
    """Asserts both pages give the same objects; returns how many characters were compared."""
    chars = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            ours = P._Page.of(page)
            try:
                assert _objects(ours) == _objects(page)
                chars += len(ours.chars)
            finally:
                ours.close()
    return chars


def _text_pdfs() -> list[Path]:
    out = []
    for path in SAMPLE_PDFS:
        try:
            with pdfplumber.open(path) as pdf:
                if any(page.chars for page in pdf.pages):
                    out.append(path)
        except Exception:  # noqa: BLE001 - encrypted or broken samples have no text to compare
            continue
    return out


TEXT_PDFS = _text_pdfs()


def test_samples_have_text_pdfs():
    assert len(TEXT_PDFS) >= 3


@pytest.mark.parametrize("path", TEXT_PDFS, ids=lambda p: p.name)
def test_same_objects_as_pdfplumber(path: Path):
    assert _compare(path) > 100


def _with_boxes(src: Path, dst: Path, shift: tuple[float, float], rotate: int) -> Path:
    """A copy whose page boxes start away from the origin (and that is rotated), the cases in
    which pdfplumber moves coordinates."""
    reader = PdfReader(src)
    writer = PdfWriter()
    for page in reader.pages:
        box = page.mediabox
        dx, dy = shift
        page.mediabox.lower_left = (float(box.left) - dx, float(box.bottom) - dy)
        page.mediabox.upper_right = (float(box.right) - dx, float(box.top) - dy)
        if rotate:
            page.rotate(rotate)
        writer.add_page(page)
    with open(dst, "wb") as fh:
        writer.write(fh)
    return dst


@pytest.mark.parametrize(("shift", "rotate"), [((18.0, 25.0), 0), ((-12.5, 7.0), 90), ((0.0, 0.0), 270)])
def test_same_objects_with_moved_and_rotated_boxes(tmp_path: Path, shift, rotate):
    moved = _with_boxes(TEXT_PDFS[0], tmp_path / "moved.pdf", shift, rotate)
    with pdfplumber.open(moved) as pdf:
        page = pdf.pages[0]
        assert page.mediabox[0] == -shift[0] or rotate  # the box really starts off the origin
    assert _compare(moved) > 100


def test_extraction_uses_the_faster_page(monkeypatch):
    """read_pdf reads its pages through `_Page` (and so through the conversion tested above)."""
    seen = []
    original = P._Page.process_object

    def spy(self, obj):
        seen.append(type(self))
        return original(self, obj)

    monkeypatch.setattr(P._Page, "process_object", spy)
    from pipeline.config import load_rules
    from pipeline.extract import ExtractOptions, extract_file

    result = extract_file(TEXT_PDFS[0], TEXT_PDFS[0].name, load_rules(), ExtractOptions(ocr=False))
    assert not result.problems
    assert seen and set(seen) == {P._Page}
