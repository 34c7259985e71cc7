"""The mask operations against their definitions: 4-neighbour steps (city-block distance), nothing
grows in from outside the image, the border does not shrink a mask that touches it, and the signed
distance is ±(steps - 0.5) from the edge, clipped to ±limit."""

from __future__ import annotations

import numpy as np
import pytest

from adloc.mask import box, dilate, erode, signed_distance


def grid(rows: str) -> np.ndarray:
    """A mask drawn with '#' (in) and '.' (out), one string a row."""
    return np.array([[c == "#" for c in row] for row in rows.split()], dtype=bool)


def steps_to(mask: np.ndarray) -> np.ndarray:
    """City-block distance from every pixel to the nearest pixel of `mask` (inf when it is empty),
    by brute force over the image's pixels only."""
    ys, xs = np.nonzero(mask)
    yy, xx = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    if not ys.size:
        return np.full(mask.shape, np.inf)
    return (np.abs(yy[..., None] - ys) + np.abs(xx[..., None] - xs)).min(axis=-1).astype(float)


def reference_signed_distance(mask: np.ndarray, limit: int) -> np.ndarray:
    inside, outside = steps_to(~mask), steps_to(mask)
    return np.where(
        mask,
        np.where(inside <= limit, inside - 0.5, limit),
        np.where(outside <= limit, 0.5 - outside, -limit),
    ).astype(np.float32)


def test_one_pixel_grows_into_a_diamond_not_a_square():
    mask = np.zeros((7, 7), bool)
    mask[3, 3] = True
    assert np.array_equal(
        dilate(mask, 2),
        grid("""
        .......
        ...#...
        ..###..
        .#####.
        ..###..
        ...#...
        .......
    """),
    )
    assert dilate(mask, 2).sum() == 13  # a 5x5 square would be 25


def test_growth_stops_at_the_border_and_does_not_wrap():
    mask = np.zeros((4, 5), bool)
    mask[0, 0] = True
    assert np.array_equal(
        dilate(mask, 2),
        grid("""
        ###..
        ##...
        #....
        .....
    """),
    )


def test_zero_steps_is_a_copy_and_empty_and_full_masks_stay_so():
    mask = grid("""
        .#.
        ##.
    """)
    for op in (dilate, erode):
        same = op(mask, 0)
        assert np.array_equal(same, mask) and same is not mask
        assert not op(np.zeros((4, 6), bool), 3).any()
        assert op(np.ones((4, 6), bool), 3).all()  # the border does not erode a full mask


def test_erosion_shrinks_from_the_mask_edge_but_not_from_the_image_border():
    mask = grid("""
        ######
        ######
        ######
        ....##
        ......
    """)
    assert np.array_equal(
        erode(mask, 1),
        grid("""
        ######
        ######
        ....##
        ......
        ......
    """),
    )
    assert np.array_equal(
        erode(mask, 2),
        grid("""
        ######
        ....##
        ......
        ......
        ......
    """),
    )
    square = np.zeros((7, 7), bool)
    square[1:6, 1:6] = True
    assert (
        erode(square, 1).sum() == 9 and erode(square, 2).sum() == 1 and not erode(square, 3).any()
    )


def test_signed_distance_counts_steps_from_the_edge_in_float32():
    row = grid("...#####")
    got = signed_distance(row, 3)
    assert got.dtype == np.float32
    # the right-hand border is no edge: those pixels are as far in as the limit allows
    assert got.tolist() == [[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.0, 3.0]]

    dot = np.zeros((5, 5), bool)
    dot[2, 2] = True
    got = signed_distance(dot, 2)
    assert got[2, 2] == 0.5 and got[2, 3] == -0.5
    assert got[1, 1] == -1.5  # a diagonal neighbour is two steps away (city-block, not chessboard)
    assert got[0, 0] == -2.0 and got[0, 2] == -1.5


def test_signed_distance_without_an_edge_is_the_limit_and_never_negative_zero():
    assert np.array_equal(signed_distance(np.ones((3, 4), bool), 5), np.full((3, 4), 5, np.float32))
    assert np.array_equal(
        signed_distance(np.zeros((3, 4), bool), 5), np.full((3, 4), -5, np.float32)
    )
    flat = signed_distance(
        grid("""
        ##..
        #...
    """),
        0,
    )
    assert not flat.any() and not np.signbit(flat).any()


@pytest.mark.parametrize("density", [0.05, 0.3, 0.7, 0.97])
def test_the_operations_match_their_definitions_on_random_masks(density):
    rng = np.random.default_rng(int(density * 100))
    for _ in range(12):
        mask = rng.random((int(rng.integers(1, 14)), int(rng.integers(1, 14)))) < density
        for k in (0, 1, 2, 4, 9):
            assert np.array_equal(dilate(mask, k), steps_to(mask) <= k)
            assert np.array_equal(erode(mask, k), steps_to(~mask) > k)
            want = reference_signed_distance(mask, k)
            assert signed_distance(mask, k).tobytes() == want.tobytes()


@pytest.mark.parametrize(
    "call",
    [
        lambda: dilate(np.zeros((3, 3), np.uint8), 1),
        lambda: erode(np.zeros((2, 3, 3), bool), 1),
        lambda: signed_distance(np.zeros((3, 3), bool), -1),
    ],
)
def test_a_mask_that_is_not_2d_boolean_or_a_negative_amount_is_refused(call):
    with pytest.raises(ValueError, match="must be"):
        call()


def test_box_is_the_bounding_box_grown_within_the_image():
    mask = np.zeros((6, 8), bool)
    mask[1, 2] = mask[3, 6] = True
    assert box(mask) == (slice(1, 4), slice(2, 7))
    assert box(mask, 2) == (slice(0, 6), slice(0, 9))
    assert box(np.zeros((6, 8), bool), 3) == (slice(0, 0), slice(0, 0))
