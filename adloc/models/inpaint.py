"""The inpainter as a Beam ModelHandler, with two backends:

- `blend`: a deterministic feathered alpha blend across the band (no model; the default, and the
  fallback when a diffusion output fails its checks);
- any diffusers inpainting checkpoint, by local folder or hub id, through AutoPipelineForInpainting.

Both return the full image; the caller restores the talent and everything outside the band.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from adloc.models import use_threads
from adloc.models.blend import BLEND_ID, InpaintRequest, blend, restore
from adloc.models.diffusion import diffuse_batch, load_diffusers_inpainter, shape_key


@dataclass
class LoadedInpainter:
    """A diffusers pipeline and the lock its calls take: Beam shares one loaded model between the
    threads of a worker process, and a pipeline's scheduler is not safe to share mid-call."""

    pipe: Any
    lock: Any = field(default_factory=threading.Lock)


class InpaintModelHandler(ModelHandler[InpaintRequest, PredictionResult, Any]):
    """`checkpoint` is None for the blend, else a diffusers inpainting folder or hub id."""

    def __init__(self, checkpoint: str | None = None, batch_size: int = 1, threads: int | None = None):
        super().__init__()
        self._checkpoint = checkpoint
        self._threads = threads  # torch threads in each worker process (None: torch's default)
        self._batch_size = batch_size  # rows per pipeline call, always this many (padded)

    @property
    def model_id(self) -> str:
        if self._checkpoint is None:
            return BLEND_ID
        return Path(self._checkpoint).name if Path(self._checkpoint).exists() else self._checkpoint

    def load_model(self) -> LoadedInpainter | None:
        if self._checkpoint is None:
            return None
        use_threads(self._threads)
        return LoadedInpainter(load_diffusers_inpainter(self._checkpoint))

    def run_inference(
        self, batch: Sequence[InpaintRequest], model: Any, inference_args: dict | None = None
    ) -> Iterable[PredictionResult]:
        images: dict[int, np.ndarray] = {}
        if model is None:
            images = {i: blend(r) for i, r in enumerate(batch)}
        else:
            groups: dict[tuple, list[int]] = defaultdict(list)
            for i, request in enumerate(batch):
                groups[shape_key(request)].append(i)  # diffusers cannot batch mixed sizes
            for rows in groups.values():
                for start in range(0, len(rows), self._batch_size):
                    chunk = rows[start : start + self._batch_size]
                    try:
                        with model.lock:  # the pipeline's scheduler keeps state: one call at a time
                            outputs = diffuse_batch(model.pipe, [batch[i] for i in chunk], self._batch_size)
                    except Exception as exc:  # noqa: BLE001 - any failure of the model sends these items to the blend
                        # A blank result fails the image checks, so the items take the blend, for review.
                        logging.getLogger(__name__).warning("inpainting %s failed: %s", batch[chunk[0]].key, exc)
                        outputs = [np.zeros_like(batch[i].template) for i in chunk]
                    images.update(zip(chunk, outputs, strict=True))
        for i, request in enumerate(batch):
            yield PredictionResult(request, restore(images[i], request), self.model_id)

    def batch_elements_kwargs(self) -> dict:
        return {"min_batch_size": 1, "max_batch_size": max(4, self._batch_size)}

    def get_metrics_namespace(self) -> str:
        return "adloc_inpainter"
