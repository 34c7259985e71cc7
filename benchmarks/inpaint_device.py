"""Inpainting time per image on the CPU and, where there is one, a CUDA GPU (fp16).

    python benchmarks/inpaint_device.py [--size 512] [--steps 4] [--images 6] [--json FILE]

The tiny random-weight checkpoint (tests/tiny_inpainter.py) is saved with save_pretrained, loaded back
through the production code (adloc.models.diffusion) on each device, and run on a procedural
template with a talent cutout; every output goes through the image checks (adloc.checks.image).
The tiny pipeline's output is noise, so the band check is expected to fail on every device: what is
measured is the pipeline's cost and that the checks run the same way on both. Needs torch and
diffusers only (no Beam), so it runs on a bare accelerator machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the tiny random-weight inpainter fixture

from tiny_inpainter import save_tiny_inpainter

from adloc.checks.image import check_inpainted
from adloc.models.blend import make_request, restore
from adloc.models.diffusion import diffuse, load_diffusers_inpainter


def scene(size: int) -> tuple[np.ndarray, np.ndarray]:
    """A gradient template and an opaque elliptical 'talent' cutout in its lower left."""
    yy, xx = np.mgrid[0:size, 0:size]
    template = np.stack([40 + xx * 160 // size, 80 + yy * 120 // size, 150 + 0 * xx], axis=-1).astype(np.uint8)
    talent = np.zeros((size, size, 4), dtype=np.uint8)
    talent[..., :3] = (205, 160, 130)
    inside = ((xx - size * 0.3) / (size * 0.2)) ** 2 + ((yy - size * 0.65) / (size * 0.3)) ** 2 <= 1
    talent[..., 3] = np.where(inside, 255, 0)
    return template, talent


def measure(checkpoint: Path, device: str, size: int, steps: int, images: int) -> dict:
    import torch

    pipe = load_diffusers_inpainter(str(checkpoint), device=device)
    template, talent = scene(size)
    requests = [make_request(f"item-{i}", template, talent, 16, "a sunlit cafe", 1000 + i, steps, 5.0)
                for i in range(images + 1)]
    diffuse(pipe, requests[0])  # warm-up: kernels, allocator
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    times, checks, digests = [], [], []
    for request in requests[1:]:
        start = time.perf_counter()
        raw = diffuse(pipe, request)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        image = restore(raw, request)
        results = check_inpainted(image, request.template, request.talent, request.core, request.band,
                                  request.composite())
        checks.append({r.name: r.passed for r in results})
        digests.append(hash(image.tobytes()))
    again = restore(diffuse(pipe, requests[1]), requests[1])
    return {
        "device": torch.cuda.get_device_name(0) if device.startswith("cuda") else platform.processor() or "cpu",
        "dtype": str(pipe.unet.dtype).removeprefix("torch."),
        "size": size, "steps": steps, "images": images,
        "seconds_per_image": round(sum(times) / len(times), 4),
        "min_seconds": round(min(times), 4),
        "checks_failed": sorted({name for c in checks for name, ok in c.items() if not ok}),
        "checks_passed": sorted({name for c in checks for name, ok in c.items() if ok}),
        "same_seed_same_pixels": hash(again.tobytes()) == digests[0],
    }


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--images", type=int, default=6)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = save_tiny_inpainter(Path(tmp))
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        results = [measure(checkpoint, d, args.size, args.steps, args.images) for d in devices]
    print("| device | dtype | image | steps | s per image | checks failed (expected: band) | same seed, same pixels |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['device']} | {r['dtype']} | {r['size']}x{r['size']} | {r['steps']} | {r['seconds_per_image']} "
              f"| {', '.join(r['checks_failed']) or '-'} | {r['same_seed_same_pixels']} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
