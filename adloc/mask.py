"""Binary masks on numpy arrays: growing, shrinking, and distance in steps from an edge.

Steps are 4-neighbour steps, so `steps` pixels of growth reach every pixel within that city-block
(taxicab) distance. Only pixels of the image count: nothing grows in from outside its border, and
the border does not shrink a mask that touches it.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_CROSS = ndimage.generate_binary_structure(2, 1)  # a pixel and its 4 neighbours: one step


def _check(mask: np.ndarray, amount: int, name: str) -> None:
    if mask.dtype != bool or mask.ndim != 2:
        raise ValueError(f"mask must be a 2-D boolean array, got {mask.ndim}-D {mask.dtype}")
    if amount < 0:
        raise ValueError(f"{name} must be 0 or more, got {amount}")


def dilate(mask: np.ndarray, steps: int) -> np.ndarray:
    """Grow a boolean mask by `steps` pixels (4-neighbourhood)."""
    _check(mask, steps, "steps")
    if steps == 0:  # scipy reads iterations=0 as "repeat until nothing changes"
        return mask.copy()
    return ndimage.binary_dilation(mask, _CROSS, iterations=steps, border_value=False)


def erode(mask: np.ndarray, steps: int) -> np.ndarray:
    """Shrink a boolean mask by `steps` pixels (4-neighbourhood): the complement of `dilate` of
    the complement, hence the border counts as inside."""
    _check(mask, steps, "steps")
    if steps == 0:
        return mask.copy()
    return ndimage.binary_erosion(mask, _CROSS, iterations=steps, border_value=True)


def signed_distance(mask: np.ndarray, limit: int) -> np.ndarray:
    """Steps from the mask's edge, positive inside and negative outside, clipped to ±limit.

    A pixel d steps (city-block) from the nearest pixel on the other side gets ±(d - 0.5), as if
    the edge ran between the two, and ±limit when d > limit or there is no other side: float32.
    """
    _check(mask, limit, "limit")
    dist = np.where(mask, limit, -limit).astype(np.float32)
    # Distance to the nearest pixel of the other side, 0 on it, -1 everywhere when it is empty.
    inside = ndimage.distance_transform_cdt(mask, metric="taxicab")
    outside = ndimage.distance_transform_cdt(~mask, metric="taxicab")
    near = (inside >= 1) & (inside <= limit)
    dist[near] = inside[near] - 0.5
    near = (outside >= 1) & (outside <= limit)
    dist[near] = 0.5 - outside[near]
    return dist


def box(mask: np.ndarray, margin: int = 0) -> tuple[slice, slice]:
    """The rows and columns of `mask`'s bounding box grown by `margin` (within the image), empty
    for an empty mask: work that only concerns the mask's neighbourhood runs on this crop."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return slice(0, 0), slice(0, 0)
    return (slice(max(0, int(rows[0]) - margin), int(rows[-1]) + margin + 1),
            slice(max(0, int(cols[0]) - margin), int(cols[-1]) + margin + 1))
