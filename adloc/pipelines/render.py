"""Render stage: set the localized copy into the template's text slots (raqm shaping and bidi,
word wrap, shrink-to-fit) and run the layout checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from adloc import fonts
from adloc import locale as loc
from adloc.checks.layout import check_contrast, check_direction, check_fits, check_glyphs
from adloc.records import TextSlot

LINE_SPACING = 1.2


@dataclass(frozen=True)
class Layout:
    size: int
    lines: tuple[str, ...]
    fits: bool
    direction: str


def direction_of(locale: str) -> str:
    """The base direction of a locale's script; raqm applies the bidi algorithm within it."""
    return "rtl" if loc.is_rtl(locale) else "ltr"


def _wrap(text: str, font, width: int, direction: str, language: str) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate, direction=direction, language=language) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)  # a word never breaks; an over-long word makes the size shrink
    return lines


def layout(text: str, slot: TextSlot, locale: str) -> Layout:
    """The largest size between the slot's max and min at which the wrapped text fits its box."""
    _, _, width, height = slot.box
    direction, language = direction_of(locale), loc.language(locale)
    path = fonts.font_for(text)
    lines: list[str] = []
    for size in range(slot.max_size, slot.min_size - 1, -1):
        font = fonts.load(path, size, slot.weight)
        lines = _wrap(text, font, width, direction, language)
        widest = max((font.getlength(line, direction=direction, language=language) for line in lines), default=0)
        if widest <= width and len(lines) * size * LINE_SPACING <= height:
            return Layout(size, tuple(lines), True, direction)
    return Layout(slot.min_size, tuple(lines), False, direction)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def render(image: np.ndarray, copy: dict[str, str], slots: tuple[TextSlot, ...], locale: str) -> tuple[np.ndarray, list]:
    """Draw each slot's text; returns the new image and the layout checks."""
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    checks = []
    language = loc.language(locale)
    for slot in slots:
        text = copy.get(slot.name, "")
        if not text:
            continue
        x, y, width, height = slot.box
        background = image[y : y + height, x : x + width]
        result = layout(text, slot, locale)
        path = fonts.font_for(text)
        font = fonts.load(path, result.size, slot.weight)
        align = slot.align
        if result.direction == "rtl" and align != "center":
            align = "end" if align == "start" else "start"  # start and end follow the reading order
        line_height = result.size * LINE_SPACING
        top = y + (height - line_height * len(result.lines)) / 2
        for i, line in enumerate(result.lines):
            line_width = font.getlength(line, direction=result.direction, language=language)
            left = {"start": x, "center": x + (width - line_width) / 2, "end": x + width - line_width}[align]
            draw.text((left, top + i * line_height), line, font=font, fill=_rgb(slot.color),
                      direction=result.direction, language=language)
        checks += [
            check_fits(slot.name, result.size if result.fits else None, slot.min_size),
            check_glyphs(slot.name, text, set(fonts.coverage(path))),
            check_contrast(slot.name, _rgb(slot.color), background, result.size),
            check_direction(slot.name, text, result.direction),
        ]
    return np.asarray(canvas), checks
