"""Image checks on small synthetic arrays."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from adloc.checks.base import Severity
from adloc.checks.image import (
    check_band_plausible,
    check_bytes,
    check_not_degenerate,
    check_outside_unchanged,
    check_size,
    check_talent_cutout,
    check_talent_faithful,
)

C, F = Severity.CRITICAL, Severity.FUNCTIONAL
N = 32


def gradient(n: int = N) -> np.ndarray:
    """A smooth RGB image with levels between 40 and 200, so small shifts never clip."""
    y, x = np.mgrid[0:n, 0:n]
    r = 40 + 160 * x / (n - 1)
    g = 40 + 160 * y / (n - 1)
    b = 40 + 80 * (x + y) / (n - 1)
    return np.stack([r, g, b], axis=-1).round().astype(np.uint8)


def square(lo: int, hi: int, n: int = N) -> np.ndarray:
    mask = np.zeros((n, n), dtype=bool)
    mask[lo:hi, lo:hi] = True
    return mask


# --- outside_unchanged ------------------------------------------------------------------------


def test_outside_unchanged_passes_when_only_the_mask_changes():
    template = gradient()
    inside = square(8, 24)
    output = template.copy()
    output[inside] = 255 - output[inside]
    r = check_outside_unchanged(output, template, ~inside)
    assert (r.name, r.passed, r.severity) == ("outside_unchanged", True, C)
    assert r.detail == f"{N * N - 16 * 16} pixels outside the mask identical"


def test_outside_unchanged_ignores_alpha():
    template = gradient()
    output = np.dstack([template, np.full((N, N), 7, dtype=np.uint8)])
    assert check_outside_unchanged(output, template, np.ones((N, N), dtype=bool)).passed


def test_outside_unchanged_fails_on_one_changed_pixel():
    template = gradient()
    inside = square(8, 24)
    output = template.copy()
    output[2, 3, 1] += 7
    r = check_outside_unchanged(output, template, ~inside)
    assert (r.name, r.passed, r.severity) == ("outside_unchanged", False, C)
    assert r.detail == "1 pixel(s) outside the mask differ from the template (max 7 levels)"
    assert r.score == pytest.approx(1 - 1 / (N * N - 16 * 16))


# --- talent_faithful --------------------------------------------------------------------------


def test_talent_faithful_passes_on_identical_talent():
    talent = gradient()
    region = square(10, 20)
    output = np.zeros_like(talent)
    output[region] = talent[region]
    r = check_talent_faithful(output, talent, region)
    assert (r.name, r.passed, r.severity) == ("talent_faithful", True, C)
    assert r.detail == "100 talent pixels identical to the licensed photo"


def test_talent_faithful_fails_on_altered_talent():
    talent = gradient()
    region = square(10, 20)
    output = talent.copy()
    output[12, 12] = output[12, 12] - 30
    output[15, 15, 2] = output[15, 15, 2] + 3
    output[0, 0] = 0  # outside the region: does not count
    r = check_talent_faithful(output, talent, region)
    assert (r.name, r.passed, r.severity) == ("talent_faithful", False, C)
    assert r.detail == "2 talent pixel(s) altered (max 30 levels)"
    assert r.score == pytest.approx(1 - 2 / 100)


def test_talent_faithful_fails_without_talent():
    talent = gradient()
    r = check_talent_faithful(talent, talent, np.zeros((N, N), dtype=bool))
    assert (r.name, r.passed) == ("talent_faithful", False)
    assert r.detail == "no talent pixels in the output"


# --- band_plausible ---------------------------------------------------------------------------


def ring_band() -> np.ndarray:
    return square(8, 24) & ~square(12, 20)


def test_band_plausible_smooth_band_passes():
    reference = gradient()
    output = reference.copy()
    band = ring_band()
    output[band] = output[band] + 2  # a slight, smooth change
    r = check_band_plausible(output, reference, band)
    assert (r.name, r.passed, r.severity) == ("band_plausible", True, F)
    assert "high-frequency energy" in r.detail


def test_band_plausible_noise_fails():
    reference = gradient()
    output = reference.copy()
    band = ring_band()
    rng = np.random.default_rng(0)
    output[band] = rng.integers(0, 256, size=(int(band.sum()), 3), dtype=np.uint8)
    r = check_band_plausible(output, reference, band)
    assert (r.name, r.passed, r.severity) == ("band_plausible", False, F)
    assert "noise" in r.detail
    assert 0.0 < r.score < 1.0


def test_band_plausible_colour_shift_fails():
    reference = gradient()
    output = reference.copy()
    band = np.zeros((N, N), dtype=bool)
    band[4:28] = True  # a wide band: its two edges add little energy
    output[band] = output[band] + 40  # smooth, but 40 levels brighter in every channel
    r = check_band_plausible(output, reference, band)
    assert not r.passed
    assert r.detail.startswith("band colour off")
    assert "colour shift 69 levels" in r.detail  # sqrt(3) * 40


def test_band_plausible_without_band():
    image = gradient()
    r = check_band_plausible(image, image, np.zeros((N, N), dtype=bool))
    assert r.passed and r.detail == "no band to inpaint"


# --- not_degenerate ---------------------------------------------------------------------------


def test_not_degenerate_normal_image_passes():
    r = check_not_degenerate(gradient())
    assert (r.name, r.passed, r.severity) == ("not_degenerate", True, C)
    assert r.detail.endswith("0% saturated")


def test_not_degenerate_blank_image_fails():
    r = check_not_degenerate(np.full((N, N, 3), 128, dtype=np.uint8))
    assert (r.name, r.passed, r.severity) == ("not_degenerate", False, C)
    assert r.detail == "image is blank (std 0.0)"


def test_not_degenerate_nan_fails():
    image = gradient().astype(np.float32)
    image[5, 5, 0] = np.nan
    r = check_not_degenerate(image)
    assert (r.name, r.passed, r.severity) == ("not_degenerate", False, C)
    assert r.detail == "image contains NaN"


def test_not_degenerate_blown_out_fails():
    image = np.zeros((N, N, 3), dtype=np.uint8)
    image[::2] = 255  # stripes of pure black and pure white
    r = check_not_degenerate(image)
    assert not r.passed
    assert r.detail == "100% of pixels black or white"


# --- size and bytes ---------------------------------------------------------------------------


def test_size_matches():
    r = check_size((1080, 1080), (1080, 1080))
    assert (r.name, r.passed, r.severity) == ("size", True, C)
    assert r.detail == "1080x1080"


def test_size_differs():
    r = check_size((1080, 1920), [1920, 1080])
    assert (r.name, r.passed, r.severity) == ("size", False, C)
    assert r.detail == "1080x1920, expected 1920x1080"


def test_bytes_within_budget():
    r = check_bytes(150_000, 150_000, "display")
    assert (r.name, r.passed, r.severity) == ("bytes", True, F)
    assert r.detail == "150000 bytes of 150000 for display"


def test_bytes_over_budget():
    r = check_bytes(200_000, 150_000, "display")
    assert (r.name, r.passed, r.severity) == ("bytes", False, F)
    assert r.detail == "200000 bytes, over the display budget of 150000"
    assert r.score == pytest.approx(0.75)


def test_the_encoder_tries_harder_before_the_budget_check_fails():
    from adloc.pipelines.write import encode_png

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:96, 0:128]
    image = np.clip(np.stack([xx, yy, xx + yy], axis=-1) + rng.integers(0, 24, (96, 128, 3)), 0, 255).astype(np.uint8)
    usual, level = encode_png(image)
    assert level == 6
    assert encode_png(image, budget=len(usual)) == (usual, 6)  # within budget: no second try
    squeezed, level = encode_png(image, budget=1)
    tried = {}
    for lvl in (6, 9):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG", optimize=lvl == 9, compress_level=lvl)
        tried[lvl] = buffer.getvalue()
    assert min(tried.items(), key=lambda kv: len(kv[1])) == (level, squeezed)  # the smallest of both tried
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(squeezed))), image)  # lossless
    r = check_bytes(len(squeezed), 1, "display", f"PNG level {level}")
    assert not r.passed and r.detail == f"{len(squeezed)} bytes (PNG level {level}), over the display budget of 1"


@pytest.mark.parametrize(("size", "channel", "passed"), [
    ((1080, 1080), "social", True), ((1200, 628), "social", True), ((1080, 1920), "social", True),
    ((1080, 1000), "social", False), ((400, 400), "social", False),
    ((300, 250), "display", True), ((1080, 1080), "display", False), ((2480, 3508), "print", True),
])
def test_the_output_size_is_one_the_channel_takes(size, channel, passed):
    from adloc.checks.image import check_channel_size

    r = check_channel_size(size, channel)
    assert (r.name, r.passed) == ("channel_size", passed)
    assert f"{size[0]}x{size[1]}" in r.detail


# --- talent_cutout ----------------------------------------------------------------------------


def test_a_cutout_passes_and_a_photo_with_its_background_fails():
    from pathlib import Path

    cutout = np.asarray(Image.open(Path(__file__).parents[1] / "examples" / "talent" / "pt-ana.png").convert("RGBA"))
    r = check_talent_cutout(cutout)
    assert (r.name, r.passed, r.severity) == ("talent_cutout", True, C) and r.detail.startswith("a cutout filling")
    canvas = np.zeros((200, 300, 4), dtype=np.uint8)
    canvas[40:190, 100:220] = (90, 120, 160, 255)  # a photo pasted whole: an opaque rectangle
    r = check_talent_cutout(canvas)
    assert not r.passed and r.detail.startswith("the talent is an opaque 120x150 rectangle (100% of its box)")
    assert not check_talent_cutout(np.zeros((10, 10, 4), dtype=np.uint8)).passed
