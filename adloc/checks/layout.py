"""Layout checks: localized text fits its box, every glyph exists in the font, it can be read."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

import numpy as np

from adloc.checks.base import CheckResult, Severity

F = Severity.FUNCTIONAL


def check_fits(slot: str, size: int | None, min_size: int) -> CheckResult:
    """`size` is the largest font size at which the text fitted, None when none did."""
    name = f"fits:{slot}"
    if size is None:
        return CheckResult(name, False, 0.0, f"text does not fit its box even at the minimum size {min_size}px", F)
    return CheckResult(name, True, 1.0, f"fits at {size}px (minimum {min_size}px)", F)


def check_glyphs(slot: str, text: str, covered: Collection[int], tofu: Collection[str] = ()) -> CheckResult:
    """Every character drawn has a glyph in some font of the slot's chain (`covered`) and in the
    font it is drawn in (`tofu` lists those that are not: `fonts.tofu`): no boxes. Spaces and
    default-ignorable code points (ZWJ, ZWNJ, variation selectors, bidi marks) need none."""
    from adloc import fonts

    missing = sorted({ch for ch in text if fonts.drawn(ch) and ord(ch) not in covered} | set(tofu))
    name = f"glyphs:{slot}"
    if missing:
        shown = ", ".join(f"{ch!r} U+{ord(ch):04X}" for ch in missing[:5])
        if fonts.emoji_face() is None and any(fonts.pictographic(ch) for ch in missing):
            shown += f" ({fonts.EMOJI_INSTALL})"
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
    """The direction a line is set in: the locale's direction whenever the line holds a letter
    written that way (an Arabic line that starts with a Latin brand name is right to left; a
    Japanese line quoting a Hebrew word is left to right), the other direction when it holds only
    the other direction's letters (an English line waiting for a translator in an Arabic ad), and
    the locale's direction when it holds no letters (a price). What sits in a directional isolate
    (a filled-in value, `locale.fill_placeholders`) does not count."""
    kinds = {unicodedata.bidirectional(ch) for ch in _ISOLATED.sub("", text)}
    rtl, ltr = bool(kinds & {"R", "AL"}), "L" in kinds
    if rtl_locale:
        return "ltr" if ltr and not rtl else "rtl"
    return "rtl" if rtl and not ltr else "ltr"


_ISOLATED = re.compile("[\u2066\u2067\u2068][^\u2069]*(?:\u2069|$)")


def check_direction(slot: str, text: str, direction: str, rtl_locale: bool = False) -> CheckResult:
    """The line is laid out in its direction (shaped by raqm): right to left when it holds a
    right-to-left letter, left to right when it holds only left-to-right ones."""
    expected = text_direction(text, rtl_locale)
    name = f"direction:{slot}"
    if direction != expected:
        return CheckResult(name, False, 0.0, f"laid out {direction}, text needs {expected}", F)
    return CheckResult(name, True, 1.0, f"laid out {direction}", F)


MAX_FACE_COVER = 0.02  # of the face box: a text block's margin may graze it, no more


def _overlap(a, b) -> int:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return max(0, min(ax + aw, bx + bw) - max(ax, bx)) * max(0, min(ay + ah, by + bh) - max(ay, by))


def check_face_clear(face, covers: dict, frame=None) -> CheckResult:
    """The talent's face (x, y, width, height as placed, in template pixels; found at import) is
    not covered by what is drawn over the picture (`covers`: name -> box, the text blocks with
    their scrims and the logo) beyond MAX_FACE_COVER of its area, and the crop (`frame`: the
    photo's placed edges) does not cut through it. A talent without a found face passes, saying so."""
    name = "face_clear"
    if face is None:
        return CheckResult(name, True, 1.0, "no face found in the talent's photo at import: nothing to keep clear", F)
    area = face[2] * face[3]
    covered = {what: _overlap(face, box) / area for what, box in covers.items()}
    over = {what: share for what, share in covered.items() if share > MAX_FACE_COVER}
    if over:
        what, share = max(over.items(), key=lambda kv: kv[1])
        return CheckResult(name, False, 1 - share, f"{' and '.join(over)} cover{'s' if len(over) == 1 else ''} "
                           f"the talent's face (at most {share:.0%} of it, by {what})", F)
    if frame is not None:
        fx, fy, fw, fh = frame
        x, y, w, h = face
        if x <= fx or y <= fy or x + w >= fx + fw or y + h >= fy + fh:
            return CheckResult(name, False, 0.0, f"the crop cuts through the talent's face: the face {list(face)} "
                               f"reaches the photo's edge {list(frame)}", F)
    return CheckResult(name, True, 1.0, f"the talent's face {list(face)} is clear of the text and the crop", F)
