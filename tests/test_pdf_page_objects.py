"""The PDF backend reads pdfplumber's own pages, so it sees exactly pdfplumber's objects.

It once read pages through a subclass that built character dicts itself (issue #21: a patch of a
library's internals breaks silently on its next release). These tests check, on real PDFs (the
sample batch, and copies with a shifted and a rotated page box), that the pages the backend reads
are pdfplumber's `Page` and give, object for object, what a fresh pdfplumber page gives.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.extract import pdf as P

SAMPLE_PDFS = sorted((Path(__file__).resolve().parents[1] / "samples" / "batch").rglob("*.pdf"))


def _objects(page) -> dict[str, list[list[tuple]]]:
    """Every object's items; an image's stream (an object of that open file) by its object id."""
    return {kind: [[(k, v.objid if k == "stream" else v) for k, v in obj.items()] for obj in objs]
            for kind, objs in page.objects.items()}


def _read_pages(path: Path, monkeypatch) -> list:
    """The objects of each page `read_pdf` reads, as it reads them."""
    from pipeline.config import load_rules
    from pipeline.extract import ExtractOptions, extract_file

    seen = []
    original = P.read_page

    def spy(page, *args, **kwargs):
        assert type(page) is pdfplumber.page.Page
        seen.append(_objects(page))
        return original(page, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(P, "read_page", spy)
        extract_file(path, path.name, load_rules(), ExtractOptions(ocr=False))
    return seen


def _compare(path: Path, monkeypatch) -> int:
    """Asserts the backend's pages give pdfplumber's objects; returns how many characters were compared."""
    seen = _read_pages(path, monkeypatch)
    chars = 0
    with pdfplumber.open(path) as pdf:
        assert len(seen) == len(pdf.pages)
        for objects, page in zip(seen, pdf.pages, strict=True):
            assert objects == _objects(page)
            chars += len(page.chars)
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
def test_same_objects_as_pdfplumber(path: Path, monkeypatch):
    assert _compare(path, monkeypatch) > 100


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
def test_same_objects_with_moved_and_rotated_boxes(tmp_path: Path, monkeypatch, shift, rotate):
    moved = _with_boxes(TEXT_PDFS[0], tmp_path / "moved.pdf", shift, rotate)
    with pdfplumber.open(moved) as pdf:
        page = pdf.pages[0]
        assert page.mediabox[0] == -shift[0] or rotate  # the box really starts off the origin
    assert _compare(moved, monkeypatch) > 100


def test_extraction_uses_pdfplumbers_own_page(monkeypatch):
    """read_pdf reads its pages as pdfplumber makes them: no subclass, no patched conversion."""
    from pipeline.config import load_rules
    from pipeline.extract import ExtractOptions, extract_file

    seen = []
    original = P.read_page

    def spy(page, *args, **kwargs):
        seen.append(type(page))
        return original(page, *args, **kwargs)

    monkeypatch.setattr(P, "read_page", spy)
    result = extract_file(TEXT_PDFS[0], TEXT_PDFS[0].name, load_rules(), ExtractOptions(ocr=False))
    assert not result.problems
    assert seen and set(seen) == {pdfplumber.page.Page}
    assert not hasattr(P, "_Page")
