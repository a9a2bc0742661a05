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
from .notices import FOLDER as NOTICES
from .notices import (
    NOTICE_KIND,
    NoticePlan,
    plan_notices,
    render_notice,
    render_notice_plans,
    write_notice_plans,
)
from .pages import PagePlan, PageStore, plan_pages, render_plans, report_digest, write_pages
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


# Below this much work (in pages), sending work to other processes costs more than it saves.
OFFLOAD_MIN_PAGES = 40
PAGES_PER_TASK = 25
# What other work costs, in pages (one page ≈ 2.5 ms): a correction notice (python-docx, ≈ 15 ms),
# starting an output process, and the workbook (made by the parent) per submission row. Used to
# give the parent and the output processes equal shares.
NOTICE_PAGES = 6
STARTUP_PAGES = 150
XLSX_PAGES_PER_ROW = 0.4


def make_output_worker(rules: Rules) -> Callable[[tuple], Any]:
    """Worker factory (pipeline.workers) for making pages and notices in other processes:
    (folder, run, [(sid, page name or None, notice name or None, results.json line)]) →
    [(sid, page made, notice made)], each written under folder/reports or folder/notices. Lines
    in and flags out: neither the records nor the files travel through the pipes."""
    def handle(arg: tuple) -> list[tuple[str, bool, bool]]:
        folder, run, subs = arg
        done = []
        for sid, page_name, notice_name, line in subs:
            sub = json.loads(line)
            if page_name:
                (Path(folder) / "reports" / page_name).write_bytes(render_report(sub, rules, run).encode("utf-8"))
            if notice_name:
                (Path(folder) / NOTICES / notice_name).write_bytes(render_notice(sub, rules, run))
            done.append((sid, bool(page_name), bool(notice_name)))
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
                  staged: bool = False, offload: PageOffload | None = None, notices: bool = False,
                  ) -> dict[str, Path]:
    """Write results.json, expectations.json, consolidated.xlsx, index.html and reports/ (and with
    `notices`, notices/: a correction notice per submission to correct); pages and notices come
    from `prepared` or the run's cache where what they are made from is unchanged, and are rendered
    otherwise.

    `offload` renders a share of the pages and notices while this process makes the workbook and
    renders the rest, when there is enough to render; whatever it fails to make is made here.
    """
    prepared = prepared or Prepared()
    store = prepared.store
    cache = store.cache if store is not None else None
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"results": out_dir / "results.json"}
    data = results_json(result, prepared.records)
    lines = {sid: o.line for sid, o in prepared.records.items()}
    atomic_write_bytes(paths["results"], results_bytes(data, [lines.get(s.submission_id) for s in result.submissions]))
    paths["expectations"] = out_dir / "expectations.json"
    atomic_write_bytes(paths["expectations"], json.dumps(result.expectations or {}, ensure_ascii=False, indent=1).encode("utf-8"))
    run = data.get("run") or {}
    plans = plan_pages(data, rules, store, prepared.pages, {sid: o.digest for sid, o in prepared.records.items()})
    notice_plans = plan_notices(data, rules, cache) if notices else []
    handle, theirs = None, set()
    if offload is not None and staged:
        handle, theirs = _offload(plans, notice_plans, lines, run, out_dir, offload)
    paths["xlsx"] = write_xlsx(data, out_dir, rules)
    render_plans([p for p in plans if p.sid not in theirs], rules, run, store)
    render_notice_plans([p for p in notice_plans if p.sid not in theirs], rules, run, cache)
    if handle is not None:
        by_sid = {p.sid: p for p in plans}
        notice_by_sid = {p.sid: p for p in notice_plans}
        for value in handle.results().values():
            for sid, page, notice in value or []:
                if page:
                    plan = by_sid[sid]
                    plan.written = True
                    if store is not None:  # kept for the next run, like the pages made here
                        store.put(plan.digest, (out_dir / "reports" / plan.name).read_bytes())
                if notice:
                    nplan = notice_by_sid[sid]
                    nplan.written = True
                    if cache is not None:
                        cache.put_value(NOTICE_KIND, nplan.key, (out_dir / NOTICES / nplan.name).read_bytes())
        render_plans(plans, rules, run, store)  # what the others did not make
        render_notice_plans(notice_plans, rules, run, cache)
    paths.update(write_pages(plans, data, out_dir, rules, staged))
    if notices:
        paths["notices"] = write_notice_plans(notice_plans, out_dir)
    write_assets(result.submissions, out_dir)
    return paths


def _offload(plans: list[PagePlan], notice_plans: list[NoticePlan], lines: dict[str, str], run: dict[str, Any],
             out_dir: Path, offload: PageOffload) -> tuple[PageJobs | None, set[str]]:
    """Start the output processes on their share of the pages and notices still to render, when
    there is enough of it: (their jobs, the ids of the submissions given to them)."""
    pages = {p.sid for p in plans if p.page is None}
    notice_names = {p.sid: p.name for p in notice_plans if p.doc is None}
    sids = [p.sid for p in plans if p.sid in pages or p.sid in notice_names]
    cost = {sid: (sid in pages) + NOTICE_PAGES * (sid in notice_names) for sid in sids}
    total = sum(cost.values())
    if total < OFFLOAD_MIN_PAGES:
        return None, set()
    # In pages: this process makes the workbook, each other one starts up (unless already running);
    # each of the size + 1 gets an equal part of the whole. They write straight into the (private,
    # staged) reports and notices folders.
    workbook = XLSX_PAGES_PER_ROW * len(plans)
    startup = 0 if offload.ready else STARTUP_PAGES
    part = (total + workbook + offload.size * startup) / (offload.size + 1)
    if part <= startup:  # starting processes would cost more than making it all here
        return None, set()
    mine, i = part - workbook, 0
    while i < len(sids) and mine > cost[sids[i]] / 2:  # the parent's share: the first ones, rounded
        mine -= cost[sids[i]]
        i += 1
    theirs = sids[i:]
    if not theirs:
        return None, set()
    (out_dir / "reports").mkdir(exist_ok=True)
    (out_dir / NOTICES).mkdir(exist_ok=True)
    by_sid = {p.sid: p for p in plans}
    tasks: list[tuple[Hashable, Any]] = []
    chunk: list[tuple[str, str | None, str | None, str]] = []
    weight = 0
    for n, sid in enumerate(theirs, 1):
        plan = by_sid[sid]
        chunk.append((sid, plan.name if sid in pages else None, notice_names.get(sid),
                      lines.get(sid) or json.dumps(plan.sub, ensure_ascii=False)))
        weight += cost[sid]
        if weight >= PAGES_PER_TASK or n == len(theirs):
            tasks.append((len(tasks), (str(out_dir), run, chunk)))
            chunk, weight = [], 0
    return offload.start(tasks), set(theirs)
