"""The deterministic inpainting backend, and the request both backends take.

`blend` is a feathered alpha blend across the band around the talent: no model, the default, and the
fallback when a diffusion output fails its checks. `restore` puts back, exactly, the talent's
licensed pixels and every template pixel outside the band, whatever a backend returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adloc.mask import box, dilate, erode, signed_distance

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
    fill: tuple = ()  # the template's fill boxes: only an inpainting model repaints them

    def composite(self) -> np.ndarray:
        """Template with the talent pasted on with a hard edge: the inpainter's input."""
        hard = (self.talent[..., 3] >= 128) | self.core
        out = self.template.astype(np.uint8, copy=True)
        crop = box(hard)  # the template elsewhere
        out[crop] = np.where(hard[crop][..., None], self.talent[crop][..., :3], out[crop])
        return out


def blend(request: InpaintRequest) -> np.ndarray:
    out = request.template.astype(np.uint8, copy=True)
    crop = box(request.feather > 0)  # where the alpha is 0 the blend is the template
    alpha = request.feather[crop][..., None]
    mixed = request.template[crop].astype(np.float32) * (1 - alpha) + request.talent[crop][..., :3].astype(np.float32) * alpha
    out[crop] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    return out


def restore(image: np.ndarray, request: InpaintRequest) -> np.ndarray:
    """Keep only the band from `image`: talent core and everything outside come back exactly."""
    out = request.template.astype(np.uint8, copy=True)
    crop = box(request.band | request.core)  # the template elsewhere
    kept = np.where(request.band[crop][..., None], image[crop], out[crop])
    out[crop] = np.where(request.core[crop][..., None], request.talent[crop][..., :3], kept)
    return out


def make_request(key: str, template: np.ndarray, talent: np.ndarray, band_width: int, prompt: str, seed: int,
                 steps: int, guidance: float, fill: tuple = (), mask_crop: int | None = None) -> InpaintRequest:
    """The request for a talent cutout placed on a transparent canvas the template's size: the
    opaque core is kept exactly, a band `band_width` wide around the silhouette is inpainted (with
    any `fill` boxes the template declares), and the blend's alpha ramps across the band."""
    half = max(1, band_width // 2)
    # The masks only change near the cutout: computed on its neighbourhood, empty elsewhere.
    crop = box(talent[..., 3] > 0, half + 2)
    silhouette = talent[crop][..., 3] >= 128
    core, band = np.zeros(talent.shape[:2], bool), np.zeros(talent.shape[:2], bool)
    feather = np.zeros(talent.shape[:2], np.float32)
    core[crop] = erode(silhouette, half)
    band[crop] = dilate(silhouette, half)
    for x, y, w, h in fill:
        band[y : y + h, x : x + w] = True
    band &= ~core
    ramp = np.clip((signed_distance(silhouette, half + 1) + half) / (2 * half), 0, 1)
    feather[crop] = np.where(core[crop], 1.0, ramp * (talent[crop][..., 3] / 255.0))
    return InpaintRequest(key=key, template=template, talent=talent, core=core, band=band, feather=feather,
                          prompt=prompt, seed=seed, steps=steps, guidance=guidance, mask_crop=mask_crop,
                          fill=tuple(fill))
