"""Compositing across the band, chosen per template: the feather, the seamless (Poisson) solve and
the colour match each adapt only the band; the talent's core and the design around it arrive exact."""

from __future__ import annotations

import numpy as np
import pytest

from adloc.checks.image import RING, colour_difference
from adloc.mask import dilate
from adloc.models.blend import blend, make_request, restore

H, W = 96, 128
METHODS = ["feather", "seamless", "match"]


def scene(textured: bool = True) -> np.ndarray:
    """A warm café-like template: an orange gradient, with fine stripes when `textured`."""
    yy, xx = np.mgrid[0:H, 0:W]
    rgb = np.stack([200 + 0 * xx + yy // 4, 120 + xx // 4, 60 + 0 * yy], axis=-1).astype(np.int16)
    if textured:
        rgb += np.where((xx // 3) % 2 == 0, 12, -12)[..., None].astype(np.int16)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def person(colour=(70, 110, 170)) -> np.ndarray:
    """A bluish head-and-shoulders cutout with a soft rim and a little texture of its own."""
    yy, xx = np.mgrid[0:H, 0:W]
    head = ((xx - 64) / 16.0) ** 2 + ((yy - 34) / 20.0) ** 2
    body = ((xx - 64) / 40.0) ** 2 + ((yy - 110) / 45.0) ** 2
    alpha = np.clip((1.15 - np.minimum(head, body)) * 600, 0, 255)
    talent = np.zeros((H, W, 4), np.uint8)
    talent[..., :3] = np.clip(np.array(colour)[None, None] + ((yy + xx) % 5)[..., None] * 3, 0, 255)
    talent[..., 3] = alpha.astype(np.uint8)
    return talent


def request_for(method: str, template=None, talent=None, band: int = 12):
    return make_request("k", scene() if template is None else template, person() if talent is None else talent,
                        band, "p", 1, 2, 1.0, compositing=method)


@pytest.mark.parametrize("method", METHODS)
def test_every_compositing_changes_only_the_band(method):
    request = request_for(method)
    out = blend(request)
    outside = ~(request.band | request.core)
    assert np.array_equal(out[outside], request.template[outside])
    assert np.array_equal(out[request.core], request.talent[..., :3][request.core])
    assert np.array_equal(restore(out, request), out)  # nothing for restore to put back
    assert np.array_equal(blend(request), out)  # deterministic, to the byte
    assert (out[request.band] != request.template[request.band]).any()  # and the band did change


@pytest.mark.parametrize("method", METHODS)
def test_restore_is_exact_under_every_compositing_whatever_the_backend_returned(method):
    request = request_for(method)
    garbage = np.random.default_rng(5).integers(0, 256, request.template.shape, dtype=np.uint8)
    for returned in (garbage, blend(request)):
        out = restore(returned, request)
        outside = ~(request.band | request.core)
        assert np.array_equal(out[outside], request.template[outside])
        assert np.array_equal(out[request.core], request.talent[..., :3][request.core])


def test_the_seamless_band_spreads_the_step_and_keeps_the_texture():
    """Across the silhouette, the hard composite jumps by the whole colour difference; the seamless
    solve spreads it over the band. Outside the silhouette the template's stripes go on into the
    band: the guide is each side's own gradient, not a smoothing."""
    flat = request_for("seamless", template=scene(textured=False), talent=person())
    hard = flat.composite().astype(np.int16)
    smooth = blend(flat).astype(np.int16)
    rows = slice(20, 50)  # across the head's sides

    def worst_step(image):
        return int(np.abs(np.diff(image[rows], axis=1)).max())

    assert worst_step(hard) > 100
    assert worst_step(smooth) < worst_step(hard) / 3

    striped = request_for("seamless")
    silhouette = striped.talent[..., 3] >= 128
    outer = (striped.band & ~dilate(silhouette, 3))[:, 1:]  # the band's outer part, clear of the edge
    stripes = np.abs(np.diff(striped.template.astype(np.int16), axis=1))[..., 0][outer]
    kept = np.abs(np.diff(blend(striped).astype(np.int16), axis=1))[..., 0][outer]
    assert kept.mean() > 0.8 * stripes.mean() > 0


def test_the_colour_match_brings_the_band_closer_to_the_scene():
    """The band's colour difference (ΔE*ab of the means) to the scene around it falls with the
    match; the core keeps the talent's own colours."""
    feathered, matched = request_for("feather"), request_for("match")
    around = dilate(matched.band, RING) & ~matched.band & ~matched.core
    before = colour_difference(blend(feathered), feathered.band, around)
    after = colour_difference(blend(matched), matched.band, around)
    assert after < 0.75 * before, (before, after)
    core = matched.core
    assert np.array_equal(blend(matched)[core], matched.talent[..., :3][core])


def test_an_empty_cutout_leaves_the_template_under_every_compositing():
    empty = np.zeros((H, W, 4), np.uint8)
    for method in METHODS:
        assert np.array_equal(blend(request_for(method, talent=empty)), scene())
