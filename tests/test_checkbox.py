"""The checkbox tables, one row at a time, and the canonicalisation every backend applies."""

from __future__ import annotations

import pytest

from pipeline.extract import checkbox
from pipeline.extract.checkbox import CHECKED, TICK, UNCHECKED, canonicalize, decode_symbol, font_key


@pytest.mark.parametrize(("font", "code", "meaning"), [
    ("Wingdings 2", "R", CHECKED),
    ("Wingdings 2", "S", CHECKED),
    ("Wingdings 2", "T", CHECKED),
    ("Wingdings 2", "£", UNCHECKED),
    ("Wingdings 2", "P", TICK),
    ("Wingdings 2", 0xF052, CHECKED),
    ("Wingdings 2", 0xF0A3, UNCHECKED),
    ("Wingdings", 0xF0FE, CHECKED),
    ("Wingdings", 0xF0A8, UNCHECKED),
    ("Wingdings", 0xF078, CHECKED),
    ("Wingdings", "þ", CHECKED),
    ("Wingdings", "¨", UNCHECKED),
    ("Wingdings", "o", UNCHECKED),
    ("Wingdings", 0xFC, TICK),
    ("Symbol", 0xF0D6, TICK),
    ("ABCDEF+Wingdings2-Regular", "R", CHECKED),  # a subset font name from a PDF
    ("WINGDINGS", 0xFE, CHECKED),
    (None, 0xF0FE, CHECKED),  # private-use code point with no font: Word's default symbol font
    (None, "☒", CHECKED),
    (None, "□", UNCHECKED),
    (None, "✔", TICK),
])
def test_symbol_rows(font, code, meaning):
    assert decode_symbol(font, code) == meaning


@pytest.mark.parametrize(("font", "code"), [
    ("Wingdings", "l"),  # ● a bullet, not a box
    ("Wingdings 2", "A"),
    ("Webdings", "c"),
    ("Wingdings 3", "R"),
])
def test_unknown_symbols_are_undecided(font, code):
    assert checkbox.is_symbol_font(font)
    assert decode_symbol(font, code) is None


@pytest.mark.parametrize(("name", "key"), [
    ("Wingdings 2", "wingdings2"), ("Wingdings", "wingdings"), ("BCDEEE+Wingdings-Regular", "wingdings"),
    ("Wingdings2", "wingdings2"), ("Symbol", "symbol"), ("SimSun", None), ("Times New Roman", None), ("", None),
    (None, None), ("MS Gothic", None),
])
def test_font_key(name, key):
    assert font_key(name) == key


@pytest.mark.parametrize(("checked_val", "has_checked", "default", "state"), [
    (None, True, "0", True),  # <w:checked/>
    ("1", True, "0", True),
    ("true", True, "0", True),
    ("0", True, "1", False),  # w:checked wins over w:default
    ("false", True, None, False),
    (None, False, "1", True),  # only w:default
    (None, False, "0", False),
    (None, False, None, False),
])
def test_legacy_checkbox_state(checked_val, has_checked, default, state):
    assert checkbox.legacy_checkbox_state(checked_val, has_checked, default) is state


@pytest.mark.parametrize(("val", "state"), [("1", True), ("true", True), ("0", False), ("false", False), (None, False)])
def test_content_control_state(val, state):
    assert checkbox.content_control_state(val) is state


@pytest.mark.parametrize(("text", "expected"), [
    ("☑国家机关 □事业单位", "☑国家机关 ☐事业单位"),
    ("☒国家机关 ☐事业单位", "☑国家机关 ☐事业单位"),
    ("■国家机关 □事业单位", "☑国家机关 ☐事业单位"),
    ("√□国家机关 □事业单位", "☑国家机关 ☐事业单位"),
    ("□√国家机关 □事业单位", "☑国家机关 ☐事业单位"),
    ("□ √国家机关 □事业单位", "☑国家机关 ☐事业单位"),
    ("✔国家机关 ☐事业单位", "☑国家机关 ☐事业单位"),
    ("□方向1：元宇宙+产线√\n□方向2：元宇宙+工厂", "☑方向1：元宇宙+产线\n☐方向2：元宇宙+工厂"),
    ("▣其他", "☑其他"),
    ("☐国家机关  ☐事业单位  ✔社会团体  ☐其他", "☐国家机关  ☐事业单位  ☑社会团体  ☐其他"),
    ("☐国家机关√  ☐事业单位", "☑国家机关  ☐事业单位"),
])
def test_canonicalize_checkbox_blocks(text, expected):
    assert canonicalize(text) == expected


@pytest.mark.parametrize("text", [
    "■ 建设背景：产线巡检依赖人工",  # a filled square used as a bullet, no box around
    "本项目满足√要求",
    "",
])
def test_canonicalize_leaves_narrative_alone(text):
    assert canonicalize(text) == text
