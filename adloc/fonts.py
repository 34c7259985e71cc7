"""Fonts from open-licence registry packages (SIL OFL), chosen per text by glyph coverage.

The chain: Noto Sans (Latin, Greek, Cyrillic), Noto Sans Arabic, Heebo (Hebrew), Noto Sans Thai,
Noto Sans Devanagari, Noto Sans Tamil, each with Latin too, and Noto Sans CJK. The CJK collection
holds one face per region (Japan, Korea, Simplified and Traditional Chinese, Hong Kong), each
drawing the region's own forms of the shared characters: the locale picks the face."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from fontTools.ttLib import TTFont
from PIL import ImageFont


class Face(NamedTuple):
    """A font file and, in a collection (.ttc), the face's index."""

    path: Path
    index: int = 0


def _package_font(module: str) -> Path:
    package = __import__(module)
    files = sorted(p for p in (package.ROOT / "files").glob("*.ttf") if "Italic" not in p.name)
    if not files:
        raise FileNotFoundError(f"font package {module} ships no .ttf file")
    return files[0]


# Tried in order; the first font that covers every character of a text sets it.
CHAIN = ("fontpkg_noto_sans", "fontpkg_noto_sans_arabic", "fontpkg_heebo", "fontpkg_noto_sans_thai",
         "fontpkg_noto_sans_devanagari", "fontpkg_noto_sans_tamil")
# The faces of NotoSansCJK-Regular.ttc (noto-cjk-sans-otc), by region.
CJK_FACES = {"JP": 0, "KR": 1, "SC": 2, "TC": 3, "HK": 4}


def cjk_face(locale: str) -> int:
    """The CJK face whose glyph forms the locale reads: Korean, Traditional Chinese (Taiwan, Hant),
    Hong Kong, Simplified Chinese (every other Chinese), else Japanese."""
    from adloc import locale as loc

    try:
        parsed = loc.parse(locale) if locale else None
    except ValueError:
        parsed = None
    if parsed is None:
        return CJK_FACES["JP"]
    if parsed.language == "ko":
        return CJK_FACES["KR"]
    if parsed.language == "zh":
        if parsed.territory == "HK":
            return CJK_FACES["HK"]
        if parsed.script == "Hant" or parsed.territory in ("TW", "MO"):
            return CJK_FACES["TC"]
        return CJK_FACES["SC"]
    return CJK_FACES["JP"]


@cache
def chain(locale: str = "") -> tuple[Face, ...]:
    import noto_cjk_sans_otc

    return (*(Face(_package_font(m)) for m in CHAIN), Face(Path(noto_cjk_sans_otc.FONT_PATH), cjk_face(locale)))


@cache
def coverage(face: Face) -> frozenset[int]:
    return frozenset(TTFont(str(face.path), lazy=True, fontNumber=face.index).getBestCmap())


def drawn(ch: str) -> bool:
    """Whether a character needs a glyph: not a space, a format control (bidi marks and isolates,
    ZWJ, ZWNJ) or a variation selector."""
    return not ch.isspace() and unicodedata.category(ch) != "Cf" and not (
        "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef")


def font_for(text: str, locale: str = "") -> Face:
    """The first font in the locale's chain with a glyph for every character drawn (else the one
    that covers the most)."""
    needed = {ord(ch) for ch in text if drawn(ch)}
    faces = chain(locale)
    for face in faces:
        if needed <= coverage(face):
            return face
    return max(faces, key=lambda f: len(needed & coverage(f)))


@lru_cache(maxsize=256)
def load(face: Face, size: int, weight: str = "Bold") -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.RAQM)
    try:
        names = [n.decode() if isinstance(n, bytes) else n for n in font.get_variation_names()]
    except OSError:  # a static font has no named instances
        names = []
    if weight in names:
        font.set_variation_by_name(weight)
    return font
