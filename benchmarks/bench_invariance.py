"""Layout invariance of the sample forms (issue #17 item 2): per transform, the share of fields equal
to the original's over all sample forms, and the findings that differ, as a markdown table.

    python benchmarks/bench_invariance.py                 # build the variants in a temp folder
    python benchmarks/bench_invariance.py --keep DIR      # build into DIR, or reuse the variants there
    python benchmarks/bench_invariance.py --details       # also every differing field and finding

The transforms are tests/invariance/transforms.py, the comparison tests/invariance/compare.py (the
same as tests/test_invariance.py uses).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import load_rules  # noqa: E402
from tests.invariance.compare import check_file, compare  # noqa: E402
from tests.invariance.forms import build_all, locate, sample_forms  # noqa: E402
from tests.invariance.transforms import DESCRIPTIONS, TRANSFORMS  # noqa: E402


def _variants(forms, sources, keep: Path | None, tmp: Path) -> dict:
    if keep is None:
        return build_all(forms, sources, tmp / "variants")
    index = keep / "index.tsv"  # submission id, path, transform, variant: reused when all still exist
    number = {(sid, path): n for n, (sid, path, _fmt) in enumerate(forms)}
    if index.exists():
        out = {}
        for line in index.read_text("utf-8").splitlines():
            sid, path, tid, variant = line.split("\t")
            if (sid, path) in number:
                out[(number[(sid, path)], tid)] = Path(variant)
        if {n for n, _ in out} == set(number.values()) and all(p.exists() for p in out.values()):
            return out
    out = build_all(forms, sources, keep)
    index.write_text("".join(f"{forms[n][0]}\t{forms[n][1]}\t{tid}\t{p}\n" for (n, tid), p in sorted(out.items())),
                     "utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="folder to build the variants into, or reuse them from")
    parser.add_argument("--details", action="store_true", help="print every differing field and finding")
    args = parser.parse_args(argv)

    rules = load_rules()
    forms = sample_forms()
    with tempfile.TemporaryDirectory(prefix="bench-invariance-") as tmp:
        started = time.perf_counter()
        sources = locate(forms, rules, Path(tmp) / "unzipped")
        variants = _variants(forms, sources, args.keep, Path(tmp))
        built = time.perf_counter() - started
        originals = {n: check_file(sources[n], rules) for n in {n for n, _ in variants}}
        per: dict[str, list] = defaultdict(list)
        for (n, tid), path in sorted(variants.items(), key=lambda kv: (list(TRANSFORMS).index(kv[0][1]), kv[0][0])):
            per[tid].append((n, compare(originals[n], check_file(path, rules), tid)))
        read = time.perf_counter() - started - built

    print(f"{len(forms)} sample forms; variants built in {built:.0f} s, all read and compared in {read:.0f} s\n")
    print("| transform | what it does | forms | fields equal | forms identical | findings that differ |")
    print("|---|---|---:|---:|---:|---|")
    for tid in TRANSFORMS:
        results = per.get(tid, [])
        if not results:
            continue
        total = sum(c.total for _, c in results)
        equal = sum(c.equal for _, c in results)
        same = sum(1 for _, c in results if c.same)
        diff = Counter()
        for _, c in results:
            diff.update(f"−{k[0]}" for k in c.only_original)
            diff.update(f"+{k[0]}" for k in c.only_variant)
        findings = ", ".join(f"{k} ×{v}" for k, v in sorted(diff.items())) or "—"
        print(f"| {tid} | {DESCRIPTIONS[tid]} | {len(results)} | {equal / total:.1%} ({equal}/{total}) "
              f"| {same}/{len(results)} | {findings} |")
    print("\n(−RULE: a finding of the original the variant lost; +RULE: one the variant gained.)")
    if args.details:
        for tid in TRANSFORMS:
            for n, c in per.get(tid, []):
                if not c.same:
                    sid, path, _fmt = forms[n]
                    print(f"\n### {tid} · form{n:02d} {sid} / {path}\n")
                    print(c.report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
