"""Red round unit seals (公章) drawn with Pillow, and the look of a scanned page."""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SEAL_FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
]
SEAL_RED = (214, 28, 36)


def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in SEAL_FONT_CANDIDATES:
        if Path(path).exists():
            # index 2 of Noto Sans CJK Bold is the Simplified Chinese face
            index = 2 if "NotoSansCJK" in path else 0
            return ImageFont.truetype(path, size, index=index)
    raise FileNotFoundError("no CJK font for the seal")


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill) -> None:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=fill)


def seal_image(unit_name: str, rng: random.Random, size: int = 420) -> Image.Image:
    """A round seal: ring, star, the unit name around the top; uneven ink like a real stamp."""
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    c = size / 2
    ring = size * 0.045
    draw.ellipse((ring / 2, ring / 2, size - ring / 2, size - ring / 2), outline=255, width=int(ring))
    _star(draw, c, c, size * 0.15, 255)

    n = len(unit_name)
    char_px = int(size * (0.125 if n <= 14 else 0.105))
    font = _font(char_px)
    span = min(250.0, 19.0 * n + 10)
    r_text = size / 2 - ring - char_px * 0.72
    for i, ch in enumerate(unit_name):
        a = -span / 2 + span * (i + 0.5) / n  # degrees clockwise from the top
        tile = Image.new("L", (char_px * 2, char_px * 2), 0)
        ImageDraw.Draw(tile).text((char_px, char_px), ch, font=font, fill=255, anchor="mm")
        tile = tile.rotate(-a, resample=Image.BICUBIC)
        x = c + r_text * math.sin(math.radians(a)) - char_px
        y = c - r_text * math.cos(math.radians(a)) - char_px
        img.paste(255, (int(x), int(y)), tile)

    # Uneven ink: drop some coverage, soften edges.
    noise = np.random.default_rng(rng.randrange(2**32)).random((size, size))
    mask = np.asarray(img, dtype=np.float32) / 255.0
    mask *= np.where(noise < 0.12, 0.35, 1.0) * (0.82 + 0.18 * noise)
    alpha = Image.fromarray((mask * 235).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    seal = Image.new("RGBA", (size, size), SEAL_RED + (0,))
    seal.putalpha(alpha)
    return seal.rotate(rng.uniform(-12, 12), resample=Image.BICUBIC)


def seal_png(unit_name: str, rng: random.Random) -> bytes:
    buf = io.BytesIO()
    seal_image(unit_name, rng).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def scanned_page(
    page: Image.Image, rng: random.Random, seal: Image.Image | None, seal_center: tuple[int, int] | None
) -> Image.Image:
    """Make a clean rendered page look scanned: seal, grey paper, noise, a slight skew."""
    page = page.convert("RGB")
    if seal is not None and seal_center is not None:
        ink = Image.new("RGB", page.size, (255, 255, 255))
        x, y = seal_center[0] - seal.width // 2, seal_center[1] - seal.height // 2
        ink.paste(seal.convert("RGB"), (x, y), seal)
        page = Image.fromarray(
            (np.asarray(page, dtype=np.float32) * np.asarray(ink, dtype=np.float32) / 255.0).astype(np.uint8)
        )
    arr = np.asarray(page, dtype=np.float32)
    arr = arr * 0.9 + 14  # lower contrast, grey-ish paper
    gen = np.random.default_rng(rng.randrange(2**32))
    arr += gen.normal(0, 6.0, arr.shape[:2])[..., None]
    specks = gen.random(arr.shape[:2]) < 0.0006
    arr[specks] = 90
    page = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.35))
    return page.rotate(
        rng.uniform(0.55, 0.85) * rng.choice([-1, 1]), resample=Image.BICUBIC, fillcolor=(236, 236, 233)
    )
