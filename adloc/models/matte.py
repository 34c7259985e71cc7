"""Mattes for talent photographs that arrive without alpha (a JPEG of a person in front of a studio
or street background).

A person segmenter (MediaPipe's selfie segmenter, `adloc.models.vision.SELFIE`, run by LiteRT)
gives each pixel a probability of being the person at 256x256. The probability map is scaled to the
photo and refined at the hair and edges by a guided filter with the photo as the guide (K. He,
J. Sun, X. Tang, "Guided Image Filtering", ECCV 2010; OpenCV's `ximgproc.guidedFilter`), so the
matte follows the photo's own edges. A matte that covers too little or too much of the frame, or
that holds several people, is refused: the photo needs a cutout made by hand.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from adloc.errors import MatteError
from adloc.models import vision

MATTE_ID = f"{vision.SELFIE.model_id}+guided-filter"  # what the asset database records for a matte
SIZE = 256  # px: the segmenter's input, square
MIN_COVER, MAX_COVER = 0.05, 0.90  # share of the frame the person may cover
SECOND_PERSON = 0.25  # a second region this share of the largest one's area is another person
EPS = 1e-4  # the guided filter's regularization (intensities in [0, 1]): small keeps the photo's edges


@lru_cache(maxsize=1)
def _segmenter():
    if not vision.SELFIE.path.is_file():
        raise MatteError(f"the person segmenter is not fetched ({vision.SELFIE.path}): run `adloc models fetch "
                         "vision` (`make models` does)")
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(vision.SELFIE.path), num_threads=1)  # one thread: same bits every run
    interpreter.allocate_tensors()
    return interpreter


def probability(rgb: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 -> H x W float32 in [0, 1]: the segmenter's person probability, scaled to
    the photo (bilinear). The photo is letterboxed to the square input (aspect kept, padded with
    its edge pixels) and the padding cut off again."""
    import cv2

    interpreter = _segmenter()
    height, width = rgb.shape[:2]
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    square = cv2.copyMakeBorder(rgb, top, side - height - top, left, side - width - left, cv2.BORDER_REPLICATE)
    small = cv2.resize(square, (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], small[None])
    interpreter.invoke()
    out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, :, :, 0]
    full = cv2.resize(out, (side, side), interpolation=cv2.INTER_LINEAR)[top : top + height, left : left + width]
    return np.clip(full, 0, 1)


def refine(rgb: np.ndarray, probability_map: np.ndarray) -> np.ndarray:
    """The probability map filtered with the photo as the guide: H x W float32 in [0, 1]. The
    window's radius is 1% of the photo's shorter side (at least 4 px)."""
    import cv2

    radius = max(4, round(min(rgb.shape[:2]) / 100))
    guide = rgb.astype(np.float32) / 255.0
    return np.clip(cv2.ximgproc.guidedFilter(guide, probability_map.astype(np.float32), radius, EPS), 0, 1)


def people(mask: np.ndarray) -> int:
    """How many separate people a person mask holds: its connected regions of at least
    SECOND_PERSON of the largest one's area (specks and a detached hand do not count)."""
    import cv2

    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = sorted((int(a) for a in stats[1:, cv2.CC_STAT_AREA]), reverse=True)
    return sum(1 for a in areas if areas and a >= SECOND_PERSON * areas[0])


def matte(rgb: np.ndarray, where: str) -> np.ndarray:
    """The photo's alpha matte, H x W uint8 (255 the person, 0 the background). MatteError, naming
    `where`, when the person covers less than MIN_COVER or more than MAX_COVER of the frame, or the
    photo holds more than one person."""
    p = probability(rgb)
    person = p >= 0.5
    cover = float(person.mean())
    if cover < MIN_COVER:
        raise MatteError(f"{where}: the matte covers {cover:.0%} of the photo (at least {MIN_COVER:.0%} needed): "
                         "no person found; import a cutout with alpha instead")
    if cover > MAX_COVER:
        raise MatteError(f"{where}: the matte covers {cover:.0%} of the photo (at most {MAX_COVER:.0%}): the "
                         "background cannot be told from the person; import a cutout with alpha instead")
    found = people(person)
    if found > 1:
        raise MatteError(f"{where}: the matte holds {found} people; a talent photo shows one (crop it, or import "
                         "a cutout with alpha)")
    return np.rint(refine(rgb, p) * 255).astype(np.uint8)


class Matter:
    """What the talent import calls for a photo without alpha: `matte`, with the id of what made it."""

    model_id = MATTE_ID

    def __call__(self, rgb: np.ndarray, where: str) -> np.ndarray:
        return matte(rgb, where)
