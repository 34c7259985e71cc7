"""The diffusers backend: any inpainting checkpoint by folder or hub id, through
AutoPipelineForInpainting. Free of Beam, so it runs (and is measured) on its own."""

from __future__ import annotations

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


def diffuse(pipe: Any, request: InpaintRequest) -> np.ndarray:
    """One request through the pipeline: seeded, the band as the mask, the full image back."""
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
