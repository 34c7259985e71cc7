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
EPS = 1e-3  # the guided filter's regularization (intensities in [0, 1]): small keeps the photo's edges
SOLID_AT = 0.55  # the filtered map's level the edge is drawn at: a little inside the segmenter's 0.5
SOLID = 242  # alpha from which a pixel is the person's own colour (95%)
CLEAR = 13  # alpha up to which a pixel is the old background's (5%)
FIRM = 0.3  # alpha from which a soft pixel's own colour is solved for; fainter ones borrow it


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
    """The probability map, steepened (the segmenter's edge is some 10 px wide at 256 px), filtered
    with the photo as the guide, and steepened again about SOLID_AT: H x W float32 in [0, 1]. The
    window's radius is 1.5% of the photo's shorter side (at least 4 px)."""
    import cv2

    radius = max(4, round(min(rgb.shape[:2]) * 0.015))
    guide = rgb.astype(np.float32) / 255.0
    steep = np.clip((probability_map - 0.5) * 4 + 0.5, 0, 1).astype(np.float32)
    filtered = cv2.ximgproc.guidedFilter(guide, steep, radius, EPS)
    return np.clip((filtered - SOLID_AT) * 2 + 0.5, 0, 1).astype(np.float32)


def decontaminate(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The photo's colours with its old background taken out of the matte's soft edge, so a light
    studio wall leaves no halo on a dark template: H x W x 3 uint8, solid pixels unchanged.

    A soft pixel is I = aF + (1 - a)B; B is taken from the nearest background pixel (alpha 0, else at
    most CLEAR) and the equation solved for F where a is at least FIRM; fainter pixels take the F of
    the nearest pixel where it was solved (Euclidean distance)."""
    from scipy import ndimage

    a = alpha.astype(np.float32)[..., None] / 255.0
    solid, firm = alpha >= SOLID, alpha >= round(FIRM * 255)
    # B from wholly clear pixels where the matte has them: a 5% pixel still holds 5% of the person,
    # an error that the division by a magnifies (1 - a) / a times at the fainter soft pixels
    clear = alpha == 0 if (alpha == 0).any() else alpha <= CLEAR
    if solid.all() or not clear.any() or not firm.any():
        return rgb
    _, (rows, cols) = ndimage.distance_transform_edt(~clear, return_indices=True)
    image = rgb.astype(np.float32)
    background = image[rows, cols]
    solved = np.clip((image - (1 - a) * background) / np.maximum(a, FIRM), 0, 255)
    _, (rows, cols) = ndimage.distance_transform_edt(~firm, return_indices=True)
    foreground = np.where(firm[..., None], solved, solved[rows, cols])
    return np.where(solid[..., None], rgb, np.rint(foreground).astype(np.uint8))


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
