"""Binary masks on numpy arrays: growing, shrinking, and distance in steps from an edge."""

from __future__ import annotations

import numpy as np


def dilate(mask: np.ndarray, steps: int) -> np.ndarray:
    """Grow a boolean mask by `steps` pixels (4-neighbourhood)."""
    out = mask.copy()
    for _ in range(steps):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


def erode(mask: np.ndarray, steps: int) -> np.ndarray:
    return ~dilate(~mask, steps)


def signed_distance(mask: np.ndarray, limit: int) -> np.ndarray:
    """Steps from the mask's edge, positive inside and negative outside, clipped to ±limit."""
    dist = np.where(mask, limit, -limit).astype(np.float32)
    inside, outside = mask.copy(), ~mask
    for step in range(limit):
        shrunk, grown = erode(inside, 1), dilate(~outside, 1)
        dist[inside & ~shrunk] = step + 0.5
        dist[grown & outside] = -(step + 0.5)
        inside, outside = shrunk, outside & ~grown
    return dist


def box(mask: np.ndarray, margin: int = 0) -> tuple[slice, slice]:
    """The rows and columns of `mask`'s bounding box grown by `margin` (within the image), empty
    for an empty mask: work that only concerns the mask's neighbourhood runs on this crop."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return slice(0, 0), slice(0, 0)
    return (slice(max(0, int(rows[0]) - margin), int(rows[-1]) + margin + 1),
            slice(max(0, int(cols[0]) - margin), int(cols[-1]) + margin + 1))
