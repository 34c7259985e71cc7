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
