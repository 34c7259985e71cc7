"""Render stage: set the localized copy into the template's text slots (raqm shaping and bidi,
font fallback by runs, line breaking by UAX #14, shrink-to-fit) and run the layout checks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from adloc import bidi, fonts
from adloc import locale as loc
from adloc.checks.layout import (
    check_contrast,
    check_direction,
    check_face_clear,
    check_fits,
    check_glyphs,
    relative_luminance,
    text_direction,
)
from adloc.records import KeepClear, TextSlot

LINE_SPACING = 1.2
CAP_HEIGHT = 0.71  # of the font size: the capitals of both Noto fonts (714 of 1000 units)
DESCENDER = 0.3  # of the font size: Noto Sans's descent at these sizes


@dataclass(frozen=True)
class Layout:
    size: int
    lines: tuple[str, ...]
    fits: bool
    direction: str


def direction_of(text: str, locale: str) -> str:
    """The paragraph direction (see `text_direction`); raqm applies the bidi algorithm within it."""
    return text_direction(text, loc.is_rtl(locale))


def _segments(text: str, locale: str, phrases: bool = True) -> list[str]:
    """The line-break opportunities of UAX #14 (ICU, through icu4py): between words, inside Thai,
    Lao, Khmer and Burmese by ICU's dictionaries, and in Japanese and Chinese between characters
    but never before a closing bracket or small kana (strict breaking). With `phrases`, Japanese
    breaks only between phrases (ICU's `lw=phrase`: "アイスコーヒーで|ひと休み", not inside "ひと休み")
    and Korean only at spaces (keep-all), as headlines are set. Each segment keeps its trailing
    spaces."""
    from icu4py.breakers import LineBreaker

    language = loc.language(locale) if locale else "en"
    keywords = {"ja": "lb=strict;lw=phrase" if phrases else "lb=strict", "zh": "lb=strict"}.get(language, "")
    segments = list(LineBreaker(text, f"{language}@{keywords}" if keywords else language))
    if language == "ko" and phrases:
        # keep-all: ICU's binding ignores `lw=keepall`, so join what it gives up to each space.
        words: list[str] = []
        for segment in segments:
            if words and not words[-1][-1].isspace():
                words[-1] += segment
            else:
                words.append(segment)
        return words
    return segments


@dataclass(frozen=True)
class Setter:
    """Sets the lines of one slot's text: its main font (`fonts.font_for` of the whole text), size
    and weight, the paragraph direction and language. A line the main font covers is measured and
    drawn by raqm in one call; a line with fallback runs (an emoji, another script) piece by piece
    in bidi order (`adloc.bidi`), the emoji font's bitmaps scaled from EMOJI_SIZE to the size."""

    main: fonts.Face
    size: int
    weight: str
    direction: str
    language: str
    locale: str

    @property
    def font(self):
        return fonts.load(self.main, self.size, self.weight)

    def _pieces(self, line: str) -> tuple[bidi.Piece, ...] | None:
        return _pieces(line, self.locale, self.main, self.direction, fonts.emoji_face())

    def _piece_length(self, text: str, face: fonts.Face, rtl: bool) -> float:
        direction = "rtl" if rtl else "ltr"
        if fonts.is_emoji(face):
            font = fonts.load(face, fonts.EMOJI_SIZE)
            return font.getlength(text, direction=direction) * self.size / fonts.EMOJI_SIZE
        return fonts.load(face, self.size, self.weight).getlength(text, direction=direction, language=self.language)

    def length(self, line: str) -> float:
        """The line's advance width in px."""
        pieces = self._pieces(line)
        if pieces is None:
            return self.font.getlength(line, direction=self.direction, language=self.language)
        return sum(self._piece_length(line[p.start : p.end], p.key, p.rtl) for p in pieces)

    def draw(self, canvas: Image.Image, left: float, baseline: float, line: str, colour) -> None:
        """Draw a line from `left` on the baseline (px)."""
        draw = ImageDraw.Draw(canvas)
        pieces = self._pieces(line)
        if pieces is None:
            draw.text((left, baseline), line, font=self.font, fill=colour, direction=self.direction,
                      language=self.language, anchor="ls")
            return
        x = left
        for piece in pieces:
            text = line[piece.start : piece.end]
            width = self._piece_length(text, piece.key, piece.rtl)
            if fonts.is_emoji(piece.key):
                _draw_emoji(canvas, text, x, baseline, self.size, piece.rtl)
            elif text.strip():
                draw.text((x, baseline), text, font=fonts.load(piece.key, self.size, self.weight), fill=colour,
                          direction="rtl" if piece.rtl else "ltr", language=self.language, anchor="ls")
            x += width


@lru_cache(maxsize=4096)
def _pieces(line: str, locale: str, main: fonts.Face, direction: str, emoji: fonts.Face | None) -> tuple[bidi.Piece, ...] | None:
    """A line's pieces in visual order (None when the main font sets it all); `emoji` is part of
    the key because the runs depend on whether the emoji font is installed."""
    runs = fonts.runs(line, locale, main)
    if len(runs) == 1 and runs[0].face == main:
        return None
    keys = [None] * len(line)
    for run in runs:
        keys[run.start : run.end] = [run.face] * (run.end - run.start)
    return tuple(bidi.pieces(line, keys, direction == "rtl"))


def _draw_emoji(canvas: Image.Image, text: str, left: float, baseline: float, size: int, rtl: bool) -> None:
    """Colour emoji: drawn at the font's bitmap size, scaled to `size` (Lanczos), pasted with alpha
    so that the baselines meet."""
    font = fonts.load(fonts.emoji_face(), fonts.EMOJI_SIZE)
    ascent, descent = font.getmetrics()
    width = max(1, round(font.getlength(text, direction="rtl" if rtl else "ltr")))
    sprite = Image.new("RGBA", (width, ascent + descent), (0, 0, 0, 0))
    ImageDraw.Draw(sprite).text((0, ascent), text, font=font, embedded_color=True, anchor="ls",
                                direction="rtl" if rtl else "ltr")
    scale = size / fonts.EMOJI_SIZE
    scaled = sprite.resize((max(1, round(width * scale)), max(1, round((ascent + descent) * scale))),
                           Image.Resampling.LANCZOS)
    canvas.paste(scaled.convert("RGB"), (round(left), round(baseline - ascent * scale)), mask=scaled.getchannel("A"))


def _wrap(text: str, setter: Setter, width: int, phrases: bool = True) -> list[str]:
    """Greedy line filling at the break opportunities; a segment wider than the line (one long
    word) stays whole, and makes the size shrink."""
    lines: list[str] = []
    for segment in _segments(text, setter.locale or setter.language, phrases):
        candidate = (lines[-1] + segment) if lines else segment
        if lines and setter.length(candidate.rstrip()) <= width:
            lines[-1] = candidate
        else:
            lines.append(segment)
    return [line.strip() for line in lines if line.strip()]


def setter_for(text: str, slot: TextSlot, locale: str, size: int, main: fonts.Face | None = None) -> Setter:
    """The setter of a slot's text at `size` px; `main`: its main font where the caller has it."""
    return Setter(main or fonts.font_for(text, locale), size, slot.weight, direction_of(text, locale),
                  loc.language(locale), locale)


def layout(text: str, slot: TextSlot, locale: str) -> Layout:
    """The largest size between the slot's max and min at which the wrapped text fits its box:
    broken between phrases where the language has them (Japanese, Korean), else, when no size
    fits that way, at every opportunity."""
    _, _, width, height = slot.box
    direction, main = direction_of(text, locale), fonts.font_for(text, locale)
    lines: list[str] = []
    for phrases in (True, False) if loc.language(locale) in ("ja", "ko") else (True,):
        for size in range(slot.max_size, slot.min_size - 1, -1):
            setter = setter_for(text, slot, locale, size, main)
            lines = _wrap(text, setter, width, phrases)
            widest = max((setter.length(line) for line in lines), default=0)
            if widest <= width and len(lines) * size * LINE_SPACING <= height:
                return Layout(size, tuple(lines), True, direction)
    return Layout(slot.min_size, tuple(lines), False, direction)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


SCRIM_OPACITIES = (0.35, 0.5, 0.65, 0.8)


def _scrim(region: np.ndarray, text_rgb: tuple[int, int, int], size: int) -> tuple[np.ndarray, float] | None:
    """The lightest dark (or, behind dark text, light) scrim under which the text reaches the WCAG
    ratio: (the region with it, its opacity); None when even the densest is not enough."""
    luminance = float(relative_luminance(np.array(text_rgb)))
    shade = np.array((0, 0, 0) if luminance > 0.18 else (255, 255, 255), dtype=np.float64)
    for opacity in SCRIM_OPACITIES:
        covered = np.rint(region[..., :3] * (1 - opacity) + shade * opacity).astype(np.uint8)
        if check_contrast("", text_rgb, covered, size).passed:
            return covered, opacity
    return None


def render(image: np.ndarray, copy: dict[str, str], slots: tuple[TextSlot, ...], locale: str,
           keep_clear: KeepClear | None = None) -> tuple[np.ndarray, list]:
    """Draw each slot's text; returns the new image and the layout checks. Where the text would not
    reach the WCAG contrast ratio on the picture, a scrim goes under it first (the check says so).
    With `keep_clear` (an item with talent), the face check: no text block, scrim or logo over the
    talent's face, no crop through it."""
    out = image.copy()
    placed = []
    checks = []
    blocks: dict[str, tuple[int, int, int, int]] = {}
    for slot in slots:
        text = copy.get(slot.name, "")
        if not text.strip():
            continue
        x, y, width, height = slot.box
        result = layout(text, slot, locale)
        setter = setter_for(text, slot, locale, result.size)
        align = slot.align
        if result.direction == "rtl" and align != "center":
            align = "end" if align == "start" else "start"  # start and end follow the reading order
        line_height = result.size * LINE_SPACING
        top = y + (height - line_height * len(result.lines)) / 2
        lines = []
        for i, line in enumerate(result.lines):
            line_width = setter.length(line)
            left = {"start": x, "center": x + (width - line_width) / 2, "end": x + width - line_width}[align]
            lines.append((left, top + i * line_height, line_width, line))
        # The block the text covers, with a margin, inside the slot: where contrast is measured.
        pad = round(result.size * 0.3)
        x0 = max(x, int(min(left for left, *_ in lines)) - pad)
        x1 = min(x + width, int(max(left + w for left, _, w, _ in lines)) + pad + 1)
        y0, y1 = max(y, int(top) - pad), min(y + height, int(top + line_height * len(lines)) + pad + 1)
        blocks[f"the {slot.name} text"] = (x0, y0, x1 - x0, y1 - y0)  # where the text and any scrim go
        colour = _rgb(slot.color)
        contrast = check_contrast(slot.name, colour, out[y0:y1, x0:x1], result.size)
        if not contrast.passed:
            scrimmed = _scrim(out[y0:y1, x0:x1], colour, result.size)
            if scrimmed is not None:
                out[y0:y1, x0:x1], opacity = scrimmed
                contrast = check_contrast(slot.name, colour, out[y0:y1, x0:x1], result.size)
                contrast = replace(contrast, detail=f"{contrast.detail} on a {opacity:.0%} scrim")
        placed.append((lines, setter, colour))
        checks += [
            check_fits(slot.name, result.size if result.fits else None, slot.min_size),
            check_glyphs(slot.name, text, fonts.chain_coverage(locale), fonts.tofu(text, locale, setter.main)),
            contrast,
            check_direction(slot.name, text, result.direction, loc.is_rtl(locale)),
        ]
    if keep_clear is not None:
        covers = {**blocks, **({"the logo": keep_clear.logo} if keep_clear.logo else {})}
        checks.append(check_face_clear(keep_clear.face, covers, keep_clear.frame))
    canvas = Image.fromarray(out)
    for lines, setter, colour in placed:
        size = setter.size
        for left, top, _, line in lines:
            # On a baseline that centres capitals and descenders in the line's box, whatever the
            # font's own ascender (Noto Sans Arabic's is a third taller than Noto Sans's, and drew text low).
            baseline = top + size * (LINE_SPACING - CAP_HEIGHT - DESCENDER) / 2 + size * CAP_HEIGHT
            setter.draw(canvas, left, baseline, line, colour)
    return np.asarray(canvas), checks
