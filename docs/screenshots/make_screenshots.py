"""Regenerate the README screenshots: `python docs/screenshots/make_screenshots.py [BATCH]`.

Runs the pipeline on BATCH (default samples/batch) into a temporary folder, opens index.html and
one report in headless Chromium from disk, and saves small palette PNGs next to this script.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def save_small(png: bytes, path: Path) -> None:
    """Flat UI screenshots compress well as 128-colour palette PNGs."""
    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    img.save(path, optimize=True)


def pick_report(subs: list[dict]) -> dict:
    """A report that shows most features: a form and a letter, a few findings of mixed severity."""
    def score(s: dict) -> tuple:
        sev = {f["severity"] for f in s["findings"]}
        return (bool(s["fields"].get("scenario_name")), bool(s["fields"].get("letter_clauses")),
                len(sev), 0 < len(s["findings"]) <= 5, -len(s["findings"]))
    return max(subs, key=score)


def main(batch: Path) -> None:
    sys.path.insert(0, str(REPO))
    from pipeline.config import load_rules
    from pipeline.engine import RunOptions, run_batch
    from pipeline.report import write_outputs
    from pipeline.report.html import report_files

    rules = load_rules()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        write_outputs(run_batch(batch, rules, RunOptions(workers=2)), out, rules)
        data = json.loads((out / "results.json").read_text("utf-8"))
        sub = pick_report(data["submissions"])
        name = report_files(data["submissions"])[sub["submission_id"]]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.goto((out / "index.html").as_uri())
            save_small(page.screenshot(), HERE / "index.png")
            page.goto((out / "reports" / name).as_uri())
            save_small(page.screenshot(), HERE / "report.png")
            browser.close()
    print(f"index.png, report.png ← {batch} (report: {sub['submission_id']})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "samples" / "batch")
