"""Per-submission pages: which can be taken as already made, which must be rendered, and writing them.

A submission's page depends only on its results record, the rules, the run's versions and this
code (templates included): `report_digest` hashes exactly that. A page made while files were still
being read is used when its digest still holds at the end; with a cache, a page made by an earlier
run from the same digest is taken from the cache (`PageStore`, kind "page" of `ResultCache`), so a
re-run renders only the pages whose submissions changed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from ..cache import ResultCache, code_fingerprint
from ..config import Rules
from .html import _report_run_view, provisional_report_file, render_report, report_files
from .index import build_index_view, render_index_view


@functools.cache
def report_code() -> str:
    """The pipeline's code fingerprint plus the templates and static files pages are made from."""
    h = hashlib.sha256(code_fingerprint().encode())
    root = resources.files("pipeline.report")
    for folder in ("templates", "static"):
        for entry in sorted((root / folder).iterdir(), key=lambda e: e.name):
            if entry.is_file():
                h.update(f"{folder}/{entry.name}\0".encode() + entry.read_bytes() + b"\0")
    return h.hexdigest()


def report_digest(sub: dict[str, Any], rules: Rules, run: dict[str, Any], name: str) -> str:
    """A hash of everything a submission's page is rendered from."""
    data = json.dumps([report_code(), rules.sha256, name, _report_run_view(run), sub],
                      ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class PageStore:
    """Rendered pages by digest, in the run's cache; without a cache it holds nothing."""

    KIND = "page"

    def __init__(self, cache: ResultCache | None):
        self.cache = cache
        self.hits = 0

    def get(self, digest: str) -> bytes | None:
        page = self.cache.get_value(self.KIND, digest) if self.cache is not None and digest else None
        if not isinstance(page, bytes):
            return None
        self.hits += 1
        return page

    def put(self, digest: str, page: bytes) -> None:
        if self.cache is not None and digest:
            self.cache.put_value(self.KIND, digest, page)


def page_ahead(sub: dict[str, Any], rules: Rules, run: dict[str, Any], store: PageStore | None = None,
               ) -> tuple[str, bytes]:
    """A submission's page made before the batch is complete, under the name it gets when no other id
    collides with it: (digest, page). `write_pages` uses it if the digest still holds at the end
    (batch-level findings or a renamed page change it, and the page is then made again)."""
    name = provisional_report_file(str(sub.get("submission_id", "")))
    digest = report_digest(sub, rules, run, name)
    page = store.get(digest) if store is not None else None
    if page is None:
        page = render_report(sub, rules, run).encode("utf-8")
        if store is not None:
            store.put(digest, page)
    return digest, page


@dataclass
class PagePlan:
    """One submission's page: where it goes, the digest of what it is made from (when needed), and
    the page itself once it is known (made ahead, taken from the store, or rendered)."""

    sid: str
    name: str
    sub: dict[str, Any]
    digest: str = ""
    page: bytes | None = None
    written: bool = False  # already in the reports folder (an output process wrote it)


def plan_pages(data: dict[str, Any], rules: Rules, store: PageStore | None = None,
               ahead: dict[str, tuple[str, bytes]] | None = None,
               digests: dict[str, str | None] | None = None) -> list[PagePlan]:
    """Every submission's page, taken from `ahead` (pages made while files were read: submission id →
    (digest, page)) or the store where the digest still holds; `page` is None where it must be
    rendered. The digest is computed only where something is compared or stored with it."""
    subs = data.get("submissions") or []
    names = report_files(subs)
    run = data.get("run") or {}
    keep = store is not None and store.cache is not None
    plans = []
    for s in subs:
        sid = str(s.get("submission_id", ""))
        plan = PagePlan(sid, names[sid], s)
        made = (ahead or {}).get(sid)
        if keep or made is not None:
            plan.digest = (digests or {}).get(sid) or report_digest(s, rules, run, plan.name)
        if made is not None and made[0] == plan.digest:
            plan.page = made[1]
        elif keep:
            plan.page = store.get(plan.digest)
        plans.append(plan)
    return plans


def render_plans(plans: list[PagePlan], rules: Rules, run: dict[str, Any], store: PageStore | None = None) -> None:
    for plan in plans:
        if plan.page is None and not plan.written:
            plan.page = render_report(plan.sub, rules, run).encode("utf-8")
            if store is not None:
                store.put(plan.digest, plan.page)


def write_pages(plans: list[PagePlan], data: dict[str, Any], out_dir: Path, rules: Rules, staged: bool = False,
                index_view: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write reports/<page> for every (rendered) plan and index.html (from `index_view` when the
    caller already made it). `staged`: `out_dir` is a private staging folder published as a whole,
    so pages are written directly rather than each through a temp file and a rename."""
    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for plan in plans:
        if plan.written:
            continue
        assert plan.page is not None
        dest = reports / plan.name
        if staged:
            dest.write_bytes(plan.page)
        else:
            atomic_write_bytes(dest, plan.page)
    index = out_dir / "index.html"
    if index_view is None:
        index_view = build_index_view(data, rules, {p.sid: p.name for p in plans})
    atomic_write_bytes(index, render_index_view(index_view).encode("utf-8"))
    return {"index": index, "reports": reports}


def write_html(data: dict[str, Any], out_dir: Path, rules: Rules, ahead: dict[str, tuple[str, bytes]] | None = None,
               staged: bool = False) -> dict[str, Path]:
    """Write reports/<id>.html for each submission and index.html for the batch, all in this process."""
    plans = plan_pages(data, rules, None, ahead)
    render_plans(plans, rules, data.get("run") or {})
    return write_pages(plans, data, out_dir, rules, staged)
