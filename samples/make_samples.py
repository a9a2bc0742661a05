"""Generate the sample batch for the 2023 Shanghai metaverse scenario call.

    python samples/make_samples.py                       # templates, batch/ and expected.json
    python samples/make_samples.py --expected-only PATH  # only expected.json (no LibreOffice)
    python samples/make_layout_samples.py                # only the paragraph-layout submissions
    python samples/make_scan_samples.py                  # only the scanned submissions

The data (units, codes, people, narratives, planted defects) is deterministic; the binary files
may differ between runs (timestamps, zip and PDF internals), expected.json does not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen import catalogue, expected, selfcheck  # noqa: E402


def build_expected() -> tuple[list, str]:
    subs = catalogue.submissions()
    selfcheck.check(subs)
    return subs, expected.dumps(expected.expected_document(subs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--expected-only", metavar="PATH", type=Path, help="write only expected.json to PATH")
    parser.add_argument(
        "--out", type=Path, default=HERE, help="folder for templates/, batch/ and expected.json"
    )
    args = parser.parse_args(argv)

    subs, text = build_expected()
    if args.expected_only:
        args.expected_only.parent.mkdir(parents=True, exist_ok=True)
        args.expected_only.write_text(text, encoding="utf-8")
        return 0

    import make_layout_samples as layouts  # paragraph-layout forms, made with tests/invariance
    import make_scan_samples as scans  # printed, stamped and scanned submissions
    from gen.batch import BatchWriter  # needs LibreOffice and poppler; not for --expected-only

    writer = BatchWriter(args.out / "batch", catalogue.SEED)
    writer.templates(args.out / "templates")
    writer.write([s for s in subs if not (layouts.is_layout(s) or scans.is_scan(s))])
    layouts.write(subs, args.out / "batch")
    scans.write(subs, args.out / "batch")
    (args.out / "expected.json").write_text(text, encoding="utf-8")
    print(f"{len(subs)} submissions written to {args.out / 'batch'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
