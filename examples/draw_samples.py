"""Draw the sample catalog's images: two templates and stylized talent portraits with alpha mattes.

Run from the repository root: `python examples/draw_samples.py`. The output is committed, so the demo
never needs this; it is here so every sample pixel has a known, open origin.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).parent


def gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    _, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    return column.resize(size)


def cup(draw: ImageDraw.ImageDraw, x: int, y: int, scale: float) -> None:
    s = scale
    draw.rounded_rectangle((x, y, x + 160 * s, y + 150 * s), radius=int(30 * s), fill=(250, 246, 240))
    draw.ellipse((x + 130 * s, y + 35 * s, x + 200 * s, y + 105 * s), outline=(250, 246, 240), width=int(16 * s))
    draw.rectangle((x + 10 * s, y + 10 * s, x + 150 * s, y + 40 * s), fill=(111, 78, 55))
    for i in range(3):
        cx = x + (40 + 40 * i) * s
        draw.arc((cx - 15 * s, y - 80 * s, cx + 15 * s, y - 10 * s), 100, 260, fill=(255, 255, 255), width=int(5 * s))
    draw.ellipse((x - 30 * s, y + 135 * s, x + 200 * s, y + 175 * s), fill=(230, 220, 205))


def morning_square() -> Image.Image:
    image = gradient((1080, 1080), (255, 214, 153), (226, 124, 62))
    draw = ImageDraw.Draw(image)
    for i in range(14):  # soft sun rays behind the talent
        draw.pieslice((-400, 80, 1200, 1680), 180 + i * 13, 185 + i * 13, fill=(255, 228, 181))
    draw.rectangle((0, 0, 1080, 250), fill=(62, 39, 35))  # headline band
    cup(draw, 760, 560, 1.3)
    draw.rounded_rectangle((640, 880, 1040, 1010), radius=60, fill=(62, 39, 35))  # call-to-action pill
    return image


def summer_banner() -> Image.Image:
    image = gradient((1200, 628), (14, 116, 144), (8, 51, 68))
    draw = ImageDraw.Draw(image)
    draw.ellipse((820, -160, 1320, 340), fill=(22, 140, 170))
    draw.ellipse((-120, 420, 300, 840), fill=(12, 90, 112))
    cup(draw, 560, 380, 0.8)
    draw.rounded_rectangle((50, 450, 470, 560), radius=55, fill=(255, 196, 0))  # call-to-action pill
    return image


SKIN = [(241, 194, 167), (224, 172, 138), (198, 134, 103), (141, 85, 58), (255, 219, 190), (170, 110, 80)]
HAIR = [(40, 26, 18), (92, 58, 33), (20, 20, 20), (180, 130, 70), (120, 70, 40)]
SHIRT = [(196, 62, 48), (52, 101, 164), (46, 125, 50), (245, 245, 245), (90, 60, 140), (240, 170, 40)]


def portrait(seed: int) -> Image.Image:
    """A stylized head-and-shoulders figure on a transparent background, 600x800."""
    rng = random.Random(seed)
    skin, hair, shirt = rng.choice(SKIN), rng.choice(HAIR), rng.choice(SHIRT)
    scale = 4  # draw large, then downsample: smooth, antialiased matte edges
    w, h = 600 * scale, 800 * scale
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    cx = w // 2
    d.rounded_rectangle((cx - 270 * scale, 560 * scale, cx + 270 * scale, 900 * scale), radius=150 * scale, fill=shirt)
    d.rectangle((cx - 55 * scale, 430 * scale, cx + 55 * scale, 590 * scale), fill=skin)
    d.polygon([(cx - 70 * scale, 560 * scale), (cx + 70 * scale, 560 * scale), (cx, 650 * scale)], fill=skin)
    long_hair = rng.random() < 0.5
    if long_hair:
        d.rounded_rectangle((cx - 175 * scale, 150 * scale, cx + 175 * scale, 600 * scale), radius=120 * scale, fill=hair)
    d.ellipse((cx - 150 * scale, 150 * scale, cx + 150 * scale, 520 * scale), fill=skin)
    d.chord((cx - 160 * scale, 120 * scale, cx + 160 * scale, 420 * scale), 180, 360, fill=hair)
    for side in (-1, 1):
        ex = cx + side * 60 * scale
        d.ellipse((ex - 16 * scale, 320 * scale, ex + 16 * scale, 345 * scale), fill=(255, 255, 255))
        d.ellipse((ex - 9 * scale, 323 * scale, ex + 9 * scale, 342 * scale), fill=(50, 35, 25))
        d.line((ex - 28 * scale, 300 * scale, ex + 24 * scale, 296 * scale), fill=hair, width=8 * scale)
    d.arc((cx - 60 * scale, 360 * scale, cx + 60 * scale, 450 * scale), 20, 160, fill=(150, 60, 60), width=9 * scale)
    d.ellipse((cx - 14 * scale, 360 * scale, cx + 14 * scale, 390 * scale),
              fill=tuple(max(0, c - 25) for c in skin))
    if rng.random() < 0.5:  # an apron for the baristas
        d.rounded_rectangle((cx - 150 * scale, 640 * scale, cx + 150 * scale, 900 * scale), radius=30 * scale,
                            fill=(62, 39, 35))
    shade = Image.new("L", (w, h), 0)
    ImageDraw.Draw(shade).ellipse((-w // 2, -h // 4, w, h), fill=60)
    shade = shade.filter(ImageFilter.GaussianBlur(60 * scale))
    rgb = Image.composite(layer, Image.new("RGBA", (w, h), (0, 0, 0, 255)), shade).convert("RGB")
    rgb = Image.blend(layer.convert("RGB"), rgb, 0.25)
    out = rgb.convert("RGBA")
    out.putalpha(layer.getchannel("A"))
    return out.resize((600, 800), Image.Resampling.LANCZOS)


TALENT = [
    ("pt-ana", "PT"), ("pt-joao", "PT"), ("de-lena", "DE"), ("de-jonas", "DE"), ("de-mia-expired", "DE"),
    ("de-paul-revoked", "DE"), ("fr-chloe", "FR"), ("fr-hugo", "FR"), ("mx-sofia", "MX"), ("mx-diego", "MX"),
    ("ae-layla", "AE"), ("ae-omar", "AE"), ("jp-yui", "JP"), ("jp-ren", "JP"), ("il-noa", "IL"), ("il-eitan", "IL"),
]


def main() -> None:
    (HERE / "templates").mkdir(exist_ok=True)
    (HERE / "talent").mkdir(exist_ok=True)
    morning_square().save(HERE / "templates" / "morning-square.png", optimize=True)
    summer_banner().save(HERE / "templates" / "summer-banner.png", optimize=True)
    for i, (talent_id, _) in enumerate(TALENT):
        portrait(1000 + i).save(HERE / "talent" / f"{talent_id}.png", optimize=True)


if __name__ == "__main__":
    main()
