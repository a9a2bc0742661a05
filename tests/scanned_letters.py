"""Scanned commitment letters made from a sample DOCX: rendered, degraded, image-only PDFs.

The letter is edited with python-docx (an altered clause typed clearly), converted to PDF by
LibreOffice, rendered at 200 dpi by pdftoppm, and degraded as office scans are (a slight blur, JPEG
quality 50). To simulate OCR dropping a line, a line of the rendered page is whitened (its place
found in the text PDF with pdfplumber). Pages are put back together as an image-only PDF by Pillow.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import docx
import pdfplumber
from PIL import Image, ImageFilter

SAMPLE = Path(__file__).resolve().parent.parent / "samples/batch/上海臻图智造科技有限公司-白车身焊装产线数字孪生/附件2-建设承诺书.docx"
DPI = 200


def tools_available() -> bool:
    return bool(shutil.which("soffice") and shutil.which("pdftoppm"))


def edited_docx(out: Path, replace: dict[str, str] | None = None) -> Path:
    """The sample letter with paragraphs starting with a key rewritten (one run keeps the formatting)."""
    d = docx.Document(str(SAMPLE))
    for p in d.paragraphs:
        for start, text in (replace or {}).items():
            if p.text.startswith(start) and p.runs:
                p.runs[0].text = text
                for r in p.runs[1:]:
                    r.text = ""
    d.save(str(out))
    return out


def to_pdf(src: Path, workdir: Path) -> Path:
    profile = workdir / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(workdir), str(src)], check=True, capture_output=True, timeout=180)
    return workdir / (src.stem + ".pdf")


def line_box(pdf: Path, starts_with: str) -> tuple[int, tuple[float, float, float, float]]:
    """(page index, bbox in points) of the first text line starting with `starts_with`."""
    with pdfplumber.open(str(pdf)) as doc:
        for i, page in enumerate(doc.pages):
            for ln in page.extract_text_lines():
                if ln["text"].replace(" ", "").startswith(starts_with):
                    return i, (ln["x0"], ln["top"], ln["x1"], ln["bottom"])
    raise LookupError(starts_with)


def scan(pdf: Path, out: Path, whiten: list[tuple[int, tuple[float, float, float, float]]] = ()) -> Path:
    """An image-only PDF of `pdf`: 200 dpi, the given boxes whitened, blurred, JPEG quality 50."""
    prefix = out.parent / (out.stem + "-page")
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(prefix)], check=True, timeout=120)
    pages = sorted(out.parent.glob(out.stem + "-page*.png"))
    images = []
    k = DPI / 72
    for i, path in enumerate(pages):
        img = Image.open(path).convert("RGB")
        for page, (x0, top, x1, bottom) in whiten:
            if page == i:
                img.paste((255, 255, 255), (int(x0 * k) - 4, int(top * k) - 3, int(x1 * k) + 4, int(bottom * k) + 3))
        img = img.filter(ImageFilter.GaussianBlur(0.7))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=50)
        images.append(Image.open(io.BytesIO(buf.getvalue())))
        path.unlink()
    images[0].save(str(out), "PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return out
