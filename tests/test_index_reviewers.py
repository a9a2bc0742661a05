"""Issue #19 item 2: an index a reviewer can search, in headless Chromium over the samples.

The console script checks the samples; index.html is opened from disk. Typing a Chinese rule name
or a word of a message finds the submissions with that problem; the status, track, direction and
rule filters and the clickable 最常见的问题 rows narrow the table; rule names are Chinese with the id
secondary; no column is always empty."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from pipeline.labels import RULE_NAMES
from pipeline.validate import catalogue

from .conftest import SAMPLE_BATCH, run_console

REPO = Path(__file__).resolve().parent.parent
PIPELINE = Path(sys.executable).parent / "pipeline"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("index") / "out"
    return run_console(SAMPLE_BATCH, out, "-q")["submissions"], out


@pytest.fixture()
def page(run):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto((run[1] / "index.html").as_uri())
        yield pg
        assert errors == []
        browser.close()


def visible(pg) -> list[str]:
    return sorted(pg.eval_on_selector_all("#subs tbody tr[data-status]:not([hidden])",
                                          "rows => rows.map(r => r.cells[0].querySelector('a').innerText)"))


def having(subs, rule: str) -> list[str]:
    return sorted(s["submission_id"] for s in subs if any(f["rule"] == rule for f in s["findings"]))


def test_every_rule_has_a_chinese_name(rules):
    assert {r["id"] for r in catalogue(rules)} <= set(RULE_NAMES)
    assert all(not name.isascii() for name in RULE_NAMES.values())


def test_typing_a_chinese_rule_name_finds_its_submissions(run, page):
    subs, _ = run
    page.type("#q", RULE_NAMES["SEAL_MISSING"])  # 承诺书未盖公章
    assert visible(page) == having(subs, "SEAL_MISSING") != []
    page.fill("#q", "重复")  # in 重复申报 and in 联合申报单位代码重复
    assert visible(page) == sorted(set(having(subs, "DUPLICATE_SUBMISSION") + having(subs, "JOINT_UNIT_DUPLICATE")))
    page.fill("#q", "重复申报")
    assert visible(page) == having(subs, "DUPLICATE_SUBMISSION") != []
    page.fill("#q", "字数上限")
    assert visible(page) == having(subs, "SECTION_TOO_LONG") != []
    page.fill("#q", "E-mail")  # a word of a finding's message
    assert visible(page) == sorted(s["submission_id"] for s in subs
                                   if any("E-mail" in f["message"] for f in s["findings"])) != []
    page.fill("#q", "")
    assert len(visible(page)) == len(subs)


def test_filters_by_status_track_direction_and_rule(run, page):
    subs, _ = run
    page.select_option("#f-rule", "FIELD_MISSING")
    assert visible(page) == having(subs, "FIELD_MISSING") != []
    assert page.eval_on_selector("#f-rule", "s => s.options[s.selectedIndex].text") == RULE_NAMES["FIELD_MISSING"]
    page.select_option("#f-rule", "")
    direction = "元宇宙+虚拟仿真实训"
    page.select_option("#f-direction", direction)
    assert visible(page) == sorted(s["submission_id"] for s in subs if s["fields"].get("direction") == direction)
    assert len(visible(page)) == 2
    page.select_option("#f-status", "pass")
    assert visible(page) == sorted(s["submission_id"] for s in subs
                                   if s["fields"].get("direction") == direction and s["status"] == "pass")
    page.select_option("#f-direction", "")
    page.select_option("#f-status", "")
    labels = page.eval_on_selector_all("#f-status option", "os => os.map(o => o.text)")
    assert "待人工核对" in labels


def test_top_findings_rows_filter_the_table(run, page):
    subs, _ = run
    rows = page.query_selector_all("tr.filter-row")
    assert len(rows) >= 5
    rule = rows[2].get_attribute("data-filter-rule")
    assert RULE_NAMES[rule] in rows[2].inner_text() and rule in rows[2].inner_text()
    rows[2].click()
    assert page.input_value("#f-rule") == rule
    assert visible(page) == having(subs, rule) != []


def test_rule_names_are_chinese_and_no_column_is_always_empty(run, page):
    subs, out = run
    headers = page.eval_on_selector_all("#subs thead th", "hs => hs.map(h => h.innerText.trim())")
    assert "提示" not in headers  # no submission has an info finding here
    assert not any(f["severity"] == "info" for s in subs for f in s["findings"])
    chips = page.eval_on_selector_all("#subs .rule-chip", "cs => cs.map(c => [c.innerText, c.title])")
    assert chips and all(name == RULE_NAMES[rid] for name, rid in chips)
    assert "等 " not in page.inner_text("#subs")  # every rule shown, none hidden behind 等 N 项
    html = (out / "index.html").read_text("utf-8")
    assert "规则文件 [" not in html and "clause_similarity_min" not in html
