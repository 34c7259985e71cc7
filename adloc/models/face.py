"""The talent's face, found once at import so that layouts can keep it clear.

The detector is OpenCV's frontal-face Haar cascade (P. Viola, M. Jones, "Rapid Object Detection
using a Boosted Cascade of Simple Features", CVPR 2001; R. Lienhart's trained
`haarcascade_frontalface_default.xml`), which the `opencv-contrib-python-headless` wheel ships in
`cv2.data`: nothing is fetched, and the same file gives the same boxes on every run. The largest
face found is the talent's; the box is in the photo's own pixels.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from adloc.records import Box

CASCADE = "haarcascade_frontalface_default.xml"
SCALE_STEP = 1.1  # the detector's image pyramid, 10% a level
NEIGHBOURS = 5  # overlapping detections a face needs (fewer false faces in a busy background)
MIN_SIDE = 0.06  # of the photo's shorter side: a smaller face is not the talent's


def _cascade_path() -> Path:
    import cv2

    return Path(cv2.data.haarcascades) / CASCADE


@lru_cache(maxsize=1)
def _detector():
    import cv2

    return cv2.CascadeClassifier(str(_cascade_path()))


@lru_cache(maxsize=1)
def model_id() -> str:
    """What the asset database records for a face box: the cascade and the first 12 hex digits of
    its file's sha256."""
    digest = hashlib.sha256(_cascade_path().read_bytes()).hexdigest()[:12]
    return f"opencv-{CASCADE.removesuffix('.xml')}@{digest}"


def find_face(rgba: np.ndarray) -> Box | None:
    """The largest frontal face in a photo (H x W x 3 or 4 uint8; a cutout is seen on mid grey) as
    (x, y, width, height) in its pixels, or None when there is none."""
    import cv2

    rgb = rgba[..., :3].astype(np.float32)
    if rgba.shape[-1] == 4:
        alpha = rgba[..., 3:].astype(np.float32) / 255.0
        rgb = rgb * alpha + 128.0 * (1 - alpha)
    grey = cv2.cvtColor(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    side = max(16, round(min(grey.shape) * MIN_SIDE))
    found = _detector().detectMultiScale(grey, scaleFactor=SCALE_STEP, minNeighbors=NEIGHBOURS, minSize=(side, side))
    if len(found) == 0:
        return None
    x, y, w, h = max((tuple(int(v) for v in f) for f in found), key=lambda f: (f[2] * f[3], f))
    return (x, y, w, h)


class FaceFinder:
    """What the talent import calls for every photo: `find_face`, with the id of what found it."""

    @property
    def model_id(self) -> str:
        return model_id()

    def __call__(self, rgba: np.ndarray) -> Box | None:
        return find_face(rgba)
