"""jieba with the call's domain terms, and keyword coverage over its tokens."""

from __future__ import annotations

import json
from pathlib import Path

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.validate.coverage import SectionText, compute_coverage, rules_tokenizer
from pipeline.validate.segment import segment, tokenizer

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

    code = (
        "import jieba; from pipeline.config import load_rules; from pipeline.validate.coverage import rules_tokenizer;"
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
