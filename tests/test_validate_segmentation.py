"""jieba with the call's domain terms, and keyword coverage over its tokens."""

from __future__ import annotations

import json
from pathlib import Path

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.validate.coverage import SectionText, compute_coverage, rules_tokenizer
from pipeline.validate.segment import HAN_BLOCK, block_cuts, cut_no_hmm, segment, tokenizer

try:
    from .validate_support import RULES
except ImportError:  # tests/ is not a package
    from validate_support import RULES

TERMS = tuple(RULES.raw["segmentation"]["user_terms"])


@pytest.fixture(scope="module")
def tk():
    return rules_tokenizer(RULES)


def words(text: str, tk) -> list[str]:
    return [t.text for t in segment(text, tk)]


def test_plain_jieba_splits_the_domain_terms():
    """Why the user terms exist: a fresh default tokenizer cuts them apart."""
    plain = jieba.Tokenizer()
    assert list(plain.cut("元宇宙", HMM=False)) == ["元", "宇宙"]
    assert list(plain.cut("数字孪生产线", HMM=False)) == ["数字", "孪", "生产线"]


def test_domain_terms_stay_whole(tk):
    assert words("数字孪生产线", tk) == ["数字孪生", "产线"]
    assert "元宇宙" in words("打造工业元宇宙虚拟装配空间", tk)
    for term in TERMS:
        assert term in words(f"我们建设{term}平台", tk), term


def test_the_global_jieba_tokenizer_is_not_changed(tk):
    assert tk is not jieba.dt
    assert list(jieba.cut("元宇宙", HMM=False)) == ["元", "宇宙"]


def test_one_tokenizer_per_process_and_term_list(tk):
    assert rules_tokenizer(RULES) is tk
    assert tokenizer(("元宇宙",)) is tokenizer(("元宇宙",))
    assert tokenizer(("元宇宙",)) is not tk


def test_token_offsets_point_into_the_text(tk):
    text = "基于5G与AR/VR的数字孪生产线"
    for t in segment(text, tk):
        assert text[t.start:t.end] == t.text
    assert ["5G", "AR", "VR"] == [t.text for t in segment(text, tk) if t.text.isascii() and t.text.isalnum()]


def coverage(**sections):
    return compute_coverage(sections, RULES)


def terms(cov, group: str, name: str) -> list[str]:
    return [h["term"] for h in cov[group][name]]


def test_latin_synonyms_match_whole_tokens_case_insensitively():
    cov = coverage(scenario_overview="采用AIGC生成内容，并以ai赋能质检；部署Xr终端。")
    assert terms(cov, "key_technologies", "人工智能") == ["ai"]  # not the AI inside AIGC
    assert terms(cov, "tech_elements", "内容生产") == ["AIGC"]
    assert terms(cov, "key_technologies", "扩展现实") == ["Xr"]


def test_full_width_latin_is_folded():
    cov = coverage(scenario_overview="建设５Ｇ专网")
    assert terms(cov, "tech_elements", "网络与计算") == ["５Ｇ"]


def test_multi_token_synonyms_match_consecutive_tokens():
    cov = coverage(scenario_overview="推进数据共享和隐私计算，实现人机交互。")
    assert terms(cov, "tech_elements", "数据流通") == ["数据共享", "隐私计算"]
    assert terms(cov, "tech_elements", "感知交互") == ["人机交互"]


def test_a_synonym_inside_a_longer_term_is_not_counted_again():
    cov = coverage(scenario_overview="数字孪生产线")
    assert terms(cov, "tech_elements", "数字孪生") == ["数字孪生"]  # not also 孪生
    assert cov["track_terms"]["工业"] == {"产线": 1}


def test_hits_record_section_and_offsets():
    text = "一、建设背景：略。二、建设内容：建设数字孪生平台。"
    cov = coverage(scenario_overview=text, existing_foundation="已建成数字孪生实验室。")
    hits = cov["tech_elements"]["数字孪生"]
    assert [(h["section"], h["term"]) for h in hits] == [("scenario_overview", "数字孪生"), ("existing_foundation", "数字孪生")]
    h = hits[0]
    assert text[h["start"]:h["end"]] == "数字孪生"
    assert cov["overview_topics"]["建设背景"][0]["start"] == text.index("建设背景")


def test_overview_topics_are_read_only_from_the_overview():
    cov = coverage(scenario_overview="项目背景如下。", existing_foundation="总体目标、建设内容、建设周期")
    assert cov["missing_overview_topics"] == ["总体目标", "建设内容", "建设周期", "项目创新点", "预期成效", "拟合作单位"]


def test_track_scores_and_guess():
    cov = coverage(scenario_overview="医院患者的临床诊疗与护理，医生远程会诊。", timeline="学校课堂")
    # 临床诊疗 is a user term, one token, so neither 临床 nor 诊疗 counts inside it
    assert cov["track_terms"]["医疗"] == {"医生": 1, "医院": 1, "患者": 1, "护理": 1}
    assert cov["track_scores"]["医疗"] == 4 and cov["track_scores"]["教育"] == 2
    assert cov["track_guess"] == "医疗"


def test_sections_outside_the_narrative_list_are_not_read():
    cov = coverage(funding="建设数字孪生平台")
    assert cov["tech_elements"]["数字孪生"] == [] and cov["sections_read"] == []


def test_tokenizer_is_quiet_and_caches_its_dictionary_in_a_writable_temp_dir(tmp_path):
    """Built in a fresh process with TMPDIR pointing at tmp_path: nothing on stderr, the cache
    file lands in our own folder there, and the global jieba tokenizer stays uninitialised."""
    import os
    import subprocess
    import sys

    code = (  # without the installed dictionary cache (see the next tests), so that jieba builds
        "import jieba, pathlib; from pipeline.config import load_rules; from pipeline.validate.coverage import rules_tokenizer;"
        "import pipeline.validate.segment as s; s.installed_dictionary_cache = lambda: pathlib.Path('/nonexistent');"
        "tk = rules_tokenizer(load_rules()); print(tk.tmp_dir); print(jieba.dt.initialized)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    tmp_dir, global_initialised = proc.stdout.split()
    assert tmp_dir == str(tmp_path / "pipeline-jieba")
    assert (tmp_path / "pipeline-jieba" / "jieba.cache").is_file()
    assert global_initialised == "False"


def test_dictionary_read_from_jiebas_cache_file_equals_a_fresh_build(tmp_path, monkeypatch):
    """The cache file jieba writes on its first build is what the next tokenizer in that folder reads
    (jieba reads it itself, leaving it as it was); a damaged file is rebuilt by jieba."""
    import os

    import jieba

    from pipeline.validate import segment as seg
    from pipeline.validate.segment import _initialize

    monkeypatch.setattr(seg, "installed_dictionary_cache", lambda: tmp_path / "not-installed")

    def tokenizer() -> jieba.Tokenizer:
        tk_ = jieba.Tokenizer()
        tk_.tmp_dir = str(tmp_path)
        _initialize(tk_)
        return tk_

    built = tokenizer()
    cache = tmp_path / "jieba.cache"
    assert cache.is_file() and built.initialized
    os.utime(cache, ns=(1_900_000_000_000_000_000, 1_900_000_000_000_000_000))
    read = tokenizer()
    assert cache.stat().st_mtime_ns == 1_900_000_000_000_000_000  # read, not written again
    assert read.initialized and read.total == built.total and read.FREQ == built.FREQ
    assert read.lcut("元宇宙数字孪生", HMM=False) == built.lcut("元宇宙数字孪生", HMM=False)
    cache.write_bytes(b"\x00damaged")
    again = tokenizer()
    assert again.initialized and again.FREQ == built.FREQ
    assert cache.stat().st_size > 1_000_000  # jieba wrote it again


def _boundaries_by_segmenting_everything(text: str, tk) -> tuple[set[int], set[int]]:
    tokens = segment(text, tk)
    return {t.start for t in tokens}, {t.end for t in tokens}


def _lazy_boundaries(text: str, tk) -> tuple[set[int], set[int]]:
    st_ = SectionText("k", text, tk)
    return ({i for i in range(len(st_.folded) + 1) if st_.starts_token(i)},
            {i for i in range(len(st_.folded) + 1) if st_.ends_token(i)})


def test_block_by_block_segmentation_equals_segmenting_the_whole_text(tk):
    """Coverage segments only the blocks a synonym occurrence touches; the token boundaries must be
    those of cutting the whole text, on every sample narrative."""
    samples = json.loads((Path(__file__).parent.parent / "samples" / "expected.json").read_text("utf-8"))
    texts = [t for sub in samples["submissions"].values()
             for t in ((sub.get("fields") or {}).get("sections") or {}).values() if isinstance(t, str) and t]
    assert len(texts) > 20
    for text in texts:
        folded = SectionText("k", text, tk).folded
        assert _lazy_boundaries(text, tk) == _boundaries_by_segmenting_everything(folded, tk)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("数字孪生元宇宙平台产线AIGC5g+#&._%- \r\n\t，。、/（）:①\u3000ａＢ")), max_size=40))
def test_block_boundaries_on_mixed_text(tk, text):
    folded = SectionText("k", text, tk).folded
    assert _lazy_boundaries(text, tk) == _boundaries_by_segmenting_everything(folded, tk)


# --- Block by block (segment.block_cuts, as coverage cuts) against jieba on the whole text ---------


def _sample_texts() -> list[str]:
    samples = json.loads((Path(__file__).parent.parent / "samples" / "expected.json").read_text("utf-8"))
    return [t for sub in samples["submissions"].values()
            for t in ((sub.get("fields") or {}).get("sections") or {}).values() if isinstance(t, str) and t]


SAMPLE_CHARS = sorted(set("".join(_sample_texts())))
ALPHABET = SAMPLE_CHARS + [c for c in map(chr, range(32, 127)) if c not in SAMPLE_CHARS] + list("\r\n\t\u3000\x0b\x1c\x85")


def jieba_tokens(text: str, tk) -> list[tuple[str, int, int]]:
    return list(tk.tokenize(text, HMM=False))


def assert_same_as_jieba(text: str, tk) -> None:
    expected = jieba_tokens(text, tk)
    assert cut_no_hmm(text, tk) == expected, text
    assert [(t.text, t.start, t.end) for t in segment(text, tk)] == [w for w in expected if w[0].strip()], text
    for m in HAN_BLOCK.finditer(text):  # one block on its own, as coverage cuts it
        block = m.group()
        ends = [e for _, _, e in jieba_tokens(block, tk)]
        assert block_cuts(block, tk) == [0] + ends, block


def test_the_block_patterns_are_jiebas():
    assert "(" + HAN_BLOCK.pattern + ")" == jieba.re_han_default.pattern


def test_fast_path_equals_jieba_on_every_sample_narrative(tk):
    texts = _sample_texts()
    assert len(texts) > 20
    blocks = 0
    for text in texts:
        folded = SectionText("k", text, tk).folded
        assert_same_as_jieba(text, tk)
        assert_same_as_jieba(folded, tk)
        blocks += len(HAN_BLOCK.findall(folded))
        # coverage's boundaries, straight from jieba on the whole text
        tokens = [w for w in jieba_tokens(folded, tk) if w[0].strip()]
        assert _lazy_boundaries(text, tk) == ({s for _, s, _ in tokens}, {e for _, _, e in tokens})
    assert blocks > 1000


def test_fast_path_equals_jieba_on_all_sample_text_as_one_long_block(tk):
    text = "".join(HAN_BLOCK.findall("".join(_sample_texts())))
    assert len(text) > 20_000 and HAN_BLOCK.fullmatch(text)
    assert_same_as_jieba(text, tk)


ADVERSARIAL = [
    "", " ", "\r\n", "\r\r\n\n", "\n\r", "\t\u3000\x0b\x1c\x85 ", "，。、", "a", "的",
    "的" * 1000, "a" * 500, "7" * 300, "-" * 50, "%%%", ".", "+#&._%-",
    "AIGC", "aigc", "5G", "5g", "AR/VR", "AI赋能", "ai+5G+xr", "3.14%的A股", "C++与C#开发", "x86-64架构",
    "abc123数字孪生xyz", "元宇宙2.0版本", "１２３ＡＢＣ数字", "数字孪生产线", "元宇宙宇宙元",
    "数 字 孪 生", "数字\r\n孪生", "数字\r孪生\n产线", "（数字孪生）【元宇宙】“产线”",
    "研究生命起源", "结婚的和尚未结婚的", "南京市长江大桥", "工信处女干事每月经过下属科室",
]


def test_fast_path_equals_jieba_on_adversarial_strings(tk):
    overlaps = [a + b for a in TERMS for b in TERMS] + [a + b[1:] for a in TERMS for b in TERMS if b and a.endswith(b[0])]
    runs = [c * n for c in ("数", "生", "A", "0", "宇", "元") for n in (1, 2, 3, 7, 64)]
    mixed = ["".join(TERMS), " ".join(TERMS), "，".join(TERMS), "a".join(TERMS), "".join(TERMS) * 20]
    for text in ADVERSARIAL + list(TERMS) + overlaps + runs + mixed:
        assert_same_as_jieba(text, tk)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=80))
def test_fast_path_equals_jieba_on_random_text(tk, text):
    assert_same_as_jieba(text, tk)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TERMS), st.text(alphabet=st.sampled_from(ALPHABET), max_size=6)), max_size=12))
def test_fast_path_equals_jieba_on_runs_of_user_terms(tk, pieces):
    assert_same_as_jieba("".join(pieces), tk)


@pytest.fixture(scope="module")
def private_tk(tk):
    """A tokenizer of our own, safe to change (the rules' one is shared by the whole process)."""
    own = jieba.Tokenizer()
    own.tmp_dir = tk.tmp_dir  # its dictionary cache: no rebuild
    own.initialize()
    assert len(own.FREQ) > 100_000
    return own


def _unknown_han(tk, k: int) -> list[str]:
    chars = [c for c in map(chr, range(0x9FD5, 0x4E00, -1)) if c not in tk.FREQ]
    assert len(chars) >= k
    return chars[:k]


def test_equal_scores_go_to_the_longer_word_as_in_jieba(private_tk):
    """X+YZ and XY+Z score exactly the same (the same two floats added); jieba's max over
    (score, end) takes the larger end, so XY+Z."""
    x, y, z = _unknown_han(private_tk, 3)
    assert jieba_tokens(x + y + z, private_tk) == [(x, 0, 1), (y, 1, 2), (z, 2, 3)]  # unknown chars
    for word, freq in ((x, 50), (z, 50), (x + y, 7), (y + z, 7)):
        private_tk.add_word(word, freq=freq)
    assert [w for w, _, _ in jieba_tokens(x + y + z, private_tk)] == [x + y, z]
    assert_same_as_jieba(x + y + z, private_tk)
    assert_same_as_jieba(f"甲{x}{y}{z}{x}{y}{z}{y}{z}乙", private_tk)


def test_words_added_or_removed_later_are_seen(private_tk):
    """Words added or removed after the first cuts count from then on (add_word / del_word)."""
    a, b = _unknown_han(private_tk, 5)[3:5]
    text = f"元宇宙{a}{b}数字孪生产线"
    assert_same_as_jieba(text, private_tk)
    private_tk.add_word(a + b, freq=3)
    assert_same_as_jieba(text, private_tk)
    assert (a + b) in [w for w, _, _ in cut_no_hmm(text, private_tk)]
    private_tk.add_word("宇宙数字", freq=10**9)  # a new total: every score changes
    assert_same_as_jieba(text + "宇宙数字", private_tk)
    private_tk.del_word(a + b)  # FREQ 0, total unchanged
    assert_same_as_jieba(text, private_tk)
    assert (a + b) not in [w for w, _, _ in cut_no_hmm(text, private_tk)]


def test_fast_path_rejects_bytes_as_jieba_does(tk):
    with pytest.raises(ValueError):
        list(tk.tokenize(b"abc", HMM=False))
    with pytest.raises(ValueError):
        cut_no_hmm(b"abc", tk)


def test_a_new_total_is_seen(private_tk):
    """The word PQ (freq 1) beats P + Q (freq G each) iff 1 * total > G * G: with G * G = 4 * total
    the pair is cut apart, and after a word raising the total tenfold, joined, in jieba and here."""
    from math import isqrt

    p, q = _unknown_han(private_tk, 8)[6:8]
    g = isqrt(4 * private_tk.total)
    for word, freq in ((p, g), (q, g), (p + q, 1)):
        private_tk.add_word(word, freq=freq)
    text = f"的{p}{q}的"
    assert [w for w, _, _ in jieba_tokens(text, private_tk)] == ["的", p, q, "的"]
    assert_same_as_jieba(text, private_tk)
    private_tk.add_word(_unknown_han(private_tk, 1)[0] * 2, freq=10 * private_tk.total)
    assert [w for w, _, _ in jieba_tokens(text, private_tk)] == ["的", p + q, "的"]
    assert_same_as_jieba(text, private_tk)


def test_dictionary_cache_made_at_install_time_is_read_and_a_stale_one_is_not(tmp_path, monkeypatch):
    """`prebuild` (run by `make setup`) keeps the default dictionary inside the environment; a tokenizer
    whose own cache folder is empty reads it instead of building (so jieba writes nothing there). One
    older than jieba's dictionary file (jieba upgraded since) is passed over; a damaged one is rebuilt
    in place by jieba."""
    import os

    import jieba

    from pipeline.validate import segment as seg

    installed = seg.prebuild(tmp_path / "share" / "jieba.cache")
    monkeypatch.setattr(seg, "installed_dictionary_cache", lambda: installed)
    reference = jieba.Tokenizer()
    reference.tmp_dir = str(tmp_path / "reference")
    reference.initialize()

    def fresh(folder: str) -> jieba.Tokenizer:
        tk_ = jieba.Tokenizer()
        tk_.tmp_dir = str(tmp_path / folder)
        os.makedirs(tk_.tmp_dir)
        seg._initialize(tk_)
        return tk_

    read = fresh("run-a")
    assert read.initialized and read.FREQ == reference.FREQ and read.total == reference.total
    assert os.listdir(tmp_path / "run-a") == []  # nothing built, so nothing written
    dictionary_mtime = os.stat(seg._dictionary_file()).st_mtime
    os.utime(installed, (dictionary_mtime - 1, dictionary_mtime - 1))
    built = fresh("run-b")
    assert built.FREQ == reference.FREQ and os.listdir(tmp_path / "run-b") == ["jieba.cache"]
    installed.write_bytes(b"\x00damaged")
    os.utime(installed)  # newer than the dictionary again, but damaged: jieba builds and writes it anew
    assert fresh("run-c").FREQ == reference.FREQ and os.listdir(tmp_path / "run-c") == []
    assert fresh("run-d").FREQ == reference.FREQ and os.listdir(tmp_path / "run-d") == []
