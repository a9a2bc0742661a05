"""Reports: every output renders from the same `BatchResult`, written atomically into OUT.

results.json and expectations.json here, consolidated.xlsx in `report.xlsx`, the pages in
`report.pages` / `report.html`, index.html in `report.index`. What a run made on its way (each
submission's record, pages made while files were read) comes in as `Prepared`, beside the results.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..atomic import atomic_write_bytes
from ..cache import ResultCache
from ..config import Rules
from ..model import BatchResult, Submission, field_names, to_jsonable
from .html import render_report, report_files
from .pages import PageStore, plan_pages, render_plans, report_digest, write_pages
from .xlsx import write_xlsx

# Inputs of validation that are not part of the results contract.
_INTERNAL = {"documents", "file_problems"}


ASSETS = "reports/assets"  # seal crops and other images, as files beside the reports


def asset_name(png_b64: str) -> str:
    """The file name of an image under OUT/reports/assets: named by its content, so the same crop
    is one file and a record's path never depends on the run."""
    return hashlib.sha256("".join(png_b64.split()).encode("ascii")).hexdigest()[:32] + ".png"


def submission_json(sub: Submission) -> dict[str, Any]:
    record = {name: to_jsonable(getattr(sub, name)) for name in field_names(Submission) if name not in _INTERNAL}
    for img in record.get("images") or []:
        # The crop is written to OUT/reports/assets (write_assets); the record names its path.
        b64 = img.pop("crop_png_b64", None) if isinstance(img, dict) else None
        if isinstance(b64, str) and b64:
            img["crop_path"] = f"{ASSETS}/{asset_name(b64)}"
    return record


def write_assets(subs: list[Submission], out_dir: Path) -> int:
    """Write every submission's image crops to OUT/reports/assets/<name>.png; returns how many."""
    folder = out_dir / ASSETS
    written = 0
    for sub in subs:
        for img in sub.images:
            b64 = getattr(img, "crop_png_b64", None)
            if not b64:
                continue
            dest = folder / asset_name(b64)
            if dest.exists():
                continue
            try:
                data = base64.b64decode("".join(b64.split()), validate=True)
            except (binascii.Error, ValueError):
                continue
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(dest, data)
            written += 1
    return written


@dataclass
class SubmissionOutput:
    """One submission as the outputs show it: its results.json record and line, and its page's
    name and the digest of what the page is rendered from."""

    data: dict[str, Any]
    line: str
    page: str
    digest: str | None  # None: not needed without a cache (made later if a page made ahead is compared)


@dataclass
class Prepared:
    """Outputs a run made on its way, for the writer to use: each submission's record (by id), made
    from the submissions as the run returned them, and pages made while files were read (id →
    (digest of what the page was made from, page)), used where the digest still holds."""

    records: dict[str, SubmissionOutput] = field(default_factory=dict)
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    store: PageStore | None = None  # pages of earlier runs, by digest (the run's cache)


def submission_outputs(subs: list[Submission], rules: Rules, run: dict[str, Any], cache: ResultCache | None = None,
                       keys: dict[str, str | None] | None = None, only: set[str] | None = None,
                       ) -> dict[str, SubmissionOutput]:
    """Every submission's output record (or those whose ids are in `only`), by id. With a `cache`
    (get_value/put_value) and `keys` (a hash of each submission's final state, from the engine),
    unchanged submissions are read back instead of converted, serialised and hashed again."""
    names = report_files([{"submission_id": s.submission_id} for s in subs])  # page names: the whole batch's
    out: dict[str, SubmissionOutput] = {}
    for s in subs:
        if only is not None and s.submission_id not in only:
            continue
        name = names[s.submission_id]
        key = (keys or {}).get(s.submission_id)
        key = hashlib.sha256(f"{key}\0{name}".encode()).hexdigest() if key and cache is not None else None
        stored = cache.get_value("output", key) if key else None
        if isinstance(stored, dict) and isinstance(stored.get("line"), str):
            out[s.submission_id] = SubmissionOutput(json.loads(stored["line"]), stored["line"], name, stored["digest"])
            continue
        data = submission_json(s)
        line = json.dumps(data, ensure_ascii=False)
        digest = report_digest(data, rules, run, name) if key else None
        out[s.submission_id] = SubmissionOutput(data, line, name, digest)
        if key:
            cache.put_value("output", key, {"line": line, "digest": digest})
    return out


def results_json(result: BatchResult, records: dict[str, SubmissionOutput] | None = None) -> dict[str, Any]:
    outputs = records or {}
    return {"run": result.run, "submissions": [outputs[s.submission_id].data if s.submission_id in outputs
                                               else submission_json(s) for s in result.submissions]}


def results_bytes(data: dict[str, Any], lines: list[str | None] | None = None) -> bytes:
    """results.json as UTF-8: the run, then one submission per line.

    Each piece goes through json's C encoder (indent=None); an indented dump runs the pure-Python
    encoder and took longer than everything else on a warm re-run. One line per submission still
    lets grep/diff work submission by submission; json.load, pandas and jq read it as before.
    """
    run = json.dumps(data["run"], ensure_ascii=False)
    lines = lines or [None] * len(data["submissions"])
    subs = ",\n".join(line if line is not None else json.dumps(s, ensure_ascii=False)
                       for s, line in zip(data["submissions"], lines, strict=True))
    return f'{{"run": {run},\n"submissions": [\n{subs}\n]}}\n'.encode()


# Below this many pages to render, sending work to other processes costs more than it saves.
OFFLOAD_MIN_PAGES = 40
PAGES_PER_TASK = 25
# What other work costs, in pages (one page ≈ 2.5 ms): starting an output process, and the
# workbook (made by the parent) per submission row. Used to give the parent and them equal shares.
STARTUP_PAGES = 150
XLSX_PAGES_PER_ROW = 0.4


def make_output_worker(rules: Rules) -> Callable[[tuple], Any]:
    """Worker factory (pipeline.workers) for making pages in other processes: (folder, run, [(sid,
    page name, results.json line)]) → [(sid, sha256)], each page written to folder/name. Lines in
    and hashes out: neither the records nor the pages travel through the pipes."""
    def handle(arg: tuple) -> list[tuple[str, str]]:
        folder, run, subs = arg
        done = []
        for sid, name, line in subs:
            page = render_report(json.loads(line), rules, run).encode("utf-8")
            (Path(folder) / name).write_bytes(page)
            done.append((sid, hashlib.sha256(page).hexdigest()))
        return done

    return handle


class PageJobs(Protocol):
    def results(self) -> dict[Hashable, Any]:
        """Wait for the tasks; {task key: its value, or None where it failed}."""


class PageOffload(Protocol):
    """Other processes that render a share of the pages (`publish.OutputProcesses`)."""

    size: int

    @property
    def ready(self) -> bool:
        """Already started: using them costs no start-up."""

    def start(self, tasks: list[tuple[Hashable, Any]]) -> PageJobs: ...


def write_outputs(result: BatchResult, out_dir: Path, rules: Rules, prepared: Prepared | None = None,
                  staged: bool = False, offload: PageOffload | None = None) -> dict[str, Path]:
    """Write results.json, expectations.json, consolidated.xlsx, index.html and reports/; pages come
    from `prepared` or `store` where what they are made from is unchanged, and are rendered otherwise.

    `offload` renders a share of the pages while this process makes the workbook and renders the
    rest, when there are enough pages to render; whatever it fails to make is made here.
    """
    prepared = prepared or Prepared()
    store = prepared.store
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results": out_dir / "results.json"}
    data = results_json(result, prepared.records)
    lines = {sid: o.line for sid, o in prepared.records.items()}
    atomic_write_bytes(paths["results"], results_bytes(data, [lines.get(s.submission_id) for s in result.submissions]))
    paths["expectations"] = out_dir / "expectations.json"
    atomic_write_bytes(paths["expectations"], json.dumps(result.expectations or {}, ensure_ascii=False, indent=1).encode("utf-8"))
    run = data.get("run") or {}
    plans = plan_pages(data, rules, store, prepared.pages, {sid: o.digest for sid, o in prepared.records.items()})
    todo = [p for p in plans if p.page is None]
    handle = None
    if offload is not None and staged and len(todo) >= OFFLOAD_MIN_PAGES:
        # In pages: this process makes the workbook, each other one starts up (unless already
        # running); each of the size + 1 gets an equal part of the whole. They write their pages
        # straight into the (private, staged) reports folder.
        workbook = XLSX_PAGES_PER_ROW * len(plans)
        startup = 0 if offload.ready else STARTUP_PAGES
        part = (len(todo) + workbook + offload.size * startup) / (offload.size + 1)
        if part > startup:  # else starting processes would cost more than making it all here
            mine = max(0, int(part - workbook))
            theirs, todo = todo[mine:], todo[:mine]
            reports = out_dir / "reports"
            reports.mkdir(exist_ok=True)
            tasks: list[tuple[Hashable, Any]] = []
            for i in range(0, len(theirs), PAGES_PER_TASK):
                chunk = theirs[i:i + PAGES_PER_TASK]
                tasks.append((i, (str(reports), run, [
                    (p.sid, p.name, lines.get(p.sid) or json.dumps(p.sub, ensure_ascii=False)) for p in chunk])))
            handle = offload.start(tasks)
    paths["xlsx"] = write_xlsx(data, out_dir, rules)
    render_plans(todo, rules, run, store)
    if handle is not None:
        by_sid = {p.sid: p for p in plans}
        for value in handle.results().values():
            for sid, _sha in value or []:
                plan = by_sid[sid]
                plan.written = True
                if store is not None:  # kept for the next run, like the pages made here
                    store.put(plan.digest, (out_dir / "reports" / plan.name).read_bytes())
        render_plans([p for p in plans if not p.written], rules, run, store)  # what the others did not make
    paths.update(write_pages(plans, data, out_dir, rules, staged))
    write_assets(result.submissions, out_dir)
    return paths
