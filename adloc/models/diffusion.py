"""The diffusers backend: any inpainting checkpoint by folder or hub id, through
AutoPipelineForInpainting. Free of Beam, so it runs (and is measured) on its own."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from adloc.models.blend import InpaintRequest


def load_diffusers_inpainter(checkpoint: str, device: str | None = None) -> Any:
    """Any diffusers inpainting pipeline by folder or hub id; on CUDA with fp16 when present
    (or on `device`: "cuda" runs fp16, "cpu" fp32)."""
    import torch
    from diffusers import AutoPipelineForInpainting

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    kwargs = {"dtype": dtype}
    if Path(checkpoint).exists() and (Path(checkpoint) / "model_index.json").is_file():
        import json

        index = json.loads((Path(checkpoint) / "model_index.json").read_text())
        if "safety_checker" in index:
            kwargs.update(safety_checker=None, requires_safety_checker=False)
    pipe = AutoPipelineForInpainting.from_pretrained(checkpoint, **kwargs).to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def shape_key(request: InpaintRequest) -> tuple:
    """Requests that can share one pipeline call: diffusers cannot batch mixed sizes or settings."""
    return (request.template.shape, request.steps, request.guidance, request.mask_crop)


def diffuse(pipe: Any, request: InpaintRequest) -> np.ndarray:
    """One request through the pipeline: seeded, the band as the mask, the full image back."""
    return diffuse_batch(pipe, [request], 1)[0]


def diffuse_batch(pipe: Any, requests: list[InpaintRequest], batch_size: int) -> list[np.ndarray]:
    """Requests of one `shape_key` in one call, padded to `batch_size` rows with copies of the first:
    always the same shapes, so an image never depends on which requests it was batched with. Each
    row has its own generator, seeded by its item."""
    import torch
    from PIL import Image

    if len({shape_key(r) for r in requests}) != 1 or not 0 < len(requests) <= batch_size:
        raise ValueError(f"diffuse_batch takes 1 to {batch_size} requests of one size and setting")
    first = requests[0]
    height, width = first.template.shape[:2]
    if first.mask_crop is not None and "padding_mask_crop" in inspect.signature(pipe.__call__).parameters:
        # Inpaint a crop around the mask at the model's own resolution and paste it back: large
        # templates keep their full resolution, and the model works where the band is. Diffusers
        # crops one image per call.
        result = [pipe(
            prompt=r.prompt, image=Image.fromarray(r.composite()),
            mask_image=Image.fromarray((r.band * 255).astype(np.uint8)), padding_mask_crop=r.mask_crop,
            num_inference_steps=r.steps, guidance_scale=r.guidance,
            generator=torch.Generator("cpu").manual_seed(r.seed), output_type="pil",
        ).images[0] for r in requests]
    else:
        rows = requests + [first] * (batch_size - len(requests))
        result = pipe(
            prompt=[r.prompt for r in rows],
            image=[Image.fromarray(r.composite()) for r in rows],
            mask_image=[Image.fromarray((r.band * 255).astype(np.uint8)) for r in rows],
            height=height - height % 8,
            width=width - width % 8,
            num_inference_steps=first.steps,
            guidance_scale=first.guidance,
            generator=[torch.Generator("cpu").manual_seed(r.seed) for r in rows],
            output_type="pil",
        ).images[: len(requests)]
    out = []
    for image in result:
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        out.append(np.asarray(image.convert("RGB")))
    return out
