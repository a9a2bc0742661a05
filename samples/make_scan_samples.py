"""Write the scanned sample submissions (issue #18): printed, stamped, scanned or photographed.

    python samples/make_scan_samples.py              # only these submissions, into samples/batch
    python samples/make_scan_samples.py --out DIR    # into DIR/<submission id>/

Their data is in the generator's catalogue (samples/gen/catalogue.py: the files with a `scan_*`
producer), so samples/expected.json holds their truth like any other sample's. Each document is
the generator's DOCX, converted to PDF by LibreOffice and rendered by pdftoppm (the real pages,
never text drawn by this script); the page images are then degraded with Pillow and numpy as
SCANS says, seeded so that the same images come out every time, and packed as an image-only PDF
(Pillow writes each page as one JPEG). `samples/make_samples.py` (everything) calls this for them.

Degradations: 150/200/300 dpi, grey or colour, JPEG quality 50, paper tone, sensor noise, a slight
blur, skew up to ±3°, a page turned 90° or 180°, a red seal stamped over the letter's unit name and
date, and a phone photo (perspective, uneven light, a desk around the sheet).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pdfplumber
from PIL import Image, ImageFilter

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from gen import catalogue, documents  # noqa: E402
from gen.batch import BatchWriter, soffice  # noqa: E402
from gen.model import Submission  # noqa: E402
from gen.seal import seal_image  # noqa: E402

SEED = catalogue.SEED + ":scans"
SEAL_CM = 4.1  # a round unit seal's diameter


@dataclass
class Scan:
    """How one document is degraded."""

    dpi: int
    grey: bool = False
    quality: int = 50
    skew: tuple[float, ...] = ()  # degrees per page (counter-clockwise), cycled; () = random ±0.8
    turn: dict[int, int] = field(default_factory=dict)  # page index → degrees clockwise the sheet lies
    seal: bool = False  # a red seal over the unit name and the date (letters)
    photo: bool = False  # a phone photo instead of a flatbed scan


# Keyed by producer (catalogue: scan_form_<key>, scan_letter_<key>).
SCANS: dict[str, Scan] = {
    "scan_form_s26": Scan(200, grey=True, skew=(2.6, -1.8, 3.0, -3.0, 1.2, -2.2, 0.6)),
    "scan_letter_s26": Scan(200, seal=True, skew=(-1.2,)),
    "scan_form_s27": Scan(300, grey=True, turn={1: 90, 3: 180}, skew=(0.4, 0.0, -0.7, 0.0, 0.9, -0.3, 0.5)),
    "scan_letter_s27": Scan(300, seal=True, skew=(0.8,)),
    "scan_form_s28": Scan(150, skew=(-1.5, 2.0, -0.8, 1.1, -2.4, 0.7, 1.6)),
    "scan_letter_s28": Scan(200, seal=True, photo=True),
    "scan_form_s29": Scan(200, skew=(-2.5, 1.5)),
    "scan_letter_s29": Scan(150, grey=True, skew=(1.8,)),
    "scan_form_s30": Scan(200, grey=True, skew=(-0.9, 1.4, -2.0, 0.3)),
    "scan_letter_s30": Scan(200, seal=True, skew=(2.2,)),
    "scan_form_s31": Scan(150, grey=True, skew=(1.0, -1.3, 2.7, -0.5)),
    "scan_letter_s31": Scan(150, seal=True, skew=(-2.8,)),
}


def is_scan(sub: Submission) -> bool:
    return any(f.producer.startswith("scan_") for f in sub.files)


def _rng(*parts: str) -> random.Random:
    return random.Random(":".join((SEED, *parts)))


def _seal_centre(pdf: Path, unit: str, dpi: int) -> tuple[int, int, int]:
    """(page index, x, y) in pixels: between the end of the unit name's line and the date below it,
    so that the stamp covers part of both, as a seal on a signed letter does."""
    k = dpi / 72
    with pdfplumber.open(pdf) as doc:
        for i, page in enumerate(doc.pages):
            name = page.search(unit[:6])  # a long name may wrap
            date = page.search(r"2023\s*年", regex=True)
            if name and date:
                n, d = name[-1], date[-1]
                x = (n["x0"] + n["x1"]) / 2 * 0.45 + (d["x0"] + d["x1"]) / 2 * 0.55
                y = (n["top"] + d["bottom"]) / 2
                return i, int(x * k), int(y * k)
    raise LookupError(f"no unit name and date on {pdf.name}")


def _stamp(page: Image.Image, seal: Image.Image, centre: tuple[int, int]) -> Image.Image:
    """Red ink over the print: multiply, so the black text stays visible under the seal."""
    ink = Image.new("RGB", page.size, (255, 255, 255))
    ink.paste(seal.convert("RGB"), (centre[0] - seal.width // 2, centre[1] - seal.height // 2), seal)
    out = np.asarray(page, dtype=np.float32) * np.asarray(ink, dtype=np.float32) / 255.0
    return Image.fromarray(out.astype(np.uint8))


def _scanner(page: Image.Image, gen: np.random.Generator) -> Image.Image:
    """A flatbed scan's look: lower contrast, off-white paper, sensor noise, a soft focus."""
    arr = np.asarray(page, dtype=np.float32) * 0.88 + np.array([18.0, 17.0, 12.0])
    arr += gen.normal(0, 1.5, arr.shape[:2])[..., None]
    specks = gen.random(arr.shape[:2]) < 0.0002
    arr[specks] = 95
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.45))


def _perspective_coeffs(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE): maps output points `dst` to input points `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, dtype=float), np.array(rhs, dtype=float)).tolist()


def _photo(page: Image.Image, gen: np.random.Generator) -> Image.Image:
    """A phone photo of the sheet on a desk: perspective, light falling off across the page, a
    warm cast, noise and softness."""
    w, h = page.size
    margin = int(0.06 * w)
    out_w, out_h = w + 2 * margin, h + 2 * margin
    # Where the sheet's corners land in the photo: the top edge farther away (narrower), turned a little.
    j = lambda s: float(gen.uniform(-s, s))  # noqa: E731
    corners = [
        (margin + 0.045 * w + j(8), margin + 0.02 * h + j(8)),
        (margin + 0.95 * w + j(8), margin + 0.035 * h + j(8)),
        (margin + w + j(6), margin + h - j(6)),
        (margin + j(6), margin + 0.985 * h + j(6)),
    ]
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    desk = Image.new("RGB", (out_w, out_h), (92, 78, 64))
    sheet = page.convert("RGBA").transform(
        (out_w, out_h), Image.Transform.PERSPECTIVE, _perspective_coeffs(corners, src), Image.Resampling.BICUBIC
    )
    desk.paste(sheet, (0, 0), sheet)
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    # Light from the upper left, a shadow towards the lower right corner.
    light = 1.04 - 0.30 * ((xx / out_w) * 0.6 + (yy / out_h) * 0.4) ** 1.6
    light -= 0.08 * np.exp(-(((xx - 0.8 * out_w) / (0.25 * out_w)) ** 2 + ((yy - 0.9 * out_h) / (0.2 * out_h)) ** 2))
    arr = np.asarray(desk, dtype=np.float32) * light[..., None] * np.array([1.0, 0.97, 0.9])
    arr += gen.normal(0, 1.5, arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    return img


def degrade(pages: list[Image.Image], scan: Scan, key: str, unit: str | None, seal_at) -> list[Image.Image]:
    rng = _rng(key)
    gen = np.random.default_rng(rng.randrange(2**32))
    out = []
    for i, page in enumerate(pages):
        page = page.convert("RGB")
        if scan.seal and seal_at and seal_at[0] == i:
            seal = seal_image(unit, rng, size=int(SEAL_CM / 2.54 * scan.dpi))
            page = _stamp(page, seal, seal_at[1:])
        if scan.photo:
            page = _photo(page, gen)
        else:
            page = _scanner(page, gen)
            angle = scan.skew[i % len(scan.skew)] if scan.skew else rng.uniform(-0.8, 0.8)
            if angle:
                page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(238, 237, 232))
        if scan.grey:
            page = page.convert("L")
        turn = scan.turn.get(i, 0)
        if turn:
            page = page.rotate(-turn, expand=True)  # lies turned clockwise on the scanner
        out.append(page)
    return out


def render(pdf: Path, dpi: int) -> list[Image.Image]:
    prefix = pdf.with_name(pdf.stem + f"-{dpi}")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, timeout=300)
    paths = sorted(pdf.parent.glob(prefix.name + "-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    pages = [Image.open(p).convert("RGB") for p in paths]
    for p in paths:
        p.unlink()
    return pages


def pack(pages: list[Image.Image], target: Path, scan: Scan) -> None:
    """An image-only PDF, each page one JPEG at the scan's quality and resolution."""
    target.parent.mkdir(parents=True, exist_ok=True)
    pages[0].save(
        target, "PDF", resolution=float(scan.dpi), save_all=True, append_images=pages[1:], quality=scan.quality
    )


def write(subs: list[Submission], batch: Path) -> list[str]:
    """Write every scanned submission of `subs` as a folder in `batch`; returns their ids."""
    chosen = [s for s in subs if is_scan(s)]
    writer = BatchWriter(batch, catalogue.SEED)  # its documents only; write() is not called
    work = Path(tempfile.mkdtemp(prefix="scan-samples-"))
    jobs: list[tuple[Submission, str, Path, Path]] = []  # sub, producer, docx, target
    try:
        for n, sub in enumerate(chosen):
            if sub.container != "folder":
                raise ValueError(f"{sub.id}: scanned samples are folders")
            folder = batch / sub.id
            if folder.exists():
                shutil.rmtree(folder)
            for spec in sub.files:
                source = work / f"s{n:02d}-{spec.producer}.docx"
                if spec.producer.startswith("scan_form_"):
                    documents.save(writer.form_doc(sub), source)
                elif spec.producer.startswith("scan_letter_"):
                    documents.save(writer.letter_doc(sub), source)
                else:
                    raise ValueError(f"{sub.id}: producer {spec.producer} is not made here")
                jobs.append((sub, spec.producer, source, folder / spec.path))
        soffice("pdf", [src for _, _, src, _ in jobs], work)
        for sub, producer, source, target in jobs:
            scan = SCANS[producer]
            pdf = source.with_suffix(".pdf")
            pages = render(pdf, scan.dpi)
            seal_at = _seal_centre(pdf, sub.letter.unit_name, scan.dpi) if scan.seal else None
            pack(degrade(pages, scan, f"{sub.id}:{producer}", sub.letter.unit_name, seal_at), target, scan)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(writer.work, ignore_errors=True)
    return [s.id for s in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE / "batch", help="the batch folder to write into")
    args = parser.parse_args(argv)
    for sid in write(catalogue.submissions(), args.out):
        size = sum(p.stat().st_size for p in (args.out / sid).rglob("*") if p.is_file())
        print(f"written: {args.out / sid} ({size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
