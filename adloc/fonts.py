"""Fonts from open-licence registry packages (Noto, SIL OFL), chosen per text by glyph coverage."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import ImageFont


def _package_font(module: str) -> Path:
    package = __import__(module)
    files = sorted(p for p in (package.ROOT / "files").glob("*.ttf") if "Italic" not in p.name)
    if not files:
        raise FileNotFoundError(f"font package {module} ships no .ttf file")
    return files[0]


# Tried in order; the first font that covers every character of a text sets it.
CHAIN = ("fontpkg_noto_sans", "fontpkg_noto_sans_arabic")


@cache
def chain() -> tuple[Path, ...]:
    return tuple(_package_font(m) for m in CHAIN)


@cache
def coverage(path: Path) -> frozenset[int]:
    return frozenset(TTFont(str(path), lazy=True).getBestCmap())


def font_for(text: str) -> Path:
    """The first font in the chain with a glyph for every visible character (else the best one):
    spaces and format controls (bidi marks and isolates, which no glyph draws) do not count."""
    needed = {ord(ch) for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf"}
    fonts = chain()
    for path in fonts:
        if needed <= coverage(path):
            return path
    return max(fonts, key=lambda p: len(needed & coverage(p)))


@lru_cache(maxsize=256)
def load(path: Path, size: int, weight: str = "Bold") -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM)
    names = [n.decode() if isinstance(n, bytes) else n for n in font.get_variation_names()]
    if weight in names:
        font.set_variation_by_name(weight)
    return font
