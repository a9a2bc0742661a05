"""Time the segmentation of every sample narrative block, as coverage cuts them (one HAN_BLOCK run at a
time), through jieba's public `Tokenizer.tokenize` (HMM off).

Prints the figures of one run: `segment` (Token objects) and `block_cuts` (offsets only, what
coverage uses) cut all blocks in turns, about two seconds each; the fastest pass counts. Usage: .venv/bin/python benchmarks/bench_segment.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import load_rules  # noqa: E402
from pipeline.validate.coverage import SectionText, rules_tokenizer  # noqa: E402
from pipeline.validate.segment import HAN_BLOCK, block_cuts, segment  # noqa: E402


def blocks(tk) -> list[str]:
    samples = json.loads((ROOT / "samples" / "expected.json").read_text("utf-8"))
    texts = [t for sub in samples["submissions"].values()
             for t in ((sub.get("fields") or {}).get("sections") or {}).values() if isinstance(t, str) and t]
    return [m.group() for t in texts for m in HAN_BLOCK.finditer(SectionText("k", t, tk).folded)]


def timed(fns: dict, tk, bs: list[str], seconds: float = 2.0) -> dict[str, float]:
    """Fastest pass over all blocks, in seconds, per variant; the variants take turns pass by pass
    for about `seconds` each, so a busy machine slows them alike and the minimum discounts it."""
    for fn in fns.values():  # warm-up
        for b in bs:
            fn(b, tk)
    best = {name: float("inf") for name in fns}
    spent = 0.0
    while spent < seconds * len(fns):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for b in bs:
                fn(b, tk)
            dt = time.perf_counter() - t0
            best[name] = min(best[name], dt)
            spent += dt
    return best


def main() -> None:
    tk = rules_tokenizer(load_rules())
    bs = blocks(tk)
    chars = sum(map(len, bs))
    t = timed({"segment": segment, "cuts": block_cuts}, tk, bs)
    print(f"{len(bs)} blocks, {chars} characters per pass")
    print(f"segment (Token objects):       {t['segment'] * 1e3:8.2f} ms/pass")
    print(f"block_cuts (offsets, coverage): {t['cuts'] * 1e3:7.2f} ms/pass")


if __name__ == "__main__":
    main()
