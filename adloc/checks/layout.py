"""Layout checks: localized text fits its box, every glyph exists in the font, it can be read."""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from adloc.checks.base import CheckResult, Severity

F = Severity.FUNCTIONAL


def check_fits(slot: str, size: int | None, min_size: int) -> CheckResult:
    """`size` is the largest font size at which the text fitted, None when none did."""
    name = f"fits:{slot}"
    if size is None:
        return CheckResult(name, False, 0.0, f"text does not fit its box even at the minimum size {min_size}px", F)
    return CheckResult(name, True, 1.0, f"fits at {size}px (minimum {min_size}px)", F)


def check_glyphs(slot: str, text: str, covered: set[int]) -> CheckResult:
    """Every visible character has a glyph in the slot's font chain: no tofu boxes."""
    missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in covered
                      and unicodedata.category(ch) not in ("Cf", "Mn")})
    name = f"glyphs:{slot}"
    if missing:
        shown = ", ".join(f"{ch!r} U+{ord(ch):04X}" for ch in missing[:5])
        return CheckResult(name, False, 0.0, f"no glyph for {shown}", F)
    return CheckResult(name, True, 1.0, f"all {len(set(text))} characters covered", F)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def contrast_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    la, lb = relative_luminance(a), relative_luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def check_contrast(slot: str, text_rgb: tuple[int, int, int], background: np.ndarray, size: int) -> CheckResult:
    """WCAG 2 contrast of the text colour against the background under its box (5th percentile)."""
    ratios = contrast_ratio(np.array(text_rgb)[None, :], background[..., :3].reshape(-1, 3))
    worst = float(np.percentile(ratios, 5))
    needed = 3.0 if size >= 24 else 4.5  # WCAG: large text needs 3:1, body text 4.5:1
    name = f"contrast:{slot}"
    if worst < needed:
        return CheckResult(name, False, worst / needed, f"contrast {worst:.1f}:1, needs {needed}:1", F)
    return CheckResult(name, True, 1.0, f"contrast {worst:.1f}:1 (needs {needed}:1)", F)


def text_direction(text: str, rtl_locale: bool) -> str:
    """The direction a line is set in: right to left when it holds any right-to-left letter (an
    Arabic line that starts with a Latin brand name included), left to right when it holds only
    left-to-right letters, and the locale's direction when it holds no letters (a price). What sits
    in a directional isolate (a filled-in value, `locale.fill_placeholders`) does not count."""
    kinds = {unicodedata.bidirectional(ch) for ch in _ISOLATED.sub("", text)}
    if kinds & {"R", "AL"}:
        return "rtl"
    if "L" in kinds:
        return "ltr"
    return "rtl" if rtl_locale else "ltr"


_ISOLATED = re.compile("[\u2066\u2067\u2068][^\u2069]*(?:\u2069|$)")


def check_direction(slot: str, text: str, direction: str, rtl_locale: bool = False) -> CheckResult:
    """The line is laid out in its direction (shaped by raqm): right to left when it holds a
    right-to-left letter, left to right when it holds only left-to-right ones."""
    expected = text_direction(text, rtl_locale)
    name = f"direction:{slot}"
    if direction != expected:
        return CheckResult(name, False, 0.0, f"laid out {direction}, text needs {expected}", F)
    return CheckResult(name, True, 1.0, f"laid out {direction}", F)
