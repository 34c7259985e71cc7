"""Render stage: set the localized copy into the template's text slots (raqm shaping and bidi,
word wrap, shrink-to-fit) and run the layout checks."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw

from adloc import fonts
from adloc import locale as loc
from adloc.checks.layout import (
    check_contrast,
    check_direction,
    check_fits,
    check_glyphs,
    relative_luminance,
    text_direction,
)
from adloc.records import TextSlot

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


def _segments(text: str, locale: str) -> list[str]:
    """The line-break opportunities of UAX #14 (ICU, through icu4py): between words, between CJK
    characters but never before a closing bracket or small kana (strict breaking in Japanese and
    Chinese), and inside Thai, Lao, Khmer and Burmese by ICU's dictionaries. Each segment keeps
    its trailing spaces."""
    from icu4py.breakers import LineBreaker

    language = loc.language(locale) if locale else "en"
    return list(LineBreaker(text, f"{language}@lb=strict" if language in ("ja", "zh") else language))


def _wrap(text: str, font, width: int, direction: str, language: str, locale: str = "") -> list[str]:
    """Greedy line filling at the break opportunities; a segment wider than the line (one long
    word) stays whole, and makes the size shrink."""
    lines: list[str] = []
    for segment in _segments(text, locale or language):
        candidate = (lines[-1] + segment) if lines else segment
        if lines and font.getlength(candidate.rstrip(), direction=direction, language=language) <= width:
            lines[-1] = candidate
        else:
            lines.append(segment)
    return [line.strip() for line in lines if line.strip()]


def layout(text: str, slot: TextSlot, locale: str) -> Layout:
    """The largest size between the slot's max and min at which the wrapped text fits its box."""
    _, _, width, height = slot.box
    direction, language = direction_of(text, locale), loc.language(locale)
    face = fonts.font_for(text, locale)
    lines: list[str] = []
    for size in range(slot.max_size, slot.min_size - 1, -1):
        font = fonts.load(face, size, slot.weight)
        lines = _wrap(text, font, width, direction, language, locale)
        widest = max((font.getlength(line, direction=direction, language=language) for line in lines), default=0)
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


def render(image: np.ndarray, copy: dict[str, str], slots: tuple[TextSlot, ...], locale: str) -> tuple[np.ndarray, list]:
    """Draw each slot's text; returns the new image and the layout checks. Where the text would not
    reach the WCAG contrast ratio on the picture, a scrim goes under it first (the check says so)."""
    out = image.copy()
    placed = []
    checks = []
    language = loc.language(locale)
    for slot in slots:
        text = copy.get(slot.name, "")
        if not text:
            continue
        x, y, width, height = slot.box
        result = layout(text, slot, locale)
        face = fonts.font_for(text, locale)
        font = fonts.load(face, result.size, slot.weight)
        align = slot.align
        if result.direction == "rtl" and align != "center":
            align = "end" if align == "start" else "start"  # start and end follow the reading order
        line_height = result.size * LINE_SPACING
        top = y + (height - line_height * len(result.lines)) / 2
        lines = []
        for i, line in enumerate(result.lines):
            line_width = font.getlength(line, direction=result.direction, language=language)
            left = {"start": x, "center": x + (width - line_width) / 2, "end": x + width - line_width}[align]
            lines.append((left, top + i * line_height, line_width, line))
        # The block the text covers, with a margin, inside the slot: where contrast is measured.
        pad = round(result.size * 0.3)
        x0 = max(x, int(min(left for left, *_ in lines)) - pad)
        x1 = min(x + width, int(max(left + w for left, _, w, _ in lines)) + pad + 1)
        y0, y1 = max(y, int(top) - pad), min(y + height, int(top + line_height * len(lines)) + pad + 1)
        colour = _rgb(slot.color)
        contrast = check_contrast(slot.name, colour, out[y0:y1, x0:x1], result.size)
        if not contrast.passed:
            scrimmed = _scrim(out[y0:y1, x0:x1], colour, result.size)
            if scrimmed is not None:
                out[y0:y1, x0:x1], opacity = scrimmed
                contrast = check_contrast(slot.name, colour, out[y0:y1, x0:x1], result.size)
                contrast = replace(contrast, detail=f"{contrast.detail} on a {opacity:.0%} scrim")
        placed.append((lines, font, colour, result.direction))
        checks += [
            check_fits(slot.name, result.size if result.fits else None, slot.min_size),
            check_glyphs(slot.name, text, set(fonts.coverage(face))),
            contrast,
            check_direction(slot.name, text, result.direction, loc.is_rtl(locale)),
        ]
    canvas = Image.fromarray(out)
    draw = ImageDraw.Draw(canvas)
    for lines, font, colour, direction in placed:
        size = font.size
        for left, top, _, line in lines:
            # On a baseline that centres capitals and descenders in the line's box, whatever the
            # font's own ascender (Noto Sans Arabic's is a third taller than Noto Sans's, and drew text low).
            baseline = top + size * (LINE_SPACING - CAP_HEIGHT - DESCENDER) / 2 + size * CAP_HEIGHT
            draw.text((left, baseline), line, font=font, fill=colour, direction=direction, language=language,
                      anchor="ls")
    return np.asarray(canvas), checks
