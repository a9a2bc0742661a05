"""OCR settings against accuracy: pages/s per core and fields exact on the scanned samples.

    python benchmarks/bench_ocr_settings.py                       # detection sides 2000 1600 1280 1024
    python benchmarks/bench_ocr_settings.py --det-side 1280 --threads 1 2

Reads every page of the six scanned sample submissions (samples/make_scan_samples.py: forms and
letters at 150/200/300 dpi, skewed, turned, sealed, one phone photo) with `extract_file` in this
process, once per setting, the OCR page cache off, and prints per setting:

- pages/s, and pages/s per core (pages/s over the OCR threads given: the engine's threads are
  the worker's share of the cores in a run, so one thread per core is what a full run gets);
- the letter pages' and the form pages' own rates;
- fields exact against samples/expected.json, counted as tests/test_scan_samples.py counts them
  (the form's and the letter's fields; each narrative section, clause and joint unit apart), and
  which fields differ.

The settings: `ocr.DET_SIDE` (the longest side of the copy the text detector sees; the recogniser
always reads the page at full resolution) and the engine's thread count (`PIPELINE_THREADS`). A
script that prints figures, not a test: speeds depend on the machine and its load; quote figures
from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from sample_compare import SCAN_NAMES, scanned_sample  # noqa: E402
from test_scan_samples import _field_items, _flat, _lookup  # noqa: E402

from pipeline.assemble import merge_documents  # noqa: E402
from pipeline.config import load_rules  # noqa: E402
from pipeline.extract import extract_file, ocr  # noqa: E402

SAMPLES = REPO / "samples" / "batch"


def read_all(ids: list[str], rules) -> tuple[dict[str, dict], dict[str, float], dict[str, int]]:
    """Each submission's fields (form and letter merged), seconds and pages per kind."""
    fields: dict[str, dict] = {}
    seconds = {"form": 0.0, "letter": 0.0}
    pages = {"form": 0, "letter": 0}
    for sid in ids:
        docs = []
        for name in SCAN_NAMES:
            kind = "letter" if "承诺书" in name else "form"
            started = time.perf_counter()
            result = extract_file(SAMPLES / sid / name, name, rules)
            seconds[kind] += time.perf_counter() - started
            pages[kind] += result.source.pages or 0
            docs.extend((result.source, doc) for doc in result.documents)
        fields[sid] = merge_documents(docs)[0]  # as a run assembles them
    return fields, seconds, pages


def accuracy(ids: list[str], fields: dict[str, dict], expected: dict) -> tuple[int, int, list[str]]:
    exact = total = 0
    wrong = []
    for sid in ids:
        for key, want in _field_items(expected[sid]["fields"]):
            total += 1
            got = _lookup(fields[sid], key)
            if _flat(got) == _flat(want):
                exact += 1
            else:
                wrong.append(f"{sid[:12]}… [{key}] got {json.dumps(got, ensure_ascii=False)[:60]}")
    return exact, total, wrong


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--det-side", type=int, nargs="+", default=[2000, 1600, 1280, 1024])
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--only", default="", help="only the submissions whose id contains this")
    args = ap.parse_args()
    expected = json.loads((REPO / "samples" / "expected.json").read_text("utf-8"))["submissions"]
    ids = sorted(sid for sid, e in expected.items() if scanned_sample(e) and args.only in sid)
    if not ids:
        raise SystemExit("no scanned samples: run samples/make_scan_samples.py first")
    rules = load_rules()
    print(f"# bench_ocr_settings: {len(ids)} scanned submissions, cores={os.cpu_count()} "
          f"load={os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for threads in args.threads:
        os.environ["PIPELINE_THREADS"] = str(threads)
        ocr._engine = None  # noqa: SLF001 - a new engine with this many threads
        extract_file(SAMPLES / ids[0] / SCAN_NAMES[1], SCAN_NAMES[1], rules)  # models loaded, warmed up
        for side in args.det_side:
            ocr.DET_SIDE = side
            fields, seconds, pages = read_all(ids, rules)
            exact, total, wrong = accuracy(ids, fields, expected)
            n, s = sum(pages.values()), sum(seconds.values())
            row = (side, threads, n / s / threads, pages["letter"] / seconds["letter"] / threads,
                   pages["form"] / seconds["form"] / threads, exact, total)
            rows.append(row)
            print(f"det side {side}, {threads} thread(s): {n} pages in {s:.1f} s; {exact}/{total} exact", flush=True)
            for line in wrong:
                print("    " + line, flush=True)
    print()
    print("| detection side (px) | threads | pages/s per core, all / letters / forms | fields exact |")
    print("|---:|---:|---|---:|")
    for side, threads, all_, letters, forms, exact, total in rows:
        print(f"| {side} | {threads} | {all_:.3f} / {letters:.3f} / {forms:.3f} | {exact}/{total} = {exact / total:.1%} |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
