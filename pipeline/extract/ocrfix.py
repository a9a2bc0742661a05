"""Recogniser slips corrected in OCR text: each pattern has one right reading in its context.

Applied to each recognised line (`ocr.recognise`), and again to paragraphs joined from OCR lines
by the PDF backend, since a term may straddle two lines.
"""

from __future__ import annotations

import re

# Recogniser slips with one right reading in context: (pattern, replacement). Applied to each
# recognised box, and again to paragraphs joined from OCR lines (a term may straddle two lines).
TEXT_FIXES = (
    # 〇 read as a digit or letter inside a date in Chinese numerals (二0二三年 → 二〇二三年).
    (re.compile(r"(?<=[一二三四五六七八九十〇])[0OoD○](?=[一二三四五六七八九十〇年])"), "〇"),
    # 孪 alone at the end of a line (no 生 beside it to go by) is read as 李.
    (re.compile(r"数字李生"), "数字孪生"),
    # The lone stroke 一 of the form's label is lost in a narrow cell.
    (re.compile(r"三证合码"), "三证合一码"),
    # A dash between two dates read as the numeral 一 (2023年12月—2024年1月).
    (re.compile(r"(?<=[月日])[一-](?=\d{4}\s*年)"), "—"),
    # 孪 read as 李 before the words 孪生 goes with (在孪生装置上, 孪生模型 …).
    (re.compile(r"李生(?=装置|体|模型|平台|系统|技术|工厂|产线|底座|场景|空间|城市|园区|数据)"), "孪生"),
    # A colon read twice, or a speck before it read as a middle dot (阶段（…）：：完成 / ）·：完成).
    (re.compile(r"：(?:\s*：)+"), "："),
    (re.compile(r"(?<=[）)])·(?=：)"), ""),
)
# Dashes joining short steps inside quotes, read as the numeral 一: “采集一建模一确权一应用”.
_DASH_CHAIN = re.compile(r"“([\u4e00-\u9fff]{2,5}(?:一[\u4e00-\u9fff]{2,5}){2,})”")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _dashes(m: re.Match) -> str:
    """“采集一建模一确权” → “采集—建模—确权” when every step is 2-5 characters and none starts
    or ends with 一 (so “统一标准一体化” and “一江一河” are left alone)."""
    steps = m[1].split("一")
    if len(steps) < 3 or any(not 2 <= len(s) <= 5 for s in steps):
        return m[0]
    return "“" + "—".join(steps) + "”"


def fix_text(text: str) -> str:
    """Known recogniser slips corrected, and straight quotes in Chinese text curled (“…”)."""
    for pattern, repl in TEXT_FIXES:
        text = pattern.sub(repl, text)
    if '"' in text and _CJK.search(text):
        out, depth = [], 0
        for ch in text:
            if ch == "“":
                depth += 1
            elif ch == "”":
                depth = max(0, depth - 1)
            elif ch == '"':
                ch = "”" if depth > 0 else "“"
                depth = depth - 1 if depth > 0 else depth + 1
            out.append(ch)
        text = "".join(out)
    if "一" in text:
        text = _DASH_CHAIN.sub(_dashes, text)
    return text
