"""Fonts from open-licence registry packages (SIL OFL), chosen per text by glyph coverage.

The chain: Noto Sans (Latin, Greek, Cyrillic), Noto Sans Arabic, Heebo (Hebrew), Noto Sans Thai,
Noto Sans Devanagari, Noto Sans Tamil, each with Latin too, and Noto Sans CJK. The CJK collection
holds one face per region (Japan, Korea, Simplified and Traditional Chinese, Hong Kong), each
drawing the region's own forms of the shared characters: the locale picks the face. Last comes
Noto Color Emoji (Debian's `fonts-noto-color-emoji`, installed by `make fonts`; no registry package
ships a colour emoji font that FreeType draws), a bitmap font drawn at its one size and scaled.

A line that no one font covers is split into runs (`runs`): each grapheme cluster goes to the
text's main font when it has the glyphs, else to the first font of the chain that has them."""

from __future__ import annotations

import os
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
# The faces of Noto Sans CJK's variable collection (NotoSansCJK-VF.otf.ttc, weights Thin to Black,
# from the manimgx-fonts-cjk package), by region.
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


# Noto Color Emoji (SIL OFL) from Debian's fonts-noto-color-emoji; ADLOC_EMOJI_FONT names another.
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
EMOJI_SIZE = 109  # px: the one size of the font's colour bitmaps (CBDT), scaled to the text's size
EMOJI_INSTALL = "install Debian's fonts-noto-color-emoji (`make fonts`) for colour emoji"


def emoji_face() -> Face | None:
    """The colour emoji font, None where it is not installed."""
    return _emoji_face(os.environ.get("ADLOC_EMOJI_FONT") or str(EMOJI_FONT))


@cache
def _emoji_face(path: str) -> Face | None:
    return Face(Path(path)) if Path(path).is_file() else None


def is_emoji(face: Face) -> bool:
    return face == emoji_face()


def _cjk_font() -> Path:
    import manimgx_fonts_cjk

    return Path(manimgx_fonts_cjk.__file__).with_name("NotoSansCJK-VF.otf.ttc")


@cache
def _chain(locale: str, emoji: Face | None) -> tuple[Face, ...]:
    faces = (*(Face(_package_font(m)) for m in CHAIN), Face(_cjk_font(), cjk_face(locale)))
    return (*faces, emoji) if emoji else faces


def chain(locale: str = "") -> tuple[Face, ...]:
    """The fonts tried for a locale, in order (the colour emoji font last, where installed)."""
    return _chain(locale, emoji_face())


@cache
def coverage(face: Face) -> frozenset[int]:
    return frozenset(TTFont(str(face.path), lazy=True, fontNumber=face.index).getBestCmap())


# Default-ignorable code points (Unicode's DerivedCoreProperties) that are not format controls
# (category Cf, which covers bidi marks and isolates, ZWJ, ZWNJ and tag characters): variation
# selectors, Mongolian free variation selectors and the Hangul fillers. No font needs to draw them.
_IGNORABLE = (("\ufe00", "\ufe0f"), ("\U000e0100", "\U000e01ef"), ("\u180b", "\u180f"), ("\u115f", "\u1160"),
              ("\u3164", "\u3164"), ("\uffa0", "\uffa0"), ("\u034f", "\u034f"))


def drawn(ch: str) -> bool:
    """Whether a character needs a glyph: not a space, a format control (bidi marks and isolates,
    ZWJ, ZWNJ), a variation selector or another default-ignorable code point."""
    return not ch.isspace() and unicodedata.category(ch) != "Cf" and not any(
        low <= ch <= high for low, high in _IGNORABLE)


def font_for(text: str, locale: str = "") -> Face:
    """The text's main font: the first in the locale's chain with a glyph for every character
    drawn, else the one that covers the most (the others go to fallback runs, see `runs`). The
    emoji font is never the main font: it sets emoji only."""
    needed = {ord(ch) for ch in text if drawn(ch)}
    faces = tuple(f for f in chain(locale) if not is_emoji(f))
    for face in faces:
        if needed <= coverage(face):
            return face
    return max(faces, key=lambda f: len(needed & coverage(f)))


def tofu(text: str, locale: str = "", main: Face | None = None) -> set[str]:
    """The characters drawn that the font their run was given lacks: a cluster no one font covers
    whole (a Hebrew letter with a mark only another font has) is drawn in one font, with boxes."""
    return {text[i] for run in runs(text, locale, main) for i in range(run.start, run.end)
            if drawn(text[i]) and ord(text[i]) not in coverage(run.face)}


def chain_coverage(locale: str = "") -> frozenset[int]:
    """Every code point some font of the locale's chain has a glyph for."""
    return _chain_coverage(chain(locale))


@cache
def _chain_coverage(faces: tuple[Face, ...]) -> frozenset[int]:
    return frozenset().union(*(coverage(f) for f in faces))


class Run(NamedTuple):
    """A stretch of a line set in one font: `start` and `end` index the line (Python characters)."""

    start: int
    end: int
    face: Face


def clusters(text: str) -> list[tuple[int, int]]:
    """The extended grapheme clusters (UAX #29, ICU): an emoji ZWJ sequence, a flag, a base letter
    with its marks, each one (start, end) span."""
    from icu4py.breakers import CharacterBreaker

    spans, start = [], 0
    for cluster in CharacterBreaker(text, "en"):
        spans.append((start, start + len(cluster)))
        start += len(cluster)
    return spans


def pictographic(ch: str) -> bool:
    """A character from the blocks emoji come from: the pictographic planes (U+1F000 to U+1FAFF)
    and the BMP's Miscellaneous Symbols and Dingbats (U+2600 to U+27BF)."""
    return 0x1F000 <= ord(ch) < 0x1FB00 or 0x2600 <= ord(ch) < 0x27C0


def _wants_emoji(cluster: str) -> bool:
    """A cluster shown as an emoji picture: asked for (VS16, a keycap) or a character from the
    pictographic planes (a BMP symbol without VS16 keeps its text glyph where a text font has one)."""
    return "\ufe0f" in cluster or "\u20e3" in cluster or any(ord(ch) >= 0x1F000 and pictographic(ch) for ch in cluster)


def runs(text: str, locale: str = "", main: Face | None = None) -> list[Run]:
    """Split a line into font runs: each grapheme cluster goes to the main font (by default the
    line's `font_for`) when it has the cluster's glyphs (emoji go to the emoji font first), else to
    the first font of the chain that has them; spaces and other clusters without glyphs stay in
    the text run they are in. A line one font covers is one run."""
    faces = chain(locale)
    main = main or font_for(text, locale)
    emoji = emoji_face()
    out: list[Run] = []
    for start, end in clusters(text):
        cluster = text[start:end]
        needed = {ord(ch) for ch in cluster if drawn(ch)}
        if not needed:
            face = out[-1].face if out and out[-1].face != emoji else main
        elif emoji and _wants_emoji(cluster) and needed <= coverage(emoji):
            face = emoji
        elif needed <= coverage(main):
            face = main
        else:  # the first font with the whole cluster, else the first with its base letter
            base = next(ord(ch) for ch in cluster if drawn(ch))
            face = next((f for f in faces if needed <= coverage(f)),
                        main if base in coverage(main) else next((f for f in faces if base in coverage(f)), main))
        if out and out[-1].face == face:
            out[-1] = out[-1]._replace(end=end)
        else:
            out.append(Run(start, end, face))
    return out


@lru_cache(maxsize=256)
def load(face: Face, size: int, weight: str = "Bold") -> ImageFont.FreeTypeFont:
    """The font at `size` px in the named weight where it is variable (the emoji font only exists
    at EMOJI_SIZE: scale what it draws by size / EMOJI_SIZE)."""
    font = ImageFont.truetype(str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.RAQM)
    try:
        names = [n.decode() if isinstance(n, bytes) else n for n in font.get_variation_names()]
    except OSError:  # a static font has no named instances
        names = []
    if weight in names:
        font.set_variation_by_name(weight)
    return font
