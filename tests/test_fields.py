"""The shared field logic on hand-built blocks: what every backend (DOCX, PDF, OCR) relies on."""

from __future__ import annotations

import pytest

from pipeline.extract.fields import documents_from_layout, find_titles
from pipeline.extract.form import other_text, read_form
from pipeline.extract.labels import label_index, norm
from pipeline.extract.letter import clean_scenario_name, parse_date, read_letter
from pipeline.extract.text import read_options, strip_hint
from pipeline.model import Block, ImageInfo, Layout, Provenance

F = "t.docx"


def cell(text, r, c, span=1, new_row=None, table=0, page=None):
    return Block(text, "cell", Provenance(F, page=page, table=table, row=r, col=c),
                 new_row=(c == 0) if new_row is None else new_row, col_span=span)


def para(text, i):
    return Block(text, "paragraph", Provenance(F, paragraph=i))


def line(text, page, y, x=50.0):
    return Block(text, "line", Provenance(F, page=page, bbox=(x, y, x + 400, y + 12)))


def grid(rows, table=0, page=None, first_row=0):
    """Cells from rows of (col, text[, span]) tuples."""
    out = []
    for r, row in enumerate(rows, first_row):
        for k, item in enumerate(row):
            c, text, *span = item
            out.append(cell(text, r, c, span[0] if span else 1, new_row=(k == 0), table=table, page=page))
    return out


PERSON_ROWS = [
    [(0, "负责人"), (1, "姓名"), (2, "王建国"), (3, "电话"), (4, "021-69581234")],
    [(1, "职务"), (2, "总经理"), (3, "手机"), (4, "13812345678")],
    [(1, "传真"), (2, ""), (3, "E-mail"), (4, "wangjg@yunjing.cn")],
    [(0, "联系人"), (1, "姓名"), (2, "李晓梅"), (3, "电话"), (4, "")],
    [(1, "职务"), (2, "项目经理"), (3, "手机"), (4, "13987654321")],
    [(1, "传真"), (2, "021-1"), (3, "E-mail"), (4, "lixm@yunjing.cn")],
]


# Labels -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("姓  名", "姓名"), ("单 位 性 质", "单位性质"), ("联合申报单位(如有)", "联合申报单位（如有）"),
    ("组织机构代码／三证合一码", "组织机构代码/三证合一码"), ("E-mail", "Email"), ("Ｅ－ｍａｉｌ", "email"),
    ("场景名称：", "场景名称"), ("【场景名称】", "场景名称"),
])
def test_norm_equates_label_variants(a, b):
    assert norm(a) == norm(b)


@pytest.mark.parametrize(("text", "groups", "key"), [
    ("牵头单位名称", ("form",), "lead_unit_name"),
    ("牵头单位名称（全称）", ("form",), "lead_unit_name"),
    ("牵头单位\n基本情况介绍", ("form",), "lead_unit_intro"),
    ("组织机构代码\n/三证合一码", ("form",), "lead_unit_code"),
    ("统一社会信用代码：91310000MA1", ("form",), "lead_unit_code"),
    ("负 责 人", ("form",), "leader"),
    ("联合申报单位\n（如有）", ("form",), "joint_units"),
    ("邮箱", ("person",), "email"),
    ("电子邮箱：a@b.cn", ("person",), "email"),
    ("Email", ("person",), "email"),
    ("姓　名", ("person",), "name"),
    ("单位性质", ("joint", "form"), "nature"),
    ("单位性质", ("form", "joint"), "unit_nature"),
    ("联系电话：13800000000", ("letter",), "letter_contact_phone"),
    ("*场景名称", ("form",), "scenario_name"),
])
def test_label_lookup(rules, text, groups, key):
    m = label_index(rules).match_start(text, groups)
    assert m is not None and m.key == key


@pytest.mark.parametrize("text", ["负责人签字（章）：", "场景名称为某某平台", "联系人员名单", "姓名张三"])
def test_words_that_merely_start_like_a_label_are_not_labels(rules, text):
    assert label_index(rules).match_start(text, ("form", "person")) is None


def test_split_finds_several_labels_in_one_line(rules):
    segs = label_index(rules).split("姓名：张三  电话：021-12345678  E-mail：zs@a.cn", ("person",), anywhere=True)
    assert [(s.key, s.text.strip()) for s in segs] == [("name", "张三"), ("phone", "021-12345678"), ("email", "zs@a.cn")]


# Form from cells ----------------------------------------------------------------------------------

def _form_blocks(person_rows=PERSON_ROWS):
    rows = [
        [(0, "牵头单位名称"), (1, "上海云境数字科技有限公司", 4)],
        [(0, "组织机构代码/三证合一码"), (1, "91310115-ma1k 4xyz1x", 4)],
        [(0, "场景名称"), (1, "汽车总装产线数字孪生巡检平台", 4)],
        [(0, "申报场景方向"), (1, "工业赛道\n☐方向1：元宇宙+产线\n☑方向2：元宇宙+工厂\n文旅赛道\n☐方向1：元宇宙+数字文化", 4)],
        [(0, "场景所在地址"), (1, "上海市嘉定区安亭镇", 4)],
        *person_rows,
        [(0, "单位性质"), (1, "☐国家机关 ☐事业单位 ☑民营企业\n☐外资企业 ☐其他(请注明):", 4)],
        [(0, "联合申报单位（如有）"), (1, "单位名称", 2), (3, "单位性质"), (4, "单位特色、优势"), (5, "组织机构代码/三证合一码")],
        [(1, "上海交通大学", 2), (3, "事业单位"), (4, "数字孪生研究\n工业软件"), (5, "12100000425006117P")],
        [(1, "", 2), (3, ""), (4, ""), (5, "")],
        [(0, "二、具体内容", 6)],
        [(0, "牵头单位基本情况介绍"), (1, "(包括公司基本情况、研发力量等，不超过400字)\n公司成立于2016年。\n\n研发人员90人。", 5)],
        [(0, "场景建设概述"), (1, "建设背景：……\n时间进度：一年", 5)],
        [(0, "资金投入"), (1, "", 5)],
        [(0, "真实性承诺"), (1, "我单位申报的所有材料，均真实、完整。\n负责人签字（章）：", 5)],
    ]
    return [para("上海市元宇宙重大应用场景需求征集表", 0), *grid(rows)]


def test_form_from_cells(rules):
    fields, prov, notes, found, gaps = read_form(_form_blocks(), rules)
    assert found and not notes
    assert fields["lead_unit_name"] == "上海云境数字科技有限公司"
    assert fields["lead_unit_code"] == "91310115MA1K4XYZ1X"
    assert fields["direction"] == "元宇宙+工厂" and fields["track"] == "工业"
    assert fields["leader_name"] == "王建国" and fields["leader_fax"] is None
    assert fields["leader_email"] == "wangjg@yunjing.cn"
    assert fields["contact_phone"] is None and fields["contact_fax"] == "021-1"
    assert fields["unit_nature"] == "民营企业" and fields["unit_nature_other"] is None
    assert fields["joint_units"] == [
        {"name": "上海交通大学", "nature": "事业单位", "strengths": "数字孪生研究\n工业软件", "code": "12100000425006117P"}]
    assert fields["sections"]["lead_unit_intro"] == "公司成立于2016年。\n研发人员90人。"
    assert fields["sections"]["scenario_overview"] == "建设背景：……\n时间进度：一年"
    # 资金投入 has its heading and no text (blank); 时间进度 has no heading at all (not seen)
    assert fields["sections"]["funding"] == "" and fields["sections"]["timeline"] is None
    assert [g.fields for g in gaps] == [("existing_foundation", "requirement_analysis", "timeline", "stage_goals")]
    assert prov["leader_mobile"].row == 6 and prov["leader_mobile"].col == 4
    assert prov["joint_units[0].code"].col == 5
    assert prov["sections.lead_unit_intro"].row == 16


def test_person_rows_reordered(rules):
    reordered = [
        [(0, "联系人"), (1, "职务"), (2, "项目经理"), (3, "手机"), (4, "13987654321")],
        [(1, "邮箱"), (2, "lixm@yunjing.cn"), (3, "姓  名"), (4, "李晓梅")],
        [(0, "负责人"), (1, "E-mail"), (2, "wangjg@yunjing.cn"), (3, "传真"), (4, "")],
        [(1, "电话"), (2, "021-69581234"), (3, "姓名"), (4, "王建国")],
    ]
    fields, *_ = read_form(_form_blocks(reordered), rules)
    assert (fields["leader_name"], fields["leader_email"], fields["leader_phone"]) == ("王建国", "wangjg@yunjing.cn", "021-69581234")
    assert (fields["contact_name"], fields["contact_title"], fields["contact_email"]) == ("李晓梅", "项目经理", "lixm@yunjing.cn")


def test_label_and_value_in_separate_rows(rules):
    blocks = grid([[(0, "场景名称", 5)], [(0, "数字孪生巡检平台", 5)], [(0, "场景所在地址")], [(0, "上海市浦东新区")]])
    fields, prov, _, _, _ = read_form(blocks, rules)
    assert fields["scenario_name"] == "数字孪生巡检平台" and prov["scenario_name"].row == 1
    assert fields["address"] == "上海市浦东新区"


def test_form_as_paragraphs(rules):
    texts = ["牵头单位名称：上海某某科技有限公司", "组织机构代码/三证合一码： 91310115MA1K4XYZ1X", "场景名称：产线平台",
             "申报场景方向：", "☐方向1：元宇宙+产线  ☑方向2：元宇宙+工厂", "负责人", "姓名：张三    电话：021-12345678",
             "职务：总经理  手机：13800000000", "传真：   E-mail：zs@a.cn", "单位性质：☐国家机关 ☑其他(请注明): 合伙企业",
             "已有基础", "（请简要阐述本单位在元宇宙应用场景建设方面已有的基础，不超过500字）", "已建成一期。",
             "资金投入：总投资500万元", "真实性承诺"]
    fields, prov, _, found, _ = read_form([para(t, i) for i, t in enumerate(texts)], rules)
    assert found
    assert fields["lead_unit_name"] == "上海某某科技有限公司" and fields["scenario_name"] == "产线平台"
    assert fields["direction"] == "元宇宙+工厂"
    assert (fields["leader_name"], fields["leader_phone"], fields["leader_mobile"]) == ("张三", "021-12345678", "13800000000")
    assert fields["leader_fax"] is None and fields["leader_email"] == "zs@a.cn"
    assert fields["unit_nature"] == "其他" and fields["unit_nature_other"] == "合伙企业"
    assert fields["sections"]["existing_foundation"] == "已建成一期。"
    assert fields["sections"]["funding"] == "总投资500万元"
    assert prov["leader_email"].paragraph == 8


def test_pdf_value_continues_in_next_page_row_with_empty_label(rules):
    page1 = grid([[(0, "场景建设概述"), (1, "建设背景：产线巡检依赖人工。")]], table=0, page=1)
    page2 = grid([[(0, ""), (1, "总体目标：建成平台。")], [(0, "已有基础"), (1, "一期已建成。")]], table=1, page=2)
    fields, *_ = read_form(page1 + page2, rules)
    assert fields["sections"]["scenario_overview"] == "建设背景：产线巡检依赖人工。\n总体目标：建成平台。"
    assert fields["sections"]["existing_foundation"] == "一期已建成。"


def test_pdf_lines(rules):
    blocks = [line("牵头单位名称 上海某某科技有限公司", 1, 100), line("场景名称 元宇宙产线", 1, 120),
              line("姓名 张三 电话 021-12345678", 1, 140), line("负责人", 1, 150, x=10)]
    fields, *_ = read_form(blocks, rules)
    assert fields["lead_unit_name"] == "上海某某科技有限公司" and fields["scenario_name"] == "元宇宙产线"


def test_direction_options_without_box_are_noted(rules):
    blocks = grid([[(0, "申报场景方向"), (1, "☐元宇宙+产线 元宇宙+工厂 ☐元宇宙+工业园区")]])
    fields, _, notes, _, _ = read_form(blocks, rules)
    assert fields["direction"] is None
    assert any("元宇宙+工厂" in n.message for n in notes)


def test_direction_multiple_and_none(rules):
    multi = grid([[(0, "申报场景方向"), (1, "☑元宇宙+产线\n☐元宇宙+工厂\n☑元宇宙+学情评价")]])
    fields, *_ = read_form(multi, rules)
    assert fields["direction"] == ["元宇宙+产线", "元宇宙+学情评价"] and fields["track"] == ["工业", "教育"]
    none = grid([[(0, "申报场景方向"), (1, "☐元宇宙+产线\n☐元宇宙+工厂")]])
    fields, _, notes, _, _ = read_form(none, rules)
    assert fields["direction"] is None and fields["track"] is None and not notes


def test_joint_units_map_columns_by_header_not_position(rules):
    blocks = grid([
        [(0, "联合申报单位"), (1, "组织机构代码/三证合一码"), (2, "单位名称"), (3, "单位特色、优势"), (4, "单位性质")],
        [(1, "12100000 425006117p"), (2, "上海交通大学"), (3, ""), (4, "事业单位")],
        [(1, ""), (2, ""), (3, ""), (4, "")],
        [(1, ""), (2, "某某研究院"), (3, "算法"), (4, "")],
        [(0, "二、具体内容", 5)],
    ])
    fields, prov, _, _, _ = read_form(blocks, rules)
    assert fields["joint_units"] == [
        {"name": "上海交通大学", "nature": "事业单位", "strengths": None, "code": "12100000425006117P"},
        {"name": "某某研究院", "nature": None, "strengths": "算法", "code": None},
    ]
    assert prov["joint_units[1]"].row == 3


# Options -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "checked"), [
    ("☐国家机关 ☑事业单位 ☐其他", ["事业单位"]),
    ("国家机关☐ 事业单位☑ 其他☐", ["事业单位"]),
    ("☐方向1：国家机关\n☑方向2：事业单位", ["事业单位"]),
    ("☑国家机关 ☑事业单位", ["国家机关", "事业单位"]),
    ("√国家机关 ☐事业单位", ["国家机关"]),
])
def test_read_options(text, checked):
    got, _, missing = read_options(text, ["国家机关", "事业单位", "其他"])
    assert got == checked and not missing


@pytest.mark.parametrize(("text", "other"), [
    ("☑其他(请注明): 合伙企业", "合伙企业"),
    ("☑其他（请注明）：合伙企业____", "合伙企业"),
    ("☑其他(请注明):　　　　", None),
    ("☐其他(请注明):______", None),
    ("☐民营企业", None),
    ("☐外资企业 ☐其他(请", None),  # a PDF line break cut the hint short
    ("☑其他(请注明):明星企业联盟", "明星企业联盟"),
])
def test_unit_nature_other(text, other):
    assert other_text(text, "其他") == other


# Hints -------------------------------------------------------------------------------------------

HINT = "(包括公司基本情况、研发力量等，不超过400字)"


@pytest.mark.parametrize(("lines", "kept"), [
    ([HINT, "公司成立于2016年。"], ["公司成立于2016年。"]),
    (["（包括公司基本情况、研发力量等，不超过400字）", "公司成立于2016年。"], ["公司成立于2016年。"]),
    (["( 包括公司基本情况、研发力量等, 不超过 400 字 )", "公司成立于2016年。"], ["公司成立于2016年。"]),
    (["（包括公司的基本情况和研发力量等，不超过400字）", "公司成立于2016年。"], ["公司成立于2016年。"]),
    (["（包括公司基本情况、研发力量等，不超过400字）公司成立于2016年。", "研发人员90人。"], ["公司成立于2016年。", "研发人员90人。"]),
    (["（包括公司基本情况、研发", "力量等，不超过400字）", "公司成立于2016年。"], ["公司成立于2016年。"]),
    (["公司基本情况：成立于2016年，研发力量雄厚。"], ["公司基本情况：成立于2016年，研发力量雄厚。"]),
    ([HINT], []),
    ([], []),
])
def test_strip_hint(lines, kept):
    assert strip_hint(lines, HINT) == kept


# Letter ------------------------------------------------------------------------------------------

def _letter_blocks(clauses, numbering="{n}.", date="2023年11月10日", intro_name="《汽车总装产线平台》"):
    texts = ["上海市元宇宙重大应用场景建设承诺书", f"根据《…通知》要求，我单位提交了{intro_name}参评。", "现就有关情况承诺如下："]
    texts += [numbering.format(n=n) + c for n, c in enumerate(clauses, 1)]
    texts += ["本单位自愿遵守以上规定。", "联系人：李晓梅", "联系电话： 13987654321 ", "单位（单位盖章）：", date]
    return [para(t, i) for i, t in enumerate(texts)]


@pytest.mark.parametrize("numbering", ["{n}.", "{n}、", "（{n}）", "({n})", "{n}．", "{n}. "])
def test_letter_clause_numbering(rules, numbering):
    clauses = rules.raw["letter"]["clauses"]
    fields, prov, _, looks, _ = read_letter(_letter_blocks(clauses, numbering), rules, [])
    assert looks and fields["letter_clauses"] == clauses
    assert prov["letter_clauses[5]"].paragraph == 8


def test_letter_full_width_numbers(rules):
    clauses = rules.raw["letter"]["clauses"]
    blocks = _letter_blocks(clauses, "{n}．")
    for b in blocks:
        b.text = b.text.translate(str.maketrans("123456", "１２３４５６")) if b.text[:1] in "123456" else b.text
    fields, *_ = read_letter(blocks, rules, [])
    assert fields["letter_clauses"] == clauses


def test_letter_fields(rules):
    seal = ImageInfo(Provenance(F, paragraph=12), 160, 160, 0.2, looks_like_seal=True)
    fields, prov, _, _, _ = read_letter(_letter_blocks(rules.raw["letter"]["clauses"]), rules, [seal])
    assert fields["letter_scenario_name"] == "汽车总装产线平台"
    assert fields["letter_contact"] == "李晓梅" and fields["letter_contact_phone"] == "13987654321"
    assert fields["letter_date"] == "2023-11-10" and fields["letter_has_seal"] is True
    assert prov["letter_date"].paragraph == 13 and prov["letter_contact"].paragraph == 10


def test_letter_lines_wrapped_like_a_pdf(rules):
    clauses = rules.raw["letter"]["clauses"]
    blocks = [line("我 单 位 提 交 了 《汽车总装", 1, 100), line("产线平台》 参评。", 1, 112)]
    y = 130
    for n, c in enumerate(clauses, 1):
        text = f"{n}.{c}"
        blocks += [line(text[:20], 1, y), line(text[20:], 1, y + 12)]
        y += 30
    blocks += [line("联系人：", 1, y), line("2023年  月   日", 1, y + 20)]
    fields, _, _, looks, _ = read_letter(blocks, rules, [])
    assert looks and fields["letter_clauses"] == clauses
    assert fields["letter_scenario_name"] == "汽车总装产线平台"
    assert fields["letter_contact"] is None and fields["letter_date"] is None and fields["letter_has_seal"] is False


@pytest.mark.parametrize(("text", "iso"), [
    ("2023年11月10日", "2023-11-10"),
    ("2023 年 11 月 1 日", "2023-11-01"),
    ("２０２３年１１月１０日", "2023-11-10"),
    ("二〇二三年十一月十日", "2023-11-10"),
    ("二零二三年十一月十三日", "2023-11-13"),
    ("二〇二三年十月二十一日", "2023-10-21"),
    ("二〇二三年 十 月 三十 日", "2023-10-30"),
    ("2023年  月   日", None),
    ("年 月 日", None),
])
def test_letter_dates(text, iso):
    assert parse_date(text)[0] == iso


@pytest.mark.parametrize(("raw", "name"), [
    ("《汽车总装产线平台》", "汽车总装产线平台"),
    ("  汽车总装产线平台  ", "汽车总装产线平台"),
    ("____《汽车 总装产线平台》____", "汽车总装产线平台"),
    ("“元宇宙+产线”AR Remote 平台", "“元宇宙+产线”AR Remote平台"),
    ("“汽车总装产线平台”", "汽车总装产线平台"),
    ("__<script>alert(1)</script>虚拟展厅__", "<script>alert(1)</script>虚拟展厅"),
    ("<b>虚拟展厅</b>。", "<b>虚拟展厅</b>"),
    ("＜虚拟展厅＞", "虚拟展厅"),
    ("                      ", None),
    ("________", None),
])
def test_scenario_name_cleaning(raw, name):
    assert clean_scenario_name(raw) == name


# Documents --------------------------------------------------------------------------------------

def test_both_documents_in_one_stream(rules):
    blocks = _form_blocks() + _letter_blocks(rules.raw["letter"]["clauses"])
    docs = documents_from_layout(Layout(F, "docx", blocks=blocks), rules)
    assert [d.kind for d in docs] == ["form", "letter"]
    assert docs[0].fields["lead_unit_name"] == "上海云境数字科技有限公司"
    assert docs[1].fields["letter_contact"] == "李晓梅"
    assert docs[0].fields["contact_name"] == "李晓梅"


def test_titles(rules):
    blocks = [para("附件2：上海市元宇宙重大应用场景建设承诺书", 0), para("真实性承诺", 1)]
    assert find_titles(blocks, rules) == {"letter": 0}


def test_untitled_documents_are_kept_only_with_key_fields(rules):
    form = _form_blocks()[1:]
    docs = documents_from_layout(Layout(F, "docx", blocks=form), rules)
    assert [d.kind for d in docs] == ["form"] and docs[0].notes
    letter = _letter_blocks(rules.raw["letter"]["clauses"])[1:]
    docs = documents_from_layout(Layout(F, "docx", blocks=letter), rules)
    assert [d.kind for d in docs] == ["letter"]
    docs = documents_from_layout(Layout(F, "docx", blocks=[para("说明：请于11月15日前提交。", 0)]), rules)
    assert docs == []


def test_seal_images_follow_their_document(rules):
    blocks = _form_blocks() + _letter_blocks(rules.raw["letter"]["clauses"])
    letter_seal_para = blocks[-2].prov
    form_pic = ImageInfo(blocks[1].prov, 400, 300, 0.0)
    seal = ImageInfo(letter_seal_para, 160, 160, 0.3, looks_like_seal=True)
    docs = documents_from_layout(Layout(F, "docx", blocks=blocks, images=[form_pic, seal]), rules)
    assert docs[0].images == [form_pic] and docs[1].images == [seal]
    assert docs[1].fields["letter_has_seal"] is True and seal.near_seal_label


def test_value_cell_opening_with_a_section_word_stays_in_its_section(rules):
    blocks = grid([[(0, "场景建设概述"), (1, "需求分析：现有产线巡检依赖人工。\n建设内容：……")],
                   [(0, "需求分析"), (1, "功能需求……")]])
    fields, *_ = read_form(blocks, rules)
    assert fields["sections"]["scenario_overview"] == "需求分析：现有产线巡检依赖人工。\n建设内容：……"
    assert fields["sections"]["requirement_analysis"] == "功能需求……"


def test_truthfulness_pledge_ends_the_last_section(rules):
    blocks = grid([[(0, "资金投入"), (1, "总投资500万元。")],
                   [(0, "真实性承诺\n我单位申报的所有材料，均真实、完整。\n负责人签字（章）：", 2)]])
    fields, *_ = read_form(blocks, rules)
    assert fields["sections"]["funding"] == "总投资500万元。"
