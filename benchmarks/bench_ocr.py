"""OCR throughput on the same page images: raw rapidocr (the floor) against the pipeline.

    python benchmarks/bench_ocr.py                 # the sample letter and form, 150/200/300 dpi
    python benchmarks/bench_ocr.py --dpi 200 --pages 4

Renders committed sample documents (LibreOffice → PDF → pdftoppm) at each dpi, as grey JPEG
(quality 50) pages, and builds an image-only PDF of them per dpi. Then, in this process, one warm-up
page first and the rest timed:

- floor: rapidocr's engine, created as the pipeline creates it (same threads), on each page image
  as decoded from the JPEG: pages/s;
- pipeline: `extract_file` on the image-only PDF (render, straighten, OCR, layout, checkboxes,
  seal, fields): pages/s, and its ratio to the floor.

A script that prints figures, not a test: the numbers depend on the machine and its load; quote
ratios from one run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SOURCES = (
    REPO / "samples/batch/上海臻图智造科技有限公司-白车身焊装产线数字孪生/附件2-建设承诺书.docx",
    REPO / "samples/batch/上海臻图智造科技有限公司-白车身焊装产线数字孪生/附件1-需求征集表.docx",
)


def render(tmp: Path, dpi: int, pages: int) -> list[Path]:
    """The sources' pages as grey JPEG scans at `dpi` (at most `pages` of them)."""
    pdfs = tmp / "pdf"
    pdfs.mkdir(exist_ok=True)
    if not any(pdfs.iterdir()):
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile",
                        "--convert-to", "pdf", "--outdir", str(pdfs), *map(str, SOURCES)],
                       check=True, capture_output=True, timeout=300)
    out: list[Path] = []
    for pdf in sorted(pdfs.glob("*.pdf")):
        prefix = tmp / f"{pdf.stem}-{dpi}"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(prefix)], check=True, timeout=300)
        for png in sorted(tmp.glob(f"{prefix.name}-*.png")):
            jpg = png.with_suffix(".jpg")
            Image.open(png).save(jpg, quality=50)
            png.unlink()
            out.append(jpg)
    return out[:pages]


def floor_pages_per_s(images: list[Path]) -> float:
    import numpy as np

    from pipeline.extract.ocr import get_engine

    engine = get_engine()
    engine(np.asarray(Image.open(images[0]).convert("RGB")))  # warm-up
    started = time.perf_counter()
    for img in images[1:]:
        engine(np.asarray(Image.open(img).convert("RGB")))
    return (len(images) - 1) / (time.perf_counter() - started)


def pipeline_pages_per_s(images: list[Path], tmp: Path, dpi: int) -> float:
    from pipeline.config import load_rules
    from pipeline.extract import extract_file

    rules = load_rules()
    warm = tmp / f"warm-{dpi}.pdf"
    Image.open(images[0]).save(warm, resolution=dpi)
    extract_file(warm, warm.name, rules)
    scan = tmp / f"scan-{dpi}.pdf"
    frames = [Image.open(p) for p in images[1:]]
    frames[0].save(scan, save_all=True, append_images=frames[1:], resolution=dpi)
    started = time.perf_counter()
    res = extract_file(scan, scan.name, rules)
    seconds = time.perf_counter() - started
    assert res.source.ocr and res.source.pages == len(frames), res.problems
    return len(frames) / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dpi", type=int, nargs="+", default=[150, 200, 300])
    parser.add_argument("--pages", type=int, default=5, help="pages per dpi, the first one a warm-up")
    args = parser.parse_args(argv)
    print("| scan dpi | pages timed | floor: rapidocr pages/s | pipeline pages/s | pipeline/floor (time) |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as name:
        tmp = Path(name)
        for dpi in args.dpi:
            images = render(tmp, dpi, args.pages)
            floor = floor_pages_per_s(images)
            pipe = pipeline_pages_per_s(images, tmp, dpi)
            print(f"| {dpi} | {len(images) - 1} | {floor:.3f} | {pipe:.3f} | {floor / pipe:.2f}× |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
