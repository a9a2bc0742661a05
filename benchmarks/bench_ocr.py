"""OCR throughput on the same page images: raw rapidocr (the floor) against the pipeline.

    python benchmarks/bench_ocr.py                 # two letters and a form, 150/200/300 dpi, 1 thread
    python benchmarks/bench_ocr.py --dpi 200 --threads 2

Renders committed sample documents (LibreOffice → PDF → pdftoppm) at each dpi, as grey JPEG
(quality 50) pages: two commitment letters (one page each) and a form (its pages). Then, in this
process, after one warm-up page, for the letter pages and the form pages apart:

- floor: rapidocr's engine, created as the pipeline creates it (same threads), called with its
  defaults on each page image as decoded from the JPEG (detection on the page reduced to 2000
  pixels a side): pages/s;
- engine as driven: the same engine as the pipeline drives it (`ocr._read`: detection on a copy
  `ocr.DET_SIDE` pixels a side, lines cut from the page at full resolution): pages/s;
- pipeline: `extract_file` on an image-only PDF of those pages (render, straighten, OCR, layout,
  checkboxes, seal, fields): pages/s, and its time over the floor's.

`--threads` is the engine's thread count (PIPELINE_THREADS); a run gives each worker its share of
the cores, so the default, 1, gives the figures per core. A script that prints figures, not a
test: the numbers depend on the machine and its load; quote ratios from one run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LETTERS = (
    REPO / "samples/batch/上海臻图智造科技有限公司-白车身焊装产线数字孪生/附件2-建设承诺书.docx",
    REPO / "samples/batch/上海幻境互娱文化传媒有限公司-沉浸式互动影视内容创作平台/附件2-建设承诺书.docx",
)
FORM = REPO / "samples/batch/上海臻图智造科技有限公司-白车身焊装产线数字孪生/附件1-需求征集表.docx"


def render(tmp: Path, dpi: int) -> dict[str, list[Path]]:
    """The sources' pages as grey JPEG scans at `dpi`: {"letter": [...], "form": [...]}."""
    pages: dict[str, list[Path]] = {}
    for kind, sources in (("letter", LETTERS), ("form", (FORM,))):
        pdfs = tmp / kind
        pdfs.mkdir(exist_ok=True)
        if not any(pdfs.iterdir()):
            for i, src in enumerate(sources):  # the letters share a name: one folder each
                one = pdfs / str(i)
                subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile",
                                "--convert-to", "pdf", "--outdir", str(one), str(src)],
                               check=True, capture_output=True, timeout=300)
        out: list[Path] = []
        for pdf in sorted(pdfs.glob("*/*.pdf")):
            prefix = tmp / f"{kind}-{pdf.parent.name}-{dpi}"
            subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(prefix)], check=True, timeout=300)
            for png in sorted(tmp.glob(f"{prefix.name}-*.png")):
                jpg = png.with_suffix(".jpg")
                Image.open(png).save(jpg, quality=50)
                png.unlink()
                out.append(jpg)
        pages[kind] = out
    return pages


def engine_pages_per_s(images: list[Path], driven: bool) -> float:
    """rapidocr on each page: called with its defaults (the floor), or as the pipeline drives it."""
    import numpy as np

    from pipeline.extract import ocr

    engine = ocr.get_engine()
    arrays = [np.asarray(Image.open(img).convert("RGB")) for img in images]
    started = time.perf_counter()
    for arr in arrays:
        ocr._read(engine, arr) if driven else engine(arr, return_word_box=True)  # noqa: SLF001
    return len(arrays) / (time.perf_counter() - started)


def pipeline_pages_per_s(images: list[Path], tmp: Path, name: str, dpi: int) -> float:
    from pipeline.config import load_rules
    from pipeline.extract import extract_file

    rules = load_rules()
    scan = tmp / f"{name}-{dpi}.pdf"
    frames = [Image.open(p) for p in images]
    frames[0].save(scan, save_all=True, append_images=frames[1:], resolution=dpi)
    started = time.perf_counter()
    res = extract_file(scan, scan.name, rules)
    seconds = time.perf_counter() - started
    assert res.source.ocr and res.source.pages == len(frames), res.problems
    return len(frames) / seconds


def warm_up(image: Path, tmp: Path, dpi: int) -> None:
    """Models loaded and run once, the pipeline's imports done."""
    engine_pages_per_s([image], True)
    pipeline_pages_per_s([image], tmp, "warm", dpi)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dpi", type=int, nargs="+", default=[150, 200, 300])
    parser.add_argument("--threads", type=int, default=1, help="the OCR engine's threads (1: figures per core)")
    args = parser.parse_args(argv)
    os.environ["PIPELINE_THREADS"] = str(args.threads)
    print(f"# bench_ocr: threads={args.threads} cores={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    print("| scan dpi | pages | floor: rapidocr's defaults, pages/s | engine as the pipeline drives it, pages/s "
          "| pipeline, pages/s | pipeline/floor (time) |")
    print("|---:|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as name:
        tmp = Path(name)
        for dpi in args.dpi:
            pages = render(tmp, dpi)
            warm_up(pages["form"][-1], tmp, dpi)
            for kind, images in pages.items():
                floor = engine_pages_per_s(images, False)
                driven = engine_pages_per_s(images, True)
                pipe = pipeline_pages_per_s(images, tmp, kind, dpi)
                print(f"| {dpi} | {len(images)} {'letters' if kind == 'letter' else 'form pages'} | {floor:.3f} | "
                      f"{driven:.3f} | {pipe:.3f} | {floor / pipe:.2f}× |", flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
