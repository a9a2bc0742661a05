"""Scanned pages' OCR is cached by the page image's hash in the run's result cache (issue #18):
the same page again, in this file or another, is not read a second time."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.cache import ResultCache, cache_context
from pipeline.extract import ExtractOptions, extract_file, ocr
from pipeline.extract.pdf import OCR_PAGE_KIND
from pipeline.safety import Limits

try:
    from .conftest import SAMPLE_BATCH
except ImportError:  # tests/ run as a plain directory
    from conftest import SAMPLE_BATCH

pytestmark = pytest.mark.skipif(not ocr.engine_available(), reason="needs the OCR engine")

LETTER = SAMPLE_BATCH / "上海静安声光演艺有限公司-苏河湾虚拟演艺沉浸剧场" / "附件2-建设承诺书（盖章扫描件）.pdf"


def _letter(res):
    (doc,) = [d for d in res.documents if d.kind == "letter"]
    return doc


def test_a_page_read_once_is_taken_from_the_cache(rules, tmp_path, monkeypatch):
    cache = ResultCache(tmp_path / "cache", cache_context(rules.sha256, True, Limits()))
    opts = ExtractOptions(page_cache=(str(cache.root), json.dumps(cache.context, sort_keys=True)))
    first = extract_file(LETTER, LETTER.name, rules, opts)
    assert first.source.ocr and not first.problems
    assert len(list((cache.dir / OCR_PAGE_KIND).rglob("*.pkl"))) == 1

    # The same page in another file, with an OCR engine that fails on every page: read from the cache.
    other = tmp_path / "另一份承诺书.pdf"
    shutil.copyfile(LETTER, other)
    monkeypatch.setenv(ocr.FAULT_ENV, "error")
    again = extract_file(other, other.name, rules, opts)
    assert not again.problems
    assert _letter(again).fields == _letter(first).fields
    assert [n.message for n in again.notes] == [n.message for n in first.notes]

    # Without the cache the failing engine is used, and the page is unread.
    uncached = extract_file(other, other.name, rules, ExtractOptions())
    assert [p.rule for p in uncached.problems] == ["EXTRACTION_INCOMPLETE"]
