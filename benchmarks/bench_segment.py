"""Time jieba's HMM-off cut against the fused fast path on every sample narrative block.

Prints the figures of one run: each variant cuts all blocks (as coverage does, one HAN_BLOCK run at
a time) in turns, about two seconds each; the fastest pass counts. Usage: .venv/bin/python benchmarks/bench_segment.py
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
from pipeline.validate.segment import HAN_BLOCK, Token, block_cuts, segment  # noqa: E402


def blocks(tk) -> list[str]:
    samples = json.loads((ROOT / "samples" / "expected.json").read_text("utf-8"))
    texts = [t for sub in samples["submissions"].values()
             for t in ((sub.get("fields") or {}).get("sections") or {}).values() if isinstance(t, str) and t]
    return [m.group() for t in texts for m in HAN_BLOCK.finditer(SectionText("k", t, tk).folded)]


def jieba_segment(text: str, tk) -> list[Token]:
    """`segment` as it was: straight through jieba."""
    return [Token(w, s, e) for w, s, e in tk.tokenize(text, HMM=False) if w.strip()]


def timed(fns: dict, tk, bs: list[str], seconds: float = 2.0) -> dict[str, float]:
    """Fastest pass over all blocks, in seconds, per variant; the variants take turns pass by pass
    for about `seconds` each, so a busy machine slows them alike and the minimum discounts it."""
    for fn in fns.values():  # warm-up (fills the log-probability memo)
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
    t = timed({"old": jieba_segment, "new": segment, "cuts": block_cuts}, tk, bs)
    old, new, cuts = t["old"], t["new"], t["cuts"]
    print(f"{len(bs)} blocks, {chars} characters per pass")
    print(f"jieba tokenize (old segment): {old * 1e3:8.2f} ms/pass")
    print(f"segment (fast path):          {new * 1e3:8.2f} ms/pass   x{old / new:.2f}")
    print(f"block_cuts (no Token objects): {cuts * 1e3:7.2f} ms/pass   x{old / cuts:.2f}")


if __name__ == "__main__":
    main()
