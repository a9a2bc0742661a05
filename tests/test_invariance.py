"""Layout invariance (issue #17 item 2): every text sample form, re-rendered in another layout with no
change of content (tests/invariance/transforms.py), gives the same fields and the same findings.

Each form and its variant are read by the real pipeline and validated as one-file submissions;
tests/invariance/compare.py says what is compared and what is not content (file name and format,
provenance, FILE_TYPE_MISMATCH for T9). DOCX forms get every transform; PDF and .doc forms, which
have no DOCX source, only T9. The variants are built once per session, LibreOffice calls batched
(the module takes ~6 minutes on 2 busy cores, most of it LibreOffice and reading the PDFs).
"""

from __future__ import annotations

import pytest

try:
    from .invariance.compare import check_file, compare
    from .invariance.forms import build_all, locate, sample_forms
    from .invariance.transforms import transform_ids
except ImportError:  # tests/ run as a plain directory
    from invariance.compare import check_file, compare
    from invariance.forms import build_all, locate, sample_forms
    from invariance.transforms import transform_ids

pytestmark = pytest.mark.slow

FORMS = sample_forms()
CASES = [(n, tid) for n, (_sid, _path, fmt) in enumerate(FORMS) for tid in transform_ids(fmt)]


@pytest.fixture(scope="session")
def invariance(rules, tmp_path_factory):
    """The forms on disk, their variants (built once), and a memo of the originals as read."""
    tmp = tmp_path_factory.mktemp("invariance")
    sources = locate(FORMS, rules, tmp / "unzipped")
    return {"sources": sources, "variants": build_all(FORMS, sources, tmp / "variants"), "originals": {}}


@pytest.mark.parametrize("n,tid", CASES, ids=[f"{tid}-form{n:02d}" for n, tid in CASES])
def test_layout_invariance(invariance, rules, n, tid):
    sid, path, _fmt = FORMS[n]
    originals = invariance["originals"]
    if n not in originals:
        originals[n] = check_file(invariance["sources"][n], rules)
    variant = check_file(invariance["variants"][(n, tid)], rules)
    result = compare(originals[n], variant, tid)
    assert result.same, f"{sid} / {path}\n{result.report()}"
    assert result.total >= 20, f"{sid} / {path}: only {result.total} fields read"
