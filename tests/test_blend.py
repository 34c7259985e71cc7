"""The blend stage and the image checks work on the crop around the talent: the same figures as on
the whole frame, whatever the cutout's place (touching an edge, in the middle), its soft edge, the
template's fill boxes, or an empty cutout."""

from __future__ import annotations

import numpy as np
import pytest

from adloc.checks.image import check_band_plausible, check_outside_unchanged, check_talent_faithful
from adloc.mask import box, dilate, erode, signed_distance
from adloc.models.blend import blend, make_request, repair_fill, restore

H, W = 90, 120


def cutout(where: str) -> np.ndarray:
    """An elliptical cutout with a soft (semi-transparent) rim, at `where` on a transparent canvas."""
    yy, xx = np.mgrid[0:H, 0:W]
    cy, cx = {"middle": (45, 60), "bottom-left": (80, 8), "top-right": (5, 115), "corner": (0, 0)}[where]
    d = ((yy - cy) / 22.0) ** 2 + ((xx - cx) / 15.0) ** 2
    talent = np.zeros((H, W, 4), np.uint8)
    talent[..., :3] = np.stack([(yy * 3) % 256, (xx * 2) % 256, (yy + xx) % 256], axis=-1)
    talent[..., 3] = np.clip((1.3 - d) * 400, 0, 255).astype(np.uint8)  # opaque core, soft rim
    return talent


def full_frame(talent: np.ndarray, template: np.ndarray, band_width: int, fill=()) -> dict:
    """The masks, blend and restore computed on the whole frame (the definition)."""
    half = max(1, band_width // 2)
    silhouette = talent[..., 3] >= 128
    core, band = erode(silhouette, half), dilate(silhouette, half)
    for x, y, w, h in fill:
        band[y : y + h, x : x + w] = True
    band &= ~core
    ramp = np.clip((signed_distance(silhouette, half + 1) + half) / (2 * half), 0, 1)
    feather = np.where(core, 1.0, ramp * (talent[..., 3] / 255.0)).astype(np.float32)
    alpha = feather[..., None]
    template = repair_fill(template, fill)
    mixed = template.astype(np.float32) * (1 - alpha) + talent[..., :3].astype(np.float32) * alpha
    return {"core": core, "band": band, "feather": feather,
            "blend": np.clip(np.rint(mixed), 0, 255).astype(np.uint8)}


@pytest.mark.parametrize("where", ["middle", "bottom-left", "top-right", "corner"])
@pytest.mark.parametrize("band_width,fill", [(6, ()), (13, ()), (4, ((100, 70, 20, 20),))])
def test_the_masks_and_the_blend_on_the_crop_equal_the_whole_frame(where, band_width, fill):
    rng = np.random.default_rng(7)
    template = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    talent = cutout(where)
    want = full_frame(talent, template, band_width, fill)
    request = make_request("k", template, talent, band_width, "p", 1, 2, 1.0, fill)
    for name in ("core", "band", "feather"):
        assert getattr(request, name).dtype == want[name].dtype
        assert np.array_equal(getattr(request, name), want[name]), name
    assert np.array_equal(blend(request), want["blend"])

    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    restored = restore(image, request)
    expected = np.where(request.band[..., None], image, template)
    expected = np.where(request.core[..., None], talent[..., :3], expected)
    assert restored.dtype == np.uint8 and np.array_equal(restored, expected)
    hard = (talent[..., 3] >= 128) | request.core
    assert np.array_equal(request.composite(), np.where(hard[..., None], talent[..., :3], template))


def test_an_empty_cutout_gives_empty_masks_and_the_template():
    template = np.full((H, W, 3), 90, np.uint8)
    request = make_request("k", template, np.zeros((H, W, 4), np.uint8), 6, "p", 1, 2, 1.0)
    assert not request.core.any() and not request.band.any() and not request.feather.any()
    assert np.array_equal(blend(request), template) and np.array_equal(request.composite(), template)
    assert box(request.band) == (slice(0, 0), slice(0, 0))


@pytest.mark.parametrize("where", ["middle", "bottom-left", "corner"])
def test_the_checks_on_the_crop_give_the_whole_frames_figures(where):
    """The band check's energies, the changed-pixel counts and their maxima, computed here on the
    whole frame, are what the checks report."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:H, 0:W]
    template = np.stack([40 + xx, 60 + yy, 150 + 0 * xx], axis=-1).astype(np.uint8)  # smooth
    talent = cutout(where)
    request = make_request("k", template, talent, 8, "p", 1, 2, 1.0)
    noisy = restore(rng.integers(0, 256, (H, W, 3), dtype=np.uint8), request)
    reference = request.composite()

    def luma(img):
        return img[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])

    def laplacian(g):
        p = np.pad(g, 1, mode="edge")
        return np.abs(4 * p[1:-1, 1:-1] - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:])

    band = request.band
    ring = dilate(band, 6) & ~band
    energy, ref_energy = laplacian(luma(noisy)), laplacian(luma(reference))
    baseline = max(float(ref_energy[band].mean()), float(energy[ring].mean()), 1.0)
    ratio = float(energy[band].mean()) / baseline
    result = check_band_plausible(noisy, reference, band)
    assert ratio > 2.5 and not result.passed  # noise in the band
    assert result.score == pytest.approx(2.5 / ratio, rel=1e-12)
    assert f"high-frequency energy {ratio:.2f}x" in result.detail

    changed = noisy.copy()
    changed[0, W - 1] = 255 - changed[0, W - 1]  # one pixel outside, in a corner
    outside = ~(request.band | request.core)
    assert outside[0, W - 1]  # no placement tested here reaches the top-right corner
    result = check_outside_unchanged(changed, template, outside)
    assert not result.passed and result.detail.startswith("1 pixel(s)")
    assert f"(max {int(np.abs(changed[0, W - 1].astype(int) - template[0, W - 1]).max())} levels)" in result.detail
    altered = noisy.copy()
    ys, xs = np.nonzero(request.core)
    altered[ys[-1], xs[-1]] = 255 - altered[ys[-1], xs[-1]]  # the last talent pixel
    result = check_talent_faithful(altered, talent, request.core)
    assert not result.passed and result.detail.startswith("1 talent pixel(s)")
    assert check_talent_faithful(noisy, talent, request.core).passed
