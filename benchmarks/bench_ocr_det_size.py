"""rapidocr's detection input size (`max_side_len`) against speed and what it reads, on scanned samples.

    python benchmarks/bench_ocr_det_size.py                       # 2000 (rapidocr's default), 1600, 1280
    python benchmarks/bench_ocr_det_size.py --sides 2000 1600 --rounds 3

Takes the first page of three scanned samples (samples/batch, made by samples/make_scan_samples.py),
renders and straightens it as the pipeline does (200 dpi, `ocr.straighten`), then reads the pages
with one rapidocr engine per setting (created through rapidocr's public constructor, the pipeline's
thread settings), interleaved, `--rounds` times. Prints pages/s and the mean similarity of the text
read to the text the first setting reads. A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PAGES = (
    ("上海临港重装智造有限公司-海上风电装备总装工厂元宇宙", "附件1-需求征集表（扫描件）.pdf"),
    ("上海静安声光演艺有限公司-苏河湾虚拟演艺沉浸剧场", "附件2-建设承诺书（盖章扫描件）.pdf"),
    ("上海金山石化智控科技有限公司-精细化工装置产线数字孪生", "附件1-需求征集表（扫描件）.pdf"),
)


def main(argv: list[str] | None = None) -> int:
    from rapidocr_onnxruntime import RapidOCR

    from pipeline.extract import ocr
    from pipeline.extract import pdf as pdf_mod

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sides", type=int, nargs="+", default=[2000, 1600, 1280])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    pages = []
    for sid, name in PAGES:
        img = pdf_mod._Renderer(REPO / "samples/batch" / sid / name).page_image(0, pdf_mod.OCR_DPI)  # noqa: SLF001
        pages.append(np.asarray(ocr.straighten(img.convert("RGB")).image))
    n = ocr.threads()
    engines = {m: RapidOCR(intra_op_num_threads=n, inter_op_num_threads=1, max_side_len=m) for m in args.sides}
    for engine in engines.values():
        engine(pages[0])  # warm-up
    ref: list[str] = []
    print("| round | max_side_len | pages/s | text similarity to the first setting |")
    print("|---:|---:|---:|---:|")
    for rnd in range(args.rounds):
        for side, engine in engines.items():
            started = time.perf_counter()
            texts = ["".join(item[1] for item in (engine(p)[0] or [])) for p in pages]
            seconds = time.perf_counter() - started
            if not ref:
                ref = texts
            same = np.mean([difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() for a, b in zip(ref, texts, strict=True)])
            print(f"| {rnd + 1} | {side} | {len(pages) / seconds:.3f} | {same:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
