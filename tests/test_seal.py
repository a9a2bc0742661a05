"""Seal (red stamp) detection on images: real-looking stamps, and red things that are not stamps."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageDraw

from pipeline.extract.seal import crop_png_b64, find_red_regions, find_seals, image_info

try:
    from .fixtures.pdf.build import _font, draw_seal
except ImportError:  # tests/ run as a plain directory
    from fixtures.pdf.build import _font, draw_seal


@pytest.fixture(scope="module")
def seal_rules(rules):
    """The thresholds the rules file gives ([seal]), as the backends pass them."""
    return float(rules.raw["seal"]["min_red_ratio"]), int(rules.raw["seal"]["min_size_px"])


def _on_white(img: Image.Image, size=(600, 600), at=(150, 150)) -> Image.Image:
    page = Image.new("RGB", size, (255, 255, 255))
    page.paste(img.convert("RGB"), at, img if img.mode == "RGBA" else None)
    return page


@pytest.mark.parametrize("diameter", [90, 160, 320])
@pytest.mark.parametrize("angle", [0, 17])
def test_stamp_pictures_are_seals(seal_rules, diameter, angle):
    seal = draw_seal(diameter, seed=diameter).rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    ratio, looks = image_info(seal, *seal_rules)
    assert looks and ratio > seal_rules[0]


def test_stamp_with_transparency_and_black_text_under_it(seal_rules):
    page = Image.new("RGB", (500, 300), (250, 250, 248))
    d = ImageDraw.Draw(page)
    font = _font(26)
    for i, line in enumerate(["单位（单位盖章）：上海云境数字科技有限公司", "二〇二三年十一月十日"]):
        d.text((20, 80 + 60 * i), line, font=font, fill=(20, 20, 20))
    seal = draw_seal(180)
    page.paste(seal.convert("RGB"), (250, 40), seal)
    ratio, looks = image_info(page, *seal_rules)
    assert looks
    regions = find_seals(page, *seal_rules)
    assert len(regions) == 1
    x0, y0, x1, y1 = regions[0].bbox
    assert abs(x0 - 250) < 15 and abs(y0 - 40) < 15 and abs(x1 - 430) < 15 and abs(y1 - 220) < 15


def test_faded_pink_stamp_is_a_seal(seal_rules):
    faint = draw_seal(200, color=(232, 120, 130))
    assert image_info(_on_white(faint), *seal_rules)[1]


@pytest.mark.parametrize(
    "draw",
    [
        lambda d: d.text(
            (20, 250), "关于征集本市元宇宙重大应用场景需求的通知", font=_font(30), fill=(210, 20, 30)
        ),
        lambda d: d.rectangle((100, 100, 400, 160), fill=(220, 30, 30)),
        lambda d: d.rectangle((100, 100, 400, 400), outline=(220, 30, 30), width=8),
        lambda d: d.line((0, 300, 600, 300), fill=(220, 30, 30), width=12),
        lambda d: d.ellipse((100, 100, 400, 400), outline=(30, 30, 200), width=10),
    ],
    ids=["red-heading", "red-bar", "red-square-frame", "red-rule", "blue-ring"],
)
def test_red_things_that_are_not_seals(seal_rules, draw):
    page = Image.new("RGB", (600, 600), (255, 255, 255))
    draw(ImageDraw.Draw(page))
    assert not image_info(page, *seal_rules)[1]


def test_black_and_white_stamp_is_not_a_red_seal(seal_rules):
    grey = draw_seal(200, color=(40, 40, 40))
    ratio, looks = image_info(_on_white(grey), *seal_rules)
    assert ratio == 0.0 and not looks


def test_thresholds_come_from_the_caller(seal_rules):
    small = _on_white(draw_seal(70), size=(200, 200), at=(60, 60))
    assert image_info(small, *seal_rules)[1]
    assert not image_info(small, seal_rules[0], 120)[1]  # larger minimum size
    assert not image_info(small, 0.9, seal_rules[1])[1]  # a red share no stamp reaches


def test_seal_on_a_page_among_red_text(seal_rules):
    page = Image.new("RGB", (1240, 1754), (252, 252, 250))
    d = ImageDraw.Draw(page)
    d.text((100, 80), "上海市元宇宙重大应用场景建设承诺书", font=_font(48), fill=(200, 20, 30))
    seal = draw_seal(236)
    page.paste(seal.convert("RGB"), (700, 1300), seal)
    regions = find_red_regions(page, seal_rules[1])
    seals = [r for r in regions if r.looks_like_seal(*seal_rules)]
    assert len(seals) == 1 and abs(seals[0].bbox[0] - 700) < 20 and abs(seals[0].bbox[1] - 1300) < 20
    assert any(not r.round for r in regions)  # the red title is found, and not taken for a seal


def test_crop_is_a_small_png(seal_rules):
    seal = draw_seal(400)
    b64 = crop_png_b64(_on_white(seal, size=(800, 800)), (150, 150, 550, 550))
    img = Image.open(io.BytesIO(base64.b64decode(b64)))
    assert img.format == "PNG" and max(img.size) <= 120 and len(b64) < 16_000


def test_regions_are_eight_connected_boxes():
    """Diagonal neighbours join one region; a gap of one cell separates two."""
    import numpy as np

    from pipeline.extract.seal import _components

    grid = np.zeros((6, 8), dtype=bool)
    grid[0, 0] = grid[1, 1] = grid[2, 2] = True  # one diagonal stroke
    grid[0, 5:8] = grid[1, 7] = True  # an L apart from it
    grid[5, 0] = True  # a single cell
    assert sorted(_components(grid)) == [(0, 0, 3, 3), (0, 5, 2, 8), (5, 0, 6, 1)]
