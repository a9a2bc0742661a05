"""The HTML outputs in headless Chromium, opened from disk (file://) with no network.

Checks the index filters and sorting, that a report's links work, that hostile applicant text is
inert, that no console error or network request occurs, and saves screenshots to tests/artifacts/
(the README's screenshots come from docs/screenshots/make_screenshots.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from pipeline.report.html import report_files

try:
    from .report_batch import HOSTILE_SCRIPT, report_run
except ImportError:
    from report_batch import HOSTILE_SCRIPT, report_run

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return report_run(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """Console errors, page errors, dialogs (alert) and every request a page makes."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: self.requests.append(r.url))

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.dialogs == []
        offsite = [u for u in self.requests if not u.startswith(("file://", "data:"))]
        assert offsite == []


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
    pg = context.new_page()
    pg.watch = Watch(pg)
    yield pg
    context.close()


def visible_ids(pg) -> list[str]:
    return pg.eval_on_selector_all("#subs tbody tr[data-status]:not([hidden])",
                                   "rows => rows.map(r => r.cells[0].querySelector('a').innerText)")


def test_index_filters_and_sorting(run, page):
    data, out = run
    subs = data["submissions"]
    page.goto((out / "index.html").as_uri())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
    all_ids = [s["submission_id"] for s in subs]
    assert sorted(visible_ids(page)) == sorted(all_ids)
    assert page.inner_text("#shown") == f"显示 {len(subs)} / {len(subs)} 份"

    page.fill("#q", "外滩")
    assert visible_ids(page) == [s["submission_id"] for s in subs if "外滩" in (s["fields"].get("scenario_name") or "")]
    page.fill("#q", "FILE_UNREADABLE")
    assert visible_ids(page) == [s["submission_id"] for s in subs if any(f["rule"] == "FILE_UNREADABLE" for f in s["findings"])]
    page.fill("#q", "没有这样的申报")
    assert visible_ids(page) == []
    assert page.is_visible("#no-rows")
    page.fill("#q", "")
    assert page.is_hidden("#no-rows")

    for status in ("fail", "review", "warn", "pass"):
        page.select_option("#f-status", status)
        want = [s["submission_id"] for s in subs if s["status"] == status]
        assert sorted(visible_ids(page)) == sorted(want)
        assert want, status
    page.select_option("#f-status", "")
    page.select_option("#f-track", "文旅")
    assert sorted(visible_ids(page)) == sorted(s["submission_id"] for s in subs if s["fields"].get("track") == "文旅")
    page.select_option("#f-status", "warn")
    assert sorted(visible_ids(page)) == sorted(
        s["submission_id"] for s in subs if s["fields"].get("track") == "文旅" and s["status"] == "warn")
    page.select_option("#f-track", "")
    page.select_option("#f-status", "")

    page.click("button.stat.fail")
    assert page.input_value("#f-status") == "fail"
    assert sorted(visible_ids(page)) == sorted(s["submission_id"] for s in subs if s["status"] == "fail")
    page.click("button.stat.review")
    assert page.input_value("#f-status") == "review"
    assert page.eval_on_selector("#f-status", "s => s.options[s.selectedIndex].text") == "待人工核对"
    assert visible_ids(page) == [s["submission_id"] for s in subs if s["status"] == "review"] != []
    page.select_option("#f-status", "")

    rank = {"fail": 0, "review": 1, "warn": 2, "pass": 3}
    status_of = {s["submission_id"]: s["status"] for s in subs}
    page.click("#subs th:has-text('状态') button")
    assert [rank[status_of[i]] for i in visible_ids(page)] == sorted(rank[s["status"]] for s in subs)
    reviews = {s["submission_id"]: sum(f["severity"] == "review" for f in s["findings"]) for s in subs}
    page.click("#subs th:has-text('待核对') button")
    page.click("#subs th:has-text('待核对') button")
    assert [reviews[i] for i in visible_ids(page)] == sorted(reviews.values(), reverse=True)
    assert reviews[visible_ids(page)[0]] == 1
    color = page.eval_on_selector("button.stat.review .n", "e => getComputedStyle(e).color")
    assert color not in (page.eval_on_selector("button.stat.warn .n", "e => getComputedStyle(e).color"),
                         page.eval_on_selector("button.stat.fail .n", "e => getComputedStyle(e).color"))

    errors = {s["submission_id"]: sum(f["severity"] == "error" for f in s["findings"]) for s in subs}
    page.click("#subs th:has-text('错误') button")
    order = visible_ids(page)
    assert [errors[i] for i in order] == sorted(errors.values())
    page.click("#subs th:has-text('错误') button")
    order = visible_ids(page)
    assert [errors[i] for i in order] == sorted(errors.values(), reverse=True)
    assert page.get_attribute("#subs th:has-text('错误')", "aria-sort") == "descending"
    page.watch.assert_clean()


def test_report_links_and_hostile_text_is_inert(run, page):
    data, out = run
    names = report_files(data["submissions"])
    hostile = next(s for s in data["submissions"] if s["submission_id"].startswith("B-"))
    page.goto((out / "index.html").as_uri())
    page.click(f"#subs a:text-is('{hostile['submission_id']}')")
    page.wait_for_load_state()
    assert page.url.endswith("/reports/" + names[hostile["submission_id"]])
    assert HOSTILE_SCRIPT in page.inner_text("h1")
    assert page.eval_on_selector_all("script", "s => s.length") == 0
    assert page.eval_on_selector_all("img:not([src^='data:'])", "s => s.length") == 0
    joint_name = page.inner_text("#f-joint_units-0-name")
    assert joint_name.startswith("<img src=x onerror=alert(2)>")

    finding = next(f for f in hostile["findings"] if f["field"] == "lead_unit_code")
    link = page.locator("#findings a[href='#f-lead_unit_code']")
    assert link.inner_text() == "组织机构代码/三证合一码"
    link.click()
    assert page.evaluate("() => location.hash") == "#f-lead_unit_code"
    assert finding["rule"] in page.inner_text("#f-lead_unit_code")
    assert page.evaluate("() => document.querySelector(':target').id") == "f-lead_unit_code"
    page.screenshot(path=str(ARTIFACTS / "report-hostile.png"), full_page=True)

    page.emulate_media(media="print")
    assert page.eval_on_selector(".topnav", "e => getComputedStyle(e).display") == "none"
    page.emulate_media(media="screen")
    page.click("a.home")
    page.wait_for_load_state()
    assert page.url.endswith("/index.html")
    page.watch.assert_clean()


def test_every_report_opens_cleanly(run, page):
    data, out = run
    clean = next(s["submission_id"] for s in data["submissions"] if s["submission_id"].startswith("A-"))
    check_all_reports(data, out, page, showcase=clean)


def test_sample_batch_pages_open_cleanly(sample_run, page):
    """The bundled samples (scans with OCR, seals, PDFs): index and every report, no errors."""
    _, out = sample_run
    data = json.loads((out / "results.json").read_text("utf-8"))
    page.goto((out / "index.html").as_uri())
    assert page.eval_on_selector_all("#subs tbody tr[data-status]", "r => r.length") == len(data["submissions"])
    check_all_reports(data, out, page)


def check_all_reports(data: dict, out: Path, page, showcase: str | None = None) -> None:
    """Each report's banner and findings match results.json; `showcase` must have marks and a seal."""
    names = report_files(data["submissions"])
    for sub in data["submissions"]:
        page.goto((out / "reports" / names[sub["submission_id"]]).as_uri())
        banner = page.inner_text(".banner-status")
        assert banner == {"pass": "通过", "warn": "有警告", "review": "待人工核对", "fail": "不通过"}[sub["status"]]
        shown = page.eval_on_selector_all(".finding", "f => f.length")
        assert shown == len(sub["findings"])
        for f in sub["findings"]:
            assert f["rule"] in page.inner_text("#findings")
        assert page.eval_on_selector_all(".seals img", "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)")
        if sub["submission_id"] == showcase:
            assert page.eval_on_selector_all("#content mark", "m => m.length") > 0
            assert page.eval_on_selector(".seals img", "i => i.complete && i.naturalWidth > 0")
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.watch.assert_clean()
