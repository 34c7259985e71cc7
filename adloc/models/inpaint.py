"""The inpainter as a Beam ModelHandler, with two backends:

- `blend`: a deterministic feathered alpha blend across the band (no model; the default, and the
  fallback when a diffusion output fails its checks);
- any diffusers inpainting checkpoint, by local folder or hub id, through AutoPipelineForInpainting.

Both return the full image; the caller restores the talent and everything outside the band.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

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

    def composite(self) -> np.ndarray:
        """Template with the talent pasted on with a hard edge: the inpainter's input."""
        hard = (self.talent[..., 3] >= 128) | self.core
        return np.where(hard[..., None], self.talent[..., :3], self.template).astype(np.uint8)


def blend(request: InpaintRequest) -> np.ndarray:
    alpha = request.feather[..., None]
    out = request.template.astype(np.float32) * (1 - alpha) + request.talent[..., :3].astype(np.float32) * alpha
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def restore(image: np.ndarray, request: InpaintRequest) -> np.ndarray:
    """Keep only the band from `image`: talent core and everything outside come back exactly."""
    out = np.where(request.band[..., None], image, request.template)
    return np.where(request.core[..., None], request.talent[..., :3], out).astype(np.uint8)


class InpaintModelHandler(ModelHandler[InpaintRequest, PredictionResult, Any]):
    """`checkpoint` is None for the blend, else a diffusers inpainting folder or hub id."""

    def __init__(self, checkpoint: str | None = None):
        super().__init__()
        self._checkpoint = checkpoint

    @property
    def model_id(self) -> str:
        if self._checkpoint is None:
            return BLEND_ID
        return Path(self._checkpoint).name if Path(self._checkpoint).exists() else self._checkpoint

    def load_model(self) -> Any:
        if self._checkpoint is None:
            return None
        return load_diffusers_inpainter(self._checkpoint)

    def run_inference(
        self, batch: Sequence[InpaintRequest], model: Any, inference_args: dict | None = None
    ) -> Iterable[PredictionResult]:
        for request in batch:
            if model is None:
                image = blend(request)
            else:
                try:
                    image = _diffuse(model, request)
                except (RuntimeError, ValueError) as exc:
                    # A blank result fails the image checks, so the item takes the blend, for review.
                    logging.getLogger(__name__).warning("inpainting %s failed: %s", request.key, exc)
                    image = np.zeros_like(request.template)
            yield PredictionResult(request, restore(image, request), self.model_id)

    def batch_elements_kwargs(self) -> dict:
        return {"min_batch_size": 1, "max_batch_size": 4}

    def get_metrics_namespace(self) -> str:
        return "adloc_inpainter"


def load_diffusers_inpainter(checkpoint: str) -> Any:
    """Any diffusers inpainting pipeline by folder or hub id, on CUDA with fp16 when present."""
    import torch
    from diffusers import AutoPipelineForInpainting

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.float16 if device == "cuda" else torch.float32
    kwargs = {"dtype": dtype}
    if Path(checkpoint).exists() and (Path(checkpoint) / "model_index.json").is_file():
        import json

        index = json.loads((Path(checkpoint) / "model_index.json").read_text())
        if "safety_checker" in index:
            kwargs.update(safety_checker=None, requires_safety_checker=False)
    pipe = AutoPipelineForInpainting.from_pretrained(checkpoint, **kwargs).to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _diffuse(pipe: Any, request: InpaintRequest) -> np.ndarray:
    import torch
    from PIL import Image

    height, width = request.template.shape[:2]
    mask = Image.fromarray((request.band * 255).astype(np.uint8))
    generator = torch.Generator("cpu").manual_seed(request.seed)
    result = pipe(
        prompt=request.prompt,
        image=Image.fromarray(request.composite()),
        mask_image=mask,
        height=height - height % 8,
        width=width - width % 8,
        num_inference_steps=request.steps,
        guidance_scale=request.guidance,
        generator=generator,
        output_type="pil",
    ).images[0]
    if result.size != (width, height):
        result = result.resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(result.convert("RGB"))
