"""HTML reports rendered from a real pipeline run: structure, links, highlighting, diffs, escaping."""

from __future__ import annotations

import copy
import html
import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.config import load_rules
from pipeline.labels import field_label
from pipeline.report.html import report_files
from pipeline.report.markup import diff_markup, highlight
from pipeline.report.pages import write_html

try:
    from .report_batch import HOSTILE_FORMULA, HOSTILE_SCRIPT, UNREAD_ID, report_run
except ImportError:  # tests/ run as rootdir-relative modules
    from report_batch import HOSTILE_FORMULA, HOSTILE_SCRIPT, UNREAD_ID, report_run

RULES = load_rules()


class Page(HTMLParser):
    """Ids, links, resources and tag counts of one HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.tags: dict[str, int] = {}
        self.marks: list[str] = []
        self.csp = ""
        self._in_mark = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])
        if tag == "link":
            self.srcs.append(a.get("href", ""))
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content", "")
        if tag == "mark":
            self._in_mark = True
            self.marks.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in_mark = False

    def handle_data(self, data):
        if self._in_mark:
            self.marks[-1] += data


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return report_run(tmp_path_factory)


def _sub(data: dict, prefix: str) -> dict:
    return next(s for s in data["submissions"] if s["submission_id"].startswith(prefix))


def _report(out: Path, data: dict, sub: dict) -> str:
    name = report_files(data["submissions"])[sub["submission_id"]]
    return (out / "reports" / name).read_text("utf-8")


def test_every_submission_has_a_report_and_index_links_to_it(run):
    data, out = run
    index = (out / "index.html").read_text("utf-8")
    page = Page(index)
    report_links = [h for h in page.hrefs if h.startswith("reports/")]
    assert len(report_links) == len(data["submissions"])
    for href in report_links:
        assert (out / href).is_file(), href
    for s in data["submissions"]:
        assert f'data-status="{s["status"]}"' in index
    assert sorted(p.name for p in (out / "reports").glob("*.html")) == sorted(report_files(data["submissions"]).values())


def test_report_names_are_sanitised_and_unique():
    subs = [{"submission_id": "a/b:c"}, {"submission_id": "A_b_c"}, {"submission_id": "../../etc"}, {"submission_id": "CON?"}]
    names = report_files(subs)
    assert len(set(n.casefold() for n in names.values())) == 4
    for n in names.values():
        assert "/" not in n and "\\" not in n and ":" not in n and "?" not in n and not n.startswith(".")


def test_pages_are_self_contained(run):
    data, out = run
    pages = [out / "index.html", *sorted((out / "reports").glob("*.html"))]
    for path in pages:
        text = path.read_text("utf-8")
        page = Page(text)
        # images: inline, or a seal crop in reports/assets beside the page (same origin, no network)
        assert page.csp.startswith("default-src 'none'; img-src data: 'self';")
        assert "'unsafe-inline'" not in page.csp.split("script-src")[1]
        assert page.tags.get("link", 0) == 0
        for src in page.srcs:
            assert src.startswith("data:image/png;base64,") or (
                re.fullmatch(r"assets/[0-9a-f]+\.png", src) and (path.parent / src).is_file()), src
        for href in page.hrefs:
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", href), href  # no scheme: no network, no javascript:
        assert "@media print" in text


def test_finding_links_point_at_places_on_the_page(run):
    data, out = run
    for sub in data["submissions"]:
        page = Page(_report(out, data, sub))
        ids = set(page.ids)
        assert len(ids) == len(page.ids), "duplicate ids"
        internal = [h[1:] for h in page.hrefs if h.startswith("#")]
        for target in internal:
            assert target in ids, (sub["submission_id"], target)
        for f in sub["findings"]:
            if f["field"]:
                label = field_label(f["field"], RULES)
                assert html.escape(label, quote=False) in _report(out, data, sub)


def test_report_shows_status_findings_and_field_labels(run):
    data, out = run
    hostile = _sub(data, "B-")
    text = _report(out, data, hostile)
    assert "不通过" in text
    code = next(f for f in hostile["findings"] if f["field"] == "lead_unit_code")
    assert 'href="#f-lead_unit_code">组织机构代码/三证合一码</a>' in text
    assert html.escape(code["message"], quote=False) in text
    for sev, label in (("error", "错误"), ("warning", "警告")):
        if any(f["severity"] == sev for f in hostile["findings"]):
            assert f'<span class="tag tag-{sev}">{label}</span>' in text
    clean = _sub(data, "A-")
    assert clean["status"] == "pass"
    assert "未发现错误或警告" in _report(out, data, clean)


def test_sections_show_counts_against_limits(run):
    data, out = run
    hostile = _sub(data, "B-")
    text = _report(out, data, hostile)
    for spec in RULES.sections:
        count = hostile["fields"]["section_lengths"][spec.key]
        assert f"{count} / {spec.limit} 字" in text
    over = [s for s in RULES.sections if hostile["fields"]["section_lengths"][s.key] > s.limit]
    assert over, "the hostile submission has an over-long section"
    assert text.count('class="meter over"') == len(over)
    excess = hostile["fields"]["section_lengths"][over[0].key] - over[0].limit
    assert f"超出 {excess} 字" in text


def test_keyword_marks_come_from_coverage_offsets(run):
    data, out = run
    sub = _sub(data, "A-")
    page = Page(_report(out, data, sub))
    terms = {h["term"] for group in ("tech_elements", "overview_topics")
             for hits in sub["coverage"].get(group, {}).values() for h in hits}
    assert terms, "the clean submission covers keywords"
    assert page.marks
    assert set(page.marks) <= terms
    no_cov = copy.deepcopy(sub)
    no_cov["coverage"] = {}
    assert "<mark" not in write_one(no_cov, data)


def write_one(sub: dict, data: dict) -> str:
    from pipeline.report.html import render_report

    return render_report(sub, RULES, data["run"])


def test_highlight_escapes_and_ignores_bad_offsets():
    text = "a<b>数字孪生&c"
    out = str(highlight(text, [(4, 8, "el2", "技术要素：数字孪生"), (0, 99, "el0", "x"), (5, 7, "el1", "nested")]))
    assert out == 'a&lt;b&gt;<mark class="el2" title="技术要素：数字孪生">数字孪生</mark>&amp;c'


def test_cached_mark_tags_follow_css_and_title():
    first = str(highlight("数字孪生", [(0, 4, "el0", "技术要素：数字孪生")]))
    second = str(highlight("数字孪生", [(0, 4, "el0", "技术要素：<孪生>")]))
    assert first == '<mark class="el0" title="技术要素：数字孪生">数字孪生</mark>'
    assert second == '<mark class="el0" title="技术要素：&lt;孪生&gt;">数字孪生</mark>'


def test_templates_read_view_keys_like_jinja2():
    """Templates look a view dict's keys up first; as in plain jinja2, a dict method still wins over a
    key of the same name, a missing key is undefined, and values are escaped."""
    from pipeline.report.html import _ENV

    tpl = _ENV.from_string("{{ d.text }}|{{ d.items is callable }}|{{ d.gone is undefined }}|{{ d['items'] }}")
    assert tpl.render(d={"text": "<b>", "items": "x"}) == "&lt;b&gt;|True|True|x"


def test_clause_diff_marks_changes(run):
    data, out = run
    official = RULES.raw["letter"]["clauses"][5]
    assert str(diff_markup("接受监督", "接受监督")) == "接受监督"
    assert str(diff_markup("主动接受监督", "接受<监督>")) == "<del>主动</del>接受<ins>&lt;</ins>监督<ins>&gt;</ins>"
    text = _report(out, data, _sub(data, "B-"))
    assert "<del>" in text and "<ins>" in text
    assert html.escape(HOSTILE_SCRIPT) in text and "<script>" not in text
    assert html.escape(official[:6]) in text
    clean = _report(out, data, _sub(data, "A-"))
    assert clean.count('<span class="tag st-pass">一致</span>') == 6


def test_seal_crop_is_a_file_beside_the_report(run):
    data, out = run
    sub = _sub(data, "A-")
    paths = [i["crop_path"] for i in sub["images"] if i.get("crop_path")]
    assert paths and all((out / p).read_bytes().startswith(b"\x89PNG") for p in paths)
    text = _report(out, data, sub)
    assert f'<img src="{paths[0][len("reports/"):]}"' in text and "base64" not in text
    assert "已识别到印章" in text
    assert "未识别到印章" in _report(out, data, _sub(data, "B-"))


def test_files_and_broken_submission(run):
    data, out = run
    broken = _sub(data, "D-")
    text = _report(out, data, broken)
    for f in broken["files"]:
        assert html.escape(f["path"]) in text
    rules = {f["rule"] for f in broken["findings"]}
    # one cause, one finding: the empty 附件1.pdf says the form is missing; the letter never came
    assert {"FILE_UNREADABLE", "LETTER_MISSING"} <= rules and "FORM_MISSING" not in rules
    assert "缺少可读取的附件1" in next(f["message"] for f in broken["findings"] if f["rule"] == "FILE_UNREADABLE")
    for rule in rules:
        assert rule in text
    assert "未识别到承诺书内容" in text and "未识别到需求征集表" in text
    assert ">未填写<" not in text  # nothing was read, so nothing is reported as left blank by the applicant
    assert ">未填写<" in _report(out, data, _sub(data, "A-"))  # A's fax fields are blank


def test_index_counts(run):
    data, out = run
    text = (out / "index.html").read_text("utf-8")
    for status, label in (("pass", "通过"), ("warn", "有警告"), ("review", "待人工核对"), ("fail", "不通过")):
        n = sum(1 for s in data["submissions"] if s["status"] == status)
        assert n, status  # the batch has a submission of every status
        pct = f"{100 * n / len(data['submissions']):.0f}"
        assert re.search(rf'data-filter-status="{status}"><div class="k">{label}</div><div class="n">{n}</div>'
                         rf'<div class="p">占 {pct}%</div>', text)
        assert f'<option value="{status}">{label}</option>' in text
    assert f"共 {len(data['submissions'])} 份申报" in text
    assert text.count("<script") == 1


def _rows(index: str) -> dict[str, list[str]]:
    """Submission id → the data-v of each cell of its row in index.html's table."""
    out = {}
    for row in re.findall(r'<tr data-status=.*?</tr>', index, re.S):
        cells = re.findall(r'<td[^>]*data-v="([^"]*)"', row)
        out[html.unescape(cells[0])] = cells
    return out


def test_index_review_status_column_and_order(run):
    """The submission the checker could not read in full: its status, its review count beside the
    errors and warnings, and a status rank between fail and warn for sorting."""
    data, out = run
    text = (out / "index.html").read_text("utf-8")
    heads = re.findall(r'<th data-type="\w+"[^>]*><button type="button">([^<]+)</button>', text)
    assert heads[3:6] == ["错误", "待核对", "警告"]
    rows = _rows(text)
    assert set(rows) == {s["submission_id"] for s in data["submissions"]}
    rank = {}
    for s in data["submissions"]:
        cells = rows[s["submission_id"]]
        rank[s["status"]] = int(cells[1])
        n = {sev: sum(f["severity"] == sev for f in s["findings"]) for sev in ("error", "review", "warning")}
        assert [int(c) for c in cells[3:6]] == [n["error"], n["review"], n["warning"]]
    assert sorted(rank, key=rank.get) == ["fail", "review", "warn", "pass"]
    assert '<span class="pill st-review">待人工核对</span>' in text
    assert re.search(r'<td class="num review" data-v="1">1</td>', text)


def test_review_report_banner_findings_and_notes(run):
    data, out = run
    sub = _sub(data, UNREAD_ID)
    assert sub["status"] == "review"
    [finding] = sub["findings"]
    assert (finding["rule"], finding["severity"]) == ("EXTRACTION_INCOMPLETE", "review")
    text = _report(out, data, sub)
    assert '<section class="banner banner-review"' in text
    assert '<div class="banner-status">待人工核对</div>' in text
    assert "没有错误，但有 1 处内容程序未能读取或无法确定，需人工核对原件。" in text
    assert '<span class="tag tag-review">待核对 1</span>' in text
    assert '<li id="finding-1" class="finding sev-review">' in text
    assert '<h3 class="sev-head"><span class="tag tag-review">待核对</span>' in text
    notes = text[text.index('<section id="notes"'):]
    notes = notes[:notes.index("</section>")]
    assert "无。" not in notes
    assert html.escape(finding["message"]) in notes and 'href="#finding-1"' in notes
    assert html.escape(finding["evidence"]["file"]) in notes
    # The sections it could not read are shown as unread, not as left blank, and carry the badge.
    content = text[text.index('<section id="content"'):text.index('<section id="letter"')]
    assert content.count("未能读取</p>") == len(RULES.sections) and "未填写" not in content
    assert content.count('class="badge sev-review" href="#finding-1"') == len(RULES.sections)
    assert ' missing"' not in content  # nothing read is nothing judged missing
    # Pages of submissions without review items say so nowhere.
    clean = _report(out, data, _sub(data, "A-"))
    clean = clean[clean.index("<body"):]  # past the inline stylesheet
    assert "banner-review" not in clean and "sev-review" not in clean and "未能读取" not in clean


def test_notes_section_never_says_none_when_something_is_listed(run):
    data, _ = run
    sub = copy.deepcopy(_sub(data, "A-"))
    sub["findings"], sub["notes"] = [], []
    assert "<p class=\"empty\">无。</p>" in write_one(sub, data)
    sub["notes"] = [{"message": "扫描页第2页 OCR 置信度偏低"}]
    text = write_one(sub, data)
    assert "扫描页第2页 OCR 置信度偏低" in text and "<p class=\"empty\">无。</p>" not in text
    sub["notes"] = []
    sub["findings"] = [{"rule": "EXTRACTION_INCOMPLETE", "severity": "review", "field": "direction",
                        "message": "申报场景方向的勾选状态未能读取：请核对原件",
                        "evidence": {"file": "附件1.pdf", "page": 1}, "details": {"fields": ["direction"]}}]
    sub["status"] = "review"
    sub["fields"] = {**sub["fields"], "direction": None, "track": None}
    text = write_one(sub, data)
    notes = text[text.index('<section id="notes"'):]
    assert "无。" not in notes[:notes.index("</section>")]
    assert "申报场景方向的勾选状态未能读取" in notes and "附件1.pdf 第 1 页" in notes
    assert "勾选状态未能读取</div>" in text and "未勾选任何方向" not in text


def test_field_labels_single_source():
    assert field_label("lead_unit_code", RULES) == "组织机构代码/三证合一码"
    assert field_label("joint_units[1].code", RULES) == "联合申报单位第2家·组织机构代码/三证合一码"
    assert field_label("sections.funding", RULES) == "资金投入"
    assert field_label("scenario_overview", RULES) == "场景建设概述"
    assert field_label("letter_clauses[2]", RULES) == "承诺条款第3条"
    assert field_label("something_new", RULES) == "something_new"


HOSTILE = [HOSTILE_SCRIPT, '"><img src=x onerror=alert(3)>', HOSTILE_FORMULA, "</style><script>alert(4)</script>",
           "javascript:alert(5)"]


_PAYLOAD = itertools.cycle(HOSTILE)


def poison(value):
    """Every string in a results structure prefixed with hostile text (numbers, bools, None kept)."""
    if isinstance(value, str):
        return next(_PAYLOAD) + value
    if isinstance(value, list):
        return [poison(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k in ("status", "severity", "kind", "origin", "crop_path", "start", "end") else poison(v))
                for k, v in value.items()}
    return value


def test_hostile_text_everywhere_is_escaped(run, tmp_path):
    data, _ = run
    bad = copy.deepcopy(data)
    bad["submissions"] = [poison(s) for s in bad["submissions"]]
    bad["run"] = poison(bad["run"])
    for s in bad["submissions"]:  # coverage terms and offsets stay consistent with the poisoned text
        s["coverage"] = {}
    write_html(bad, tmp_path, RULES)
    pages = [tmp_path / "index.html", *sorted((tmp_path / "reports").glob("*.html"))]
    assert len(pages) == len(bad["submissions"]) + 1
    for path in pages:
        text = path.read_text("utf-8")
        page = Page(text)
        assert page.tags.get("script", 0) == (1 if path.name == "index.html" else 0), path
        assert page.tags.get("img", 0) == sum(1 for s in page.srcs if s.startswith("data:image/png")
                                              or re.fullmatch(r"assets/[0-9a-f]+\.png", s))
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        for href in page.hrefs:
            assert not href.lower().startswith("javascript:")
    json.dumps(bad)  # still a valid results dict


def test_missing_and_odd_optional_parts_still_render(run, tmp_path):
    """Real results with optional parts removed or malformed: every page still renders."""
    data, _ = run
    odd = copy.deepcopy(data)
    for i, s in enumerate(odd["submissions"]):
        for key in ("provenance", "notes", "images", "origin", "grouping"):
            s.pop(key, None)
        s["coverage"] = [None, {"tech_elements": "x"}, {"tech_elements": {"数据流通": [{"start": "a"}]}}, {}][i % 4]
        if i % 2:
            s["fields"] = {}
    write_html(odd, tmp_path, RULES)
    for s in odd["submissions"]:
        text = (tmp_path / "reports" / report_files(odd["submissions"])[s["submission_id"]]).read_text("utf-8")
        assert "<mark" not in text
        assert s["submission_id"] in text
