"""The inpainter as a Beam ModelHandler, with two backends:

- `blend`: a deterministic feathered alpha blend across the band (no model; the default, and the
  fallback when a diffusion output fails its checks);
- any diffusers inpainting checkpoint, by local folder or hub id, through AutoPipelineForInpainting.

Both return the full image; the caller restores the talent and everything outside the band.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from adloc.models.blend import BLEND_ID, InpaintRequest, blend, restore
from adloc.models.diffusion import diffuse, load_diffusers_inpainter


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
                    image = diffuse(model, request)
                except (RuntimeError, ValueError) as exc:
                    # A blank result fails the image checks, so the item takes the blend, for review.
                    logging.getLogger(__name__).warning("inpainting %s failed: %s", request.key, exc)
                    image = np.zeros_like(request.template)
            yield PredictionResult(request, restore(image, request), self.model_id)

    def batch_elements_kwargs(self) -> dict:
        return {"min_batch_size": 1, "max_batch_size": 4}

    def get_metrics_namespace(self) -> str:
        return "adloc_inpainter"
