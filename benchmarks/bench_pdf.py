"""PDF pages per second: the text path against a pdfplumber `extract_words` floor, and the OCR path.

    python benchmarks/bench_pdf.py [PDF or folder ...]   (default: every PDF of samples/batch)

Prints figures; it is not a timed test. The floor opens each file and calls `extract_words` on
every page, the least any pdfplumber-based reader does; the backend also finds tables, decodes
checkboxes, rebuilds paragraphs and checks pictures for seals. "fields" adds the shared field
logic (`extract_file`). Scanned files go through OCR, whose engine is loaded once beforehand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pdfplumber

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.config import load_rules  # noqa: E402
from pipeline.extract import ExtractOptions, extract_file, ocr  # noqa: E402
from pipeline.extract.pdf import read_pdf  # noqa: E402


def _pdfs(args: list[str]) -> list[Path]:
    roots = [Path(a) for a in args] or [REPO / "samples" / "batch"]
    found = []
    for root in roots:
        found += sorted(root.rglob("*.pdf")) if root.is_dir() else [root]
    return [p for p in found if p.read_bytes()[:1024].find(b"%PDF-") >= 0]


def _has_text(path: Path) -> bool | None:
    """True for a text PDF, False for a scan, None for a file pdfplumber cannot open."""
    try:
        with pdfplumber.open(path) as pdf:
            return any(page.chars for page in pdf.pages[:3])
    except Exception:  # noqa: BLE001 - encrypted or broken samples are not benchmarked
        return None


def _floor(paths: list[Path]) -> int:
    pages = 0
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_words()
                pages += 1
                page.close()
    return pages


def _backend(paths: list[Path], options: ExtractOptions) -> int:
    return sum(read_pdf(path, path.name, options).pages or 0 for path in paths)


def _fields(paths: list[Path], rules, options: ExtractOptions) -> int:
    return sum(extract_file(path, path.name, rules, options).source.pages or 0 for path in paths)


def _rate(label: str, fn, rounds: int) -> float:
    best = None
    pages = 0
    for _ in range(rounds):
        started = time.perf_counter()
        pages = fn()
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    rate = pages / best if best else 0.0
    print(f"  {label:34s} {pages:4d} pages  {best:7.2f} s  {rate:7.1f} pages/s")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--rounds", type=int, default=3, help="text path: best of this many runs")
    args = ap.parse_args()
    rules = load_rules()
    options = ExtractOptions(
        seal=(rules.raw["seal"]["min_red_ratio"], rules.raw["seal"]["min_size_px"]),
        seal_labels=tuple(rules.raw["seal"].get("near_labels", ())),
    )
    kinds = {p: _has_text(p) for p in _pdfs(args.paths)}
    text = [p for p, k in kinds.items() if k]
    scans = [p for p, k in kinds.items() if k is False]
    print(f"{len(text)} text PDFs, {len(scans)} scanned PDFs")
    if text:
        print("text path")
        floor = _rate("floor: pdfplumber extract_words", lambda: _floor(text), args.rounds)
        backend = _rate("PDF backend (read_pdf)", lambda: _backend(text, options), args.rounds)
        _rate("backend + field logic (extract_file)", lambda: _fields(text, rules, options), args.rounds)
        if floor:
            print(f"  backend speed = {backend / floor:.0%} of the floor")
    if scans:
        print("OCR path")
        started = time.perf_counter()
        available = ocr.engine_available()
        print(
            f"  engine load                          {time.perf_counter() - started:7.2f} s ({'ok' if available else 'not installed'})"
        )
        if available:
            _rate("PDF backend with OCR (read_pdf)", lambda: _backend(scans, options), 1)


if __name__ == "__main__":
    main()
