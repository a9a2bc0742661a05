"""Fabricated people and contact details: names with pinyin, 021 landlines, mobiles, e-mails."""

from __future__ import annotations

import random

from .model import Person

SURNAMES = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("沈", "shen"),
    ("顾", "gu"),
    ("陆", "lu"),
    ("蒋", "jiang"),
    ("施", "shi"),
    ("金", "jin"),
    ("钱", "qian"),
    ("姚", "yao"),
    ("汪", "wang"),
    ("蔡", "cai"),
]
GIVEN = [
    ("伟", "wei"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("洋", "yang"),
    ("婷", "ting"),
    ("浩然", "haoran"),
    ("思远", "siyuan"),
    ("晓东", "xiaodong"),
    ("佳怡", "jiayi"),
    ("志强", "zhiqiang"),
    ("雪梅", "xuemei"),
    ("建国", "jianguo"),
    ("宇航", "yuhang"),
    ("文杰", "wenjie"),
    ("慧琳", "huilin"),
    ("俊", "jun"),
    ("蕾", "lei"),
    ("子涵", "zihan"),
    ("国华", "guohua"),
    ("一鸣", "yiming"),
    ("倩", "qian"),
    ("振宇", "zhenyu"),
    ("海燕", "haiyan"),
    ("立新", "lixin"),
    ("晨", "chen"),
    ("嘉懿", "jiayi"),
    ("昊", "hao"),
]
MOBILE_PREFIXES = [
    "135",
    "136",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "177",
    "180",
    "186",
    "187",
    "189",
    "199",
]


class Identities:
    """Draws distinct names; every value depends only on the seed."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def name(self) -> tuple[str, str, str]:
        while True:
            (s, sp), (g, gp) = self.rng.choice(SURNAMES), self.rng.choice(GIVEN)
            if s + g not in self.used:
                self.used.add(s + g)
                return s + g, sp, gp

    def landline(self, style: int = 0) -> str:
        first = self.rng.choice("3456")
        number = first + "".join(self.rng.choice("0123456789") for _ in range(7))
        if style == 1:
            return f"021-{number}转{self.rng.randint(801, 899)}"
        if style == 2:
            return f"(021){number}"
        return f"021-{number}"

    def mobile(self, style: int = 0) -> str:
        digits = self.rng.choice(MOBILE_PREFIXES) + "".join(self.rng.choice("0123456789") for _ in range(8))
        if style == 1:
            return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        if style == 2:
            return f"+86 {digits}"
        return digits

    def person(
        self, title: str, domain: str, *, fax: bool = False, phone: bool = True, style: int = 0
    ) -> Person:
        name, sp, gp = self.name()
        local = self.rng.choice([f"{gp}.{sp}", f"{sp}{gp}", f"{sp}.{gp}", f"{sp}_{gp[0]}"])
        return Person(
            name=name,
            title=title,
            phone=self.landline(style % 3 if style else 0) if phone else None,
            mobile=self.mobile(style % 3 if style else 0),
            fax=self.landline() if fax else None,
            email=f"{local}@{domain}",
        )
