"""The visual order of a line set in several fonts: bidi embedding levels and reordering (UAX #9)
from FriBidi, the library raqm already shapes every line with.

A line in one font is drawn in one call and raqm applies the bidi algorithm itself. A line whose
runs come from different fonts (an emoji in a Hebrew line, a Devanagari word in a Japanese one) is
drawn piece by piece: `pieces` cuts it where the font or the embedding level changes and returns
the pieces left to right, each drawn with its own direction (raqm mirrors brackets in a
right-to-left piece)."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import NamedTuple

from adloc.errors import AdlocError

# fribidi-types.h: FRIBIDI_PAR_LTR, FRIBIDI_PAR_RTL.
_PAR_LTR, _PAR_RTL = 0x110, 0x111


@cache
def _fribidi() -> ctypes.CDLL:
    name = ctypes.util.find_library("fribidi")
    if name is None:
        raise AdlocError("libfribidi is not installed; Pillow's raqm layout needs it too (apt-get install libfribidi0)")
    lib = ctypes.CDLL(name)
    lib.fribidi_log2vis.restype = ctypes.c_int8
    return lib


def visual_order(text: str, rtl: bool) -> tuple[list[int], list[int]]:
    """(levels, visual_to_logical) of a line in a paragraph of the given direction: each
    character's embedding level (odd is right to left) and, for each position from the left, the
    index of the character drawn there."""
    n = len(text)
    if n == 0:
        return [], []
    chars = (ctypes.c_uint32 * n)(*map(ord, text))
    base = ctypes.c_uint32(_PAR_RTL if rtl else _PAR_LTR)
    v2l = (ctypes.c_int * n)()
    levels = (ctypes.c_int8 * n)()
    if _fribidi().fribidi_log2vis(chars, n, ctypes.byref(base), None, None, v2l, levels) == 0:
        raise AdlocError(f"fribidi could not order the line {text!r}")
    return list(levels), list(v2l)


class Piece(NamedTuple):
    """A stretch of the line drawn in one call: text[start:end] in `key`'s font, right to left
    when `rtl`."""

    start: int
    end: int
    key: object
    rtl: bool


def pieces(text: str, keys: list, rtl: bool) -> list[Piece]:
    """Cut a line into maximal logical stretches of one key (`keys`, one per character: its font)
    and one embedding level, and return them in visual order, left to right. Cutting in logical
    order keeps an Arabic or Hebrew word with its vowel marks whole (FriBidi keeps a mark after its
    letter in the visual order, which a visual cut would split off)."""
    levels, v2l = visual_order(text, rtl)
    where = [0] * len(text)  # logical index -> visual position
    for position, logical in enumerate(v2l):
        where[logical] = position
    out: list[Piece] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or keys[i] != keys[start] or levels[i] != levels[start]:
            out.append(Piece(start, i, keys[start], levels[start] % 2 == 1))
            start = i
    return sorted(out, key=lambda piece: min(where[piece.start : piece.end]))
