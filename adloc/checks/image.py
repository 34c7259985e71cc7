"""Image checks: the design outside the mask and the licensed likeness arrive untouched,
the band between them looks like an image and not like noise, and the file fits the channel."""

from __future__ import annotations

import numpy as np

from adloc.checks.base import CheckResult, Severity
from adloc.mask import box as bounding_box
from adloc.mask import dilate
from adloc.records import Channel

C, F = Severity.CRITICAL, Severity.FUNCTIONAL


def _luma(image: np.ndarray) -> np.ndarray:
    rgb = image[..., :3].astype(np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def _laplacian(gray: np.ndarray) -> np.ndarray:
    padded = np.pad(gray, 1, mode="edge")
    return np.abs(
        4 * padded[1:-1, 1:-1] - padded[:-2, 1:-1] - padded[2:, 1:-1] - padded[1:-1, :-2] - padded[1:-1, 2:]
    )


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where the RGB of two images differ (a per-channel compare, no widening to int16)."""
    return (a[..., 0] != b[..., 0]) | (a[..., 1] != b[..., 1]) | (a[..., 2] != b[..., 2])


def _max_levels(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> int:
    return int(np.abs(a[..., :3][where].astype(np.int16) - b[..., :3][where].astype(np.int16)).max())


def check_outside_unchanged(output: np.ndarray, template: np.ndarray, outside: np.ndarray) -> CheckResult:
    """Every pixel outside the inpainting mask and the talent equals the template's."""
    changed_at = _differs(output, template) & outside
    changed = int(np.count_nonzero(changed_at))
    if changed:
        return CheckResult("outside_unchanged", False, 1 - changed / max(1, int(outside.sum())),
                           f"{changed} pixel(s) outside the mask differ from the template "
                           f"(max {_max_levels(output, template, changed_at)} levels)", C)
    return CheckResult("outside_unchanged", True, 1.0, f"{int(outside.sum())} pixels outside the mask identical", C)


def check_talent_faithful(output: np.ndarray, talent: np.ndarray, region: np.ndarray) -> CheckResult:
    """The licensed talent's pixels arrive exactly as placed."""
    if not region.any():
        return CheckResult("talent_faithful", False, 0.0, "no talent pixels in the output", C)
    crop = bounding_box(region)
    output, talent, region = output[crop], talent[crop], region[crop]
    changed_at = _differs(output, talent) & region
    changed = int(np.count_nonzero(changed_at))
    if changed:
        return CheckResult("talent_faithful", False, 1 - changed / int(region.sum()),
                           f"{changed} talent pixel(s) altered (max {_max_levels(output, talent, changed_at)} levels)", C)
    return CheckResult("talent_faithful", True, 1.0, f"{int(region.sum())} talent pixels identical to the licensed photo", C)


MAX_FILL = 0.95  # of the talent's bounding box: a person's silhouette fills far less (a head and shoulders 0.6-0.8)


def check_talent_cutout(talent: np.ndarray) -> CheckResult:
    """The placed talent (H x W x 4, alpha in the last channel) is a cutout, not a photo with its
    own background: its opaque pixels fill less than MAX_FILL of their bounding box. A photograph
    imported without a matte is an opaque rectangle and fails."""
    opaque = talent[..., 3] >= 128
    if not opaque.any():
        return CheckResult("talent_cutout", False, 0.0, "the talent has no opaque pixels", C)
    rows, cols = np.nonzero(opaque.any(axis=1))[0], np.nonzero(opaque.any(axis=0))[0]
    height, width = int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)
    fill = float(opaque.sum()) / (height * width)
    if fill >= MAX_FILL:
        return CheckResult("talent_cutout", False, 1 - fill, f"the talent is an opaque {width}x{height} rectangle "
                           f"({fill:.0%} of its box): it carries its own background (a photo without a matte)", C)
    return CheckResult("talent_cutout", True, 1.0, f"a cutout filling {fill:.0%} of its {width}x{height} box", C)


RING = 6  # the band's surroundings: this many pixels around it


def check_band_plausible(output: np.ndarray, reference: np.ndarray, band: np.ndarray,
                         max_ratio: float = 2.5, max_colour_shift: float = 40.0) -> CheckResult:
    """The inpainted band is no noisier than the plain composite there (`reference`: the talent pasted
    with a hard edge) or than the band's surroundings, and keeps roughly the composite's colours."""
    if not band.any():
        return CheckResult("band_plausible", True, 1.0, "no band to inpaint", F)
    # Only the band, its ring and their neighbours matter: work on that crop (same figures).
    crop = bounding_box(band, RING + 1)
    output, reference, band = output[crop], reference[crop], band[crop]
    ring = dilate(band, RING) & ~band
    energy, reference_energy = _laplacian(_luma(output)), _laplacian(_luma(reference))
    baseline = max(float(reference_energy[band].mean()), float(energy[ring].mean()) if ring.any() else 0.0, 1.0)
    ratio = float(energy[band].mean()) / baseline
    shift = float(np.linalg.norm(
        output[..., :3][band].astype(np.float64).mean(axis=0) - reference[..., :3][band].astype(np.float64).mean(axis=0)
    ))
    detail = f"high-frequency energy {ratio:.2f}x the plain composite's, colour shift {shift:.0f} levels"
    if ratio > max_ratio:
        return CheckResult("band_plausible", False, max_ratio / ratio, f"band looks like noise: {detail}", F)
    if shift > max_colour_shift:
        return CheckResult("band_plausible", False, max_colour_shift / shift, f"band colour off: {detail}", F)
    return CheckResult("band_plausible", True, 1.0 - ratio / max_ratio / 2, detail, F)


def _mean_lab(rgb: np.ndarray) -> np.ndarray:
    """The CIELAB (D65) of an N x 3 uint8 array's mean sRGB colour."""
    import cv2

    mean = rgb.reshape(-1, 3).astype(np.float32).mean(axis=0) / 255.0
    return cv2.cvtColor(mean.reshape(1, 1, 3), cv2.COLOR_RGB2Lab).reshape(3).astype(np.float64)


def colour_difference(output: np.ndarray, region: np.ndarray, around: np.ndarray) -> float:
    """CIE76 colour difference (ΔE*ab) between the mean colours of two regions of an image: about
    2.3 is just noticeable, above 20 a different colour. The band's against the scene around it is
    the figure the colour match lowers."""
    if not region.any() or not around.any():
        return 0.0
    return float(np.linalg.norm(_mean_lab(output[..., :3][region]) - _mean_lab(output[..., :3][around])))


MAX_FILL_DIFFERENCE = 20.0  # ΔE*ab between a repaired fill box and the picture around it


def check_fill_repaired(output: np.ndarray, boxes: tuple, how: str) -> CheckResult:
    """Each fill box (a placeholder in the picture) now has the colour of the picture around it
    (ΔE*ab of the means below MAX_FILL_DIFFERENCE, against a RING-pixel frame): it was repaired,
    not left. `how` says what repaired it."""
    worst, where = 0.0, None
    for x, y, w, h in boxes:
        inside = np.zeros(output.shape[:2], bool)
        inside[y : y + h, x : x + w] = True
        difference = colour_difference(output, inside, dilate(inside, RING) & ~inside)
        if difference >= worst:
            worst, where = difference, (x, y, w, h)
    if worst > MAX_FILL_DIFFERENCE:
        return CheckResult("fill", False, MAX_FILL_DIFFERENCE / worst, f"fill box {list(where)} still stands out "
                           f"after {how}: ΔE {worst:.0f} to the picture around it", F)
    return CheckResult("fill", True, 1.0, f"{len(boxes)} fill box(es) repaired by {how} "
                       f"(ΔE at most {worst:.0f} to the picture around)", F)


def check_not_degenerate(output: np.ndarray) -> CheckResult:
    """No NaN, no blank frame, no blown-out frame."""
    if np.issubdtype(output.dtype, np.floating) and np.isnan(output).any():
        return CheckResult("not_degenerate", False, 0.0, "image contains NaN", C)
    rgb = output[..., :3]
    std = float(rgb.std())
    if std < 2.0:
        return CheckResult("not_degenerate", False, 0.0, f"image is blank (std {std:.1f})", C)
    if rgb.dtype == np.uint8:  # black or white in every channel: the channels' minimum is 255 or maximum 0
        lo, hi = np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2]), np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
        saturated = float(np.count_nonzero((hi == 0) | (lo == 255)) / lo.size)
    else:
        saturated = float(((rgb == 0) | (rgb == 255)).all(axis=-1).mean())
    if saturated > 0.5:
        return CheckResult("not_degenerate", False, 1 - saturated, f"{saturated:.0%} of pixels black or white", C)
    return CheckResult("not_degenerate", True, 1.0, f"std {std:.1f}, {saturated:.0%} saturated", C)


def check_size(size: tuple[int, int], expected: tuple[int, int]) -> CheckResult:
    if tuple(size) != tuple(expected):
        return CheckResult("size", False, 0.0, f"{size[0]}x{size[1]}, expected {expected[0]}x{expected[1]}", C)
    return CheckResult("size", True, 1.0, f"{size[0]}x{size[1]}", C)


# What each channel takes: social by aspect ratio (square, portrait, story, link preview), display by
# the IAB standard sizes; print and out-of-home by the template alone.
SOCIAL_RATIOS = {"1:1": 1.0, "4:5": 0.8, "9:16": 9 / 16, "1.91:1": 1.91}
DISPLAY_SIZES = {(300, 250), (336, 280), (728, 90), (970, 250), (970, 90), (160, 600), (300, 600), (320, 50),
                 (320, 100), (468, 60), (250, 250), (200, 200), (1200, 628)}


def check_channel_size(size: tuple[int, int], channel: str) -> CheckResult:
    """The output's size is one the channel takes."""
    width, height = size
    if channel == Channel.SOCIAL:
        ratio = width / height
        fits = [name for name, r in SOCIAL_RATIOS.items() if abs(ratio - r) / r <= 0.01]
        if fits and width >= 600:
            return CheckResult("channel_size", True, 1.0, f"{width}x{height} is a {fits[0]} social format", F)
        return CheckResult("channel_size", False, 0.0, f"{width}x{height} is not a social format "
                           f"({', '.join(SOCIAL_RATIOS)}, at least 600 wide)", F)
    if channel == "display":
        if (width, height) in DISPLAY_SIZES:
            return CheckResult("channel_size", True, 1.0, f"{width}x{height} is a standard display size", F)
        return CheckResult("channel_size", False, 0.0, f"{width}x{height} is not a standard display size", F)
    return CheckResult("channel_size", True, 1.0, f"{width}x{height}: {channel} takes the template's size", F)


def check_bytes(n_bytes: int, budget: int, channel: str, encoding: str = "") -> CheckResult:
    how = f" ({encoding})" if encoding else ""
    if n_bytes > budget:
        return CheckResult("bytes", False, budget / n_bytes,
                           f"{n_bytes} bytes{how}, over the {channel} budget of {budget}", F)
    return CheckResult("bytes", True, 1.0, f"{n_bytes} bytes{how} of {budget} for {channel}", F)


def check_inpainted(output: np.ndarray, template: np.ndarray, talent: np.ndarray, core: np.ndarray,
                    band: np.ndarray, composite: np.ndarray, fill: tuple = ()) -> list[CheckResult]:
    """Every image check on an inpainter's output: the design outside the mask, the licensed
    talent, the band against the hard composite (but for the `fill` boxes, whose placeholder is
    meant to go: `check_fill_repaired`), sanity, and size."""
    outside = ~(band | core)
    seam = band
    if fill:
        seam = band.copy()
        for x, y, w, h in fill:
            seam[y : y + h, x : x + w] = False
    return [
        check_talent_cutout(talent),
        check_outside_unchanged(output, template, outside),
        check_talent_faithful(output, talent, core),
        check_band_plausible(output, composite, seam),
        check_not_degenerate(output),
        check_size((output.shape[1], output.shape[0]), (template.shape[1], template.shape[0])),
    ]
