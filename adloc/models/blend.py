"""The deterministic inpainting backend, and the request both backends take.

`blend` joins the talent to the template across the band around its silhouette, without a model:
the default backend, and the fallback when a diffusion output fails its checks. How it crosses the
band is the template's choice (`Compositing`):

- feather: an alpha ramp across the band, times the talent's own alpha;
- seamless: the band solved as a Poisson problem (P. Pérez, M. Gangnet, A. Blake, "Poisson Image
  Editing", SIGGRAPH 2003) with the talent's core and the template around it as its boundary and
  each side's own gradients as the guide, so the colour step at the silhouette is spread over the
  band and both sides keep their texture;
- match: the talent's rim takes the colour and light of the scene around it (a mean and spread
  transfer in CIELAB: E. Reinhard et al., "Color Transfer between Images", IEEE CG&A 2001), fading
  to nothing at the core, then the feather.

The template's fill boxes are repaired by classical inpainting (OpenCV's Telea or Navier–Stokes)
before the talent goes in. `restore` puts back, exactly, the talent's licensed pixels and every
template pixel outside the band, whatever a backend returned: only the band is ever adapted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adloc.mask import box, dilate, erode, signed_distance
from adloc.records import Box, Compositing, FillRepair

BLEND_ID = "blend-v1"


@dataclass
class InpaintRequest:
    key: str
    template: np.ndarray  # H x W x 3 uint8, the brand's design
    talent: np.ndarray  # H x W x 4 uint8, the talent cutout placed on a transparent canvas
    core: np.ndarray  # H x W bool: talent pixels that must arrive exactly as licensed
    band: np.ndarray  # H x W bool: the inpainting mask around the silhouette
    feather: np.ndarray  # H x W float32 in [0, 1]: the blend's alpha across the band
    prompt: str
    seed: int
    steps: int
    guidance: float
    mask_crop: int | None = None
    fill: tuple = ()  # the template's fill boxes, repainted by the model or repaired by `fill_repair`
    compositing: Compositing = Compositing.FEATHER
    fill_repair: FillRepair = FillRepair.TELEA
    face: Box | None = None  # the talent's face as placed, in template pixels
    frame: Box | None = None  # the talent's photo as placed: its edges are the crop
    ramp: np.ndarray | None = None  # H x W float32 in [0, 1]: 0 at the band's outer edge, 1 at the core

    def composite(self) -> np.ndarray:
        """Template with the talent pasted on with a hard edge: the inpainter's input."""
        hard = (self.talent[..., 3] >= 128) | self.core
        out = self.template.astype(np.uint8, copy=True)
        crop = box(hard)  # the template elsewhere
        out[crop] = np.where(hard[crop][..., None], self.talent[crop][..., :3], out[crop])
        return out


FILL_RADIUS = 5  # px: the neighbourhood OpenCV's inpainting draws each repaired pixel from
RING = 6  # px: the scene around the band whose colour the match takes


def repair_fill(template: np.ndarray, fill: tuple, method: FillRepair = FillRepair.TELEA) -> np.ndarray:
    """The template (H x W x 3 uint8) with its fill boxes inpainted from their surroundings by
    OpenCV's Telea (fast marching) or Navier–Stokes method; unchanged elsewhere, bit for bit."""
    if not fill:
        return template
    import cv2

    mask = np.zeros(template.shape[:2], np.uint8)
    for x, y, w, h in fill:
        mask[y : y + h, x : x + w] = 255
    flag = cv2.INPAINT_TELEA if method == FillRepair.TELEA else cv2.INPAINT_NS
    repaired = cv2.inpaint(np.ascontiguousarray(template), mask, FILL_RADIUS, flag)
    return np.where(mask[..., None] > 0, repaired, template)


def _lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _rgb(lab: np.ndarray) -> np.ndarray:
    import cv2

    return np.clip(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2RGB) * 255.0, 0, 255)


def _feather(base: np.ndarray, talent_rgb: np.ndarray, feather: np.ndarray) -> np.ndarray:
    alpha = feather[..., None]
    mixed = base.astype(np.float32) * (1 - alpha) + talent_rgb.astype(np.float32) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _matched(request: InpaintRequest, base: np.ndarray, crop) -> np.ndarray:
    """The talent's RGB on `crop` with its rim moved towards the scene's colour statistics: the
    transfer's weight is 1 from the silhouette's edge outwards and falls to 0 at the core."""
    talent, band, core = request.talent[crop][..., :3], request.band[crop], request.core[crop]
    silhouette = (request.talent[crop][..., 3] >= 128) | core
    scene = dilate(band, RING) & ~band & ~core & ~silhouette
    if not core.any() or not scene.any():
        return talent.astype(np.float32)
    talent_lab, scene_lab = _lab(talent), _lab(base[crop])
    mu_t, sd_t = talent_lab[core].mean(axis=0), talent_lab[core].std(axis=0)
    mu_s, sd_s = scene_lab[scene].mean(axis=0), scene_lab[scene].std(axis=0)
    moved = (talent_lab - mu_t) * (sd_s / np.maximum(sd_t, 1e-3)) + mu_s
    weight = np.clip(2 * (1 - request.ramp[crop]), 0, 1)[..., None] * band[..., None]
    return _rgb(talent_lab * (1 - weight) + moved * weight)


def _seamless(request: InpaintRequest, base: np.ndarray, crop) -> np.ndarray:
    """The band on `crop` solved as a discrete Poisson equation (4-neighbour Laplacian): the
    boundary is the talent's core and the template around the band, the guide each side's own
    gradient (none across the silhouette's edge). One sparse LU factorization, three channels."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import splu

    core = request.core[crop]
    band = request.band[crop] & (request.ramp[crop] > 0)  # the band around the silhouette; fill boxes stay repaired
    silhouette = (request.talent[crop][..., 3] >= 128) | core
    talent = request.talent[crop][..., :3].astype(np.float64)
    known = np.where(core[..., None], talent, base[crop].astype(np.float64))  # the boundary's values
    source = np.where(silhouette[..., None], talent, base[crop].astype(np.float64))  # the guide
    height, width = band.shape
    index = np.full(band.shape, -1, np.int64)
    index[band] = np.arange(int(band.sum()))
    ys, xs = np.nonzero(band)
    rows, cols, values = [index[ys, xs]], [index[ys, xs]], []
    diagonal = np.zeros(len(ys))
    rhs = np.zeros((len(ys), 3))
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        qy, qx = ys + dy, xs + dx
        inside = (qy >= 0) & (qy < height) & (qx >= 0) & (qx < width)  # past the image's edge: no neighbour
        p, qy, qx = np.flatnonzero(inside), qy[inside], qx[inside]
        diagonal[p] += 1
        same_side = silhouette[ys[p], xs[p]] == silhouette[qy, qx]
        rhs[p] += np.where(same_side[:, None], source[ys[p], xs[p]] - source[qy, qx], 0.0)
        unknown = band[qy, qx]
        rows.append(index[ys[p][unknown], xs[p][unknown]])
        cols.append(index[qy[unknown], qx[unknown]])
        values.append(-np.ones(int(unknown.sum())))
        rhs[p[~unknown]] += known[qy[~unknown], qx[~unknown]]
    matrix = coo_matrix((np.concatenate([diagonal, *values]), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(len(ys), len(ys))).tocsc()
    solved = splu(matrix).solve(rhs)
    out = known.copy()  # the talent's core, the template around it
    out[band] = solved
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def blend(request: InpaintRequest) -> np.ndarray:
    """The template with its fill boxes repaired and the talent joined across the band, by the
    request's `compositing`: H x W x 3 uint8. Deterministic: the same request, the same bytes."""
    base = repair_fill(request.template, request.fill, request.fill_repair)
    out = base.astype(np.uint8, copy=True)
    crop = box(request.feather > 0, RING + 1)  # where the alpha is 0 the blend is the template
    if request.compositing == Compositing.SEAMLESS and request.band[crop].any():
        out[crop] = _seamless(request, base, crop)
        return out
    talent = _matched(request, base, crop) if request.compositing == Compositing.MATCH else request.talent[crop][..., :3]
    out[crop] = _feather(base[crop], talent, request.feather[crop])
    return out


def restore(image: np.ndarray, request: InpaintRequest) -> np.ndarray:
    """Keep only the band from `image`: talent core and everything outside come back exactly."""
    out = request.template.astype(np.uint8, copy=True)
    crop = box(request.band | request.core)  # the template elsewhere
    kept = np.where(request.band[crop][..., None], image[crop], out[crop])
    out[crop] = np.where(request.core[crop][..., None], request.talent[crop][..., :3], kept)
    return out


def make_request(key: str, template: np.ndarray, talent: np.ndarray, band_width: int, prompt: str, seed: int,
                 steps: int, guidance: float, fill: tuple = (), mask_crop: int | None = None,
                 compositing: Compositing = Compositing.FEATHER, fill_repair: FillRepair = FillRepair.TELEA,
                 face: Box | None = None, frame: Box | None = None) -> InpaintRequest:
    """The request for a talent cutout placed on a transparent canvas the template's size: the
    opaque core is kept exactly, a band `band_width` wide around the silhouette is inpainted (with
    any `fill` boxes the template declares), and the blend's alpha ramps across the band."""
    half = max(1, band_width // 2)
    # The masks only change near the cutout: computed on its neighbourhood, empty elsewhere.
    crop = box(talent[..., 3] > 0, half + 2)
    silhouette = talent[crop][..., 3] >= 128
    core, band = np.zeros(talent.shape[:2], bool), np.zeros(talent.shape[:2], bool)
    feather, ramp = np.zeros(talent.shape[:2], np.float32), np.zeros(talent.shape[:2], np.float32)
    core[crop] = erode(silhouette, half)
    band[crop] = dilate(silhouette, half)
    for x, y, w, h in fill:
        band[y : y + h, x : x + w] = True
    band &= ~core
    ramp[crop] = np.clip((signed_distance(silhouette, half + 1) + half) / (2 * half), 0, 1)
    feather[crop] = np.where(core[crop], 1.0, ramp[crop] * (talent[crop][..., 3] / 255.0))
    return InpaintRequest(key=key, template=template, talent=talent, core=core, band=band, feather=feather,
                          prompt=prompt, seed=seed, steps=steps, guidance=guidance, mask_crop=mask_crop,
                          fill=tuple(fill), compositing=Compositing(compositing), fill_repair=FillRepair(fill_repair),
                          face=face, frame=frame, ramp=ramp)
