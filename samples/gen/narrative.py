"""Narrative sections (二、具体内容) composed from the sentence banks, with 字 counting per SPEC §2."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from . import banks, rules
from .model import Profile

EXTRA_PUNCT = set("“”‘’…—·")
ALTERNATION = re.compile(r"\[\[(.+?)\]\]")
CN_NUMBERS = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 -> 一, 12 -> 十二 (small numbers only)."""
    if n <= 10:
        return CN_NUMBERS[n - 1]
    return "十" + CN_NUMBERS[n - 11]


def _is_cjk_ideograph(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3134F
    )


def _is_wide_punct(ch: str) -> bool:
    cp = ord(ch)
    return 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFFEF or ch in EXTRA_PUNCT


def count_zi(text: str) -> int:
    """Length in 字 as Word's 字数 counts it: ideographs and wide punctuation 1 each, other runs 1."""
    total, in_run = 0, False
    for ch in text:
        if ch.isspace():
            in_run = False
        elif _is_cjk_ideograph(ch) or _is_wide_punct(ch):
            total += 1
            in_run = False
        elif not in_run:
            total += 1
            in_run = True
    return total


def section_text(paragraphs: list[str]) -> str:
    return "\n".join(p.strip() for p in paragraphs if p.strip())


@dataclass
class NarrativeSpec:
    """How a submission's narrative deviates from an ordinary, clean one."""

    windows: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (min, max) 字
    omit_element: str | None = None  # a technical element never mentioned
    omit_topic: str | None = None  # an overview topic left out
    empty: tuple[str, ...] = ()  # sections left without applicant text
    overview_style: int = 0  # 0 "建设背景：…", 1 "（一）建设背景。…", 2 "一、建设背景：…"


DEFAULT_WINDOWS = {
    "lead_unit_intro": (220, 360),
    "scenario_overview": (800, 1150),
    "existing_foundation": (230, 420),
    "requirement_analysis": (320, 620),
    "timeline": (230, 420),
    "stage_goals": (160, 360),
    "funding": (150, 330),
}


def numbers(rng: random.Random, profile: Profile) -> dict[str, object]:
    """The figures the sentences quote, drawn once per submission."""
    r = rng.randint
    return {
        "founded": profile.founded,
        "staff": profile.staff,
        "rnd": profile.rnd_staff,
        "patents": profile.patents,
        "copyrights": profile.copyrights,
        "capital": r(10, 120) * 100,
        "pct": r(55, 80),
        "standards": r(2, 9),
        "growth": r(18, 45),
        "last_year": 2022,
        "city": "上海市",
        "revenue": f"{r(12, 98) / 10:.1f}",
        "rd_ratio": r(8, 18),
        "projects": r(6, 30),
        "colleges": r(12, 22),
        "students": r(8, 30) * 1000,
        "labs": r(3, 12),
        "groups": r(2, 5),
        "beds": r(8, 20) * 100,
        "senior": r(220, 560),
        "specialties": r(2, 8),
        "disciplines": r(4, 12),
        "visits": r(120, 380),
        "emr": r(5, 6),
        "members": r(60, 240),
        "events": r(20, 60),
        "devices": r(8, 40) * 10,
        "models": r(10, 40) * 10,
        "oee": r(5, 12),
        "train": r(30, 50),
        "saving": r(12, 60) * 10,
        "plants": r(3, 8),
        "assets": r(20, 80) * 100,
        "contents": r(12, 40),
        "visitors": r(30, 200),
        "online": r(50, 500),
        "patients": r(5, 30) * 1000,
        "depts": r(6, 18),
        "wait": r(20, 40),
        "plan": r(30, 50),
        "satisfy": r(5, 12),
        "resources": r(40, 160),
        "courses": r(12, 60),
        "engage": r(25, 45),
        "pass_rate": r(8, 15),
        "schools": r(10, 60),
        "net_rate": r(85, 98),
        "cases": r(8, 40) * 10,
        "papers": r(20, 80),
        "headsets": r(6, 20) * 10,
        "hours": r(20, 80) * 100,
        "awards": r(3, 12),
        "concurrent": r(4, 20) * 10,
        "rnd_team": r(15, 45),
        "it_invest": r(8, 50) * 100,
        "docs": r(30, 90) * 10,
        "artists": r(15, 60),
        "wards": r(2, 8),
        "majors": r(40, 70),
        "first_class": r(8, 25),
        "rooms": r(60, 240),
        "specialty": rng.choice(["神经外科", "骨科", "心血管内科", "康复医学科", "消化内科"]),
        "business": {
            "工业": "公司主营业务涵盖工业数字孪生平台、智能质检系统和工业仿真软件，服务汽车、装备和电子等行业客户。",
            "文旅": "公司主营业务涵盖数字展陈、沉浸式演艺和文旅数字内容运营，参与打造了多个城市文旅地标项目。",
            "医疗": "公司主营业务涵盖医学影像后处理、临床辅助决策和互联网医疗服务，产品已进入本市数十家医院。",
            "教育": "公司主营业务涵盖智慧课堂、虚拟实验和学情分析产品，服务本市及长三角地区数百所中小学。",
        }[profile.track],
        "field": {
            "工业": "工业数字孪生和智能制造软件",
            "文旅": "沉浸式数字内容和文旅科技",
            "医疗": "医疗影像智能分析和数字医学",
            "教育": "虚拟仿真教学和智慧教育",
        }[profile.track],
    }


class Composer:
    """Builds the seven sections of one submission."""

    def __init__(self, rng: random.Random, profile: Profile, spec: NarrativeSpec, fill: dict[str, object]):
        self.rng, self.profile, self.spec = rng, profile, spec
        self.fill = dict(numbers(rng, profile))
        self.fill.update(fill)
        self.fill.update(
            obj=profile.obj, site=profile.site, users=profile.users, pain=profile.pain, metric=profile.metric
        )
        elements = rules.rules()["coverage"]["tech_elements"]
        topics = rules.rules()["coverage"]["overview_topics"]
        self.banned = list(elements.get(spec.omit_element, [])) if spec.omit_element else []
        self.banned_overview = list(topics.get(spec.omit_topic, [])) if spec.omit_topic else []
        self.elements = elements

    # -- helpers
    def _fmt(self, sentence: str) -> str:
        """Fill placeholders and pick one variant of every [[a|b|c]] group."""
        sentence = ALTERNATION.sub(lambda m: self.rng.choice(m.group(1).split("|")), sentence)
        return sentence.format_map(self.fill)

    def _allowed(self, text: str, overview: bool = False) -> bool:
        banned = self.banned + (self.banned_overview if overview else [])
        return not any(word in text for word in banned)

    def _pool(self, sentences: list[str], overview: bool = False) -> list[str]:
        out = [self._fmt(s) for s in sentences]
        return [s for s in out if self._allowed(s, overview)]

    def _window(self, key: str) -> tuple[int, int]:
        return self.spec.windows.get(key, DEFAULT_WINDOWS[key])

    def _fit(self, build, pools: list[list[str]], base: list[list[int]], key: str) -> list[str]:
        """Add pool sentences to the required ones until the section lands inside its window."""
        lo, hi = self._window(key)
        if key not in self.spec.windows:
            lo = self.rng.randint(lo, (lo + 2 * hi) // 3)
        best = None
        for _attempt in range(200):
            chosen = [list(b) for b in base]
            candidates = [
                (i, j) for i, pool in enumerate(pools) for j in range(len(pool)) if j not in chosen[i]
            ]
            self.rng.shuffle(candidates)
            for i, j in candidates:
                trial = [list(c) for c in chosen]
                trial[i].append(j)
                if count_zi(section_text(build(trial))) <= hi:
                    chosen = trial
                if count_zi(section_text(build(chosen))) >= lo:
                    break
            length = count_zi(section_text(build(chosen)))
            if lo <= length <= hi:
                return build(chosen)
            if best is None or abs(length - lo) < abs(best[0] - lo):
                best = (length, build(chosen))
        if key not in self.spec.windows and best[0] <= hi:
            return best[1]  # a default window is only a wish; short banks give shorter sections
        raise ValueError(f"{key}: cannot reach window {lo}-{hi}, best {best[0]}")

    # -- sections
    def lead_unit_intro(self) -> list[str]:
        pool = self._pool(banks.INTRO[self.profile.unit_kind])

        def build(chosen):
            picked = sorted(chosen[0])
            return ["".join(pool[j] for j in picked)]

        return self._fit(build, [pool], [[0]], "lead_unit_intro")

    def scenario_overview(self) -> list[str]:
        track = self.profile.track
        topics = ["建设背景", "总体目标", "建设内容", "建设周期", "项目创新点", "预期成效", "拟合作单位"]
        bank = banks.OVERVIEW[track]
        pools: list[list[str]] = []
        for topic in topics:
            sentences = list(bank.get(topic, [])) + list(banks.GENERIC_OVERVIEW.get(topic, []))
            pools.append(self._pool(sentences, overview=True))
        pools[topics.index("建设周期")] = [self._period_sentence()]
        pools[topics.index("拟合作单位")] = self._partner_sentences()
        if self.spec.omit_topic:
            pools[topics.index(self.spec.omit_topic)] = []

        k_content = topics.index("建设内容")
        highlights = self._pool(self.profile.highlights, overview=True)
        pools[k_content] = highlights + pools[k_content]
        must = {topic: [0] if pools[k] else [] for k, topic in enumerate(topics)}
        must["建设内容"] = list(range(len(highlights)))
        must["建设内容"] += self._cover_elements(pools[k_content], must["建设内容"])
        base = [must[t] for t in topics]
        enumerated = {"建设内容", "项目创新点"}
        style = self.spec.overview_style

        def build(chosen):
            out = []
            for k, topic in enumerate(topics):
                if not chosen[k]:
                    continue
                picked = sorted(chosen[k])
                if topic in enumerated:
                    body = "".join(f"{cn_number(n)}是{pools[k][j]}" for n, j in enumerate(picked, start=1))
                else:
                    body = "".join(pools[k][j] for j in picked)
                if style == 1:
                    out.append(f"（{CN_NUMBERS[len(out)]}）{topic}。{body}")
                elif style == 2:
                    out.append(f"{CN_NUMBERS[len(out)]}、{topic}：{body}")
                else:
                    out.append(f"{topic}：{body}")
            return out

        return self._fit(build, pools, base, "scenario_overview")

    def _cover_elements(self, content: list[str], already: list[int]) -> list[int]:
        picked: list[int] = list(already)
        for element, words in self.elements.items():
            if element == self.spec.omit_element:
                continue
            if any(any(w in content[j] for w in words) for j in picked):
                continue
            options = [j for j, s in enumerate(content) if any(w in s for w in words)]
            if not options:
                raise ValueError(f"no sentence covers {element}")
            picked.append(self.rng.choice(options))
        return [j for j in picked if j not in already]

    def _period_sentence(self) -> str:
        start, end = self._span(0, self.profile.months)
        return (
            f"项目建设周期为{self.profile.months}个月，计划于{start}启动，{end}前完成全部建设内容并投入运行，"
            "此后转入常态化运营。"
        )

    def _partner_sentences(self) -> list[str]:
        roles = [
            "平台开发与系统集成",
            "三维建模与数字内容制作",
            "网络与算力保障",
            "数据治理与安全服务",
            "终端适配与交互设计",
        ]
        roles = [r for r in roles if self._allowed(r)]
        self.rng.shuffle(roles)
        partners = self.profile.partners
        parts = [f"{name}（负责{roles[i % len(roles)]}）" for i, name in enumerate(partners)]
        first = f"拟与{'、'.join(parts)}开展合作，各方按照任务分工协同推进。"
        second = "合作各方已签署合作意向书，明确了知识产权归属和成果共享机制。"
        return [s for s in (first, second) if self._allowed(s, overview=True)]

    def existing_foundation(self) -> list[str]:
        pool = self._pool(banks.FOUNDATION[self.profile.track] + banks.GENERIC_FOUNDATION)

        def build(chosen):
            return ["".join(pool[j] for j in sorted(chosen[0]))]

        return self._fit(build, [pool], [[0]], "existing_foundation")

    def requirement_analysis(self) -> list[str]:
        bank = banks.REQUIREMENT[self.profile.track]
        topics = list(bank)
        pools = []
        for topic in topics:
            pool = self._pool(bank[topic] + banks.GENERIC_REQUIREMENT.get(topic, []))
            if topic == "数据需求" and not pool:
                pool = [banks.DATA_NEUTRAL]
            pools.append(pool)
        base = [
            [self.rng.randrange(len(pool))] if topic != "其他需求" else []
            for topic, pool in zip(topics, pools, strict=True)
        ]

        def build(chosen):
            out = []
            for k, topic in enumerate(topics):
                if chosen[k]:
                    body = "".join(pools[k][j] for j in sorted(chosen[k]))
                    out.append(f"（{CN_NUMBERS[len(out)]}）{topic}：{body}")
            return out

        return self._fit(build, pools, base, "requirement_analysis")

    def _phase_months(self) -> list[int]:
        months = self.profile.months
        first = max(2, months // 6)
        last = max(2, months // 6)
        middle = months - first - last
        return [first, middle // 2, middle - middle // 2, last]

    def _span(self, offset: int, length: int) -> tuple[str, str]:
        y, m = self.profile.start

        def ym(k: int) -> str:
            total = y * 12 + (m - 1) + k
            return f"{total // 12}年{total % 12 + 1}月"

        return ym(offset), ym(offset + length - 1)

    def timeline(self) -> list[str]:
        phases = self._phase_months()
        start, end = self._span(0, self.profile.months)
        head = f"项目建设总周期为{self.profile.months}个月，自{start}至{end}，分四个阶段实施。"
        lines, offset = [], 0
        for k, (name, length) in enumerate(zip(banks.PHASES, phases, strict=True)):
            a, b = self._span(offset, length)
            lines.append(f"第{CN_NUMBERS[k]}阶段（{a}—{b}）：{name}。{banks.TIMELINE_PHASE_WORK[name]}。")
            offset += length
        pool = self._pool(banks.GENERIC_TIMELINE)

        def build(chosen):
            tail = "".join(pool[j] for j in sorted(chosen[0]))
            return [head, *lines] + ([tail] if tail else [])

        return self._fit(build, [pool], [[]], "timeline")

    def stage_goals(self) -> list[str]:
        phases = self._phase_months()
        goals = self._pool(banks.STAGE_GOALS[self.profile.track])
        lines, offset = [], 0
        for k, length in enumerate(phases):
            offset += length
            _, end = self._span(0, offset)
            lines.append(f"第{CN_NUMBERS[k]}阶段（截至{end}）：{goals[k]}")
        pool = self._pool(banks.GENERIC_STAGE)

        def build(chosen):
            tail = "".join(pool[j] for j in sorted(chosen[0]))
            return lines + ([tail] if tail else [])

        return self._fit(build, [pool], [[]], "stage_goals")

    def funding(self) -> list[str]:
        total = self.profile.total
        weights = [self.rng.randint(10, 30) for _ in banks.FUNDING_ITEMS]
        amounts = [total * w // sum(weights) // 10 * 10 for w in weights]
        amounts[0] += total - sum(amounts)
        items = "、".join(
            f"{name}{amount}万元" for name, amount in zip(banks.FUNDING_ITEMS, amounts, strict=True)
        )
        own = total * self.rng.choice([60, 65, 70, 75, 80]) // 100
        first = f"项目总投资{total}万元，其中{items}。"
        second = (
            f"资金来源：单位自筹{own}万元，占总投资的{round(own * 100 / total)}%；"
            f"拟申请市级相关专项资金支持{total - own}万元。"
        )
        pool = self._pool(banks.GENERIC_FUNDING)

        def build(chosen):
            tail = "".join(pool[j] for j in sorted(chosen[0]))
            return [first, second] + ([tail] if tail else [])

        return self._fit(build, [pool], [[]], "funding")

    def all_sections(self) -> dict[str, list[str]]:
        out = {}
        for sec in rules.sections():
            text = getattr(self, sec.key)()
            out[sec.key] = [] if sec.key in self.spec.empty else text
        return out


def compose(
    seed: str, profile: Profile, spec: NarrativeSpec, fill: dict[str, object]
) -> dict[str, list[str]]:
    """The seven sections for one submission; deterministic for a given seed."""
    rng = random.Random(seed)
    return Composer(rng, profile, spec, fill).all_sections()


def normalise_width(text: str) -> str:
    return unicodedata.normalize("NFKC", text)
