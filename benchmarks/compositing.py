"""A talent photograph on the sample templates: the import's matte and face times, and what each
compositing costs and how well the band matches the scene around it.

    .venv/bin/python benchmarks/compositing.py

The photograph is NASA's portrait of Eileen Collins as scikit-image ships it (512 x 512), also scaled
up to 1024 and 2048 px for the import figures (a studio JPEG is usually larger). Per template and
compositing: the median time of `blend` and the band's colour difference (CIE76 ΔE*ab of the mean
colours) to a ring of the template just outside it, the figure the colour match lowers. Writes
benchmarks/results/compositing.json. Needs the vision models (`adloc models fetch vision`).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    import cv2
    from PIL import Image
    from skimage import data

    from adloc.checks.image import RING, colour_difference
    from adloc.mask import dilate
    from adloc.models.blend import blend, make_request
    from adloc.models.face import find_face
    from adloc.models.matte import decontaminate, matte
    from adloc.pipelines.image import place_talent, template_image
    from adloc.records import Compositing
    from adloc.template import load_template_spec, to_record

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "compositing.json"))
    args = parser.parse_args()
    cv2.setNumThreads(1)  # the figures are per core, as a Beam worker thread runs them

    photo = data.astronaut()
    imports = []
    for side in (512, 1024, 2048):
        rgb = photo if side == 512 else cv2.resize(photo, (side, side), interpolation=cv2.INTER_CUBIC)
        alpha = matte(rgb, "astronaut")
        imports.append({
            "side_px": side,
            "matte_s": round(median_seconds(partial(matte, rgb, "astronaut"), args.repeat), 3),
            "decontaminate_s": round(median_seconds(partial(decontaminate, rgb, alpha), args.repeat), 3),
            "face_s": round(median_seconds(partial(find_face, rgb), args.repeat), 3),
        })
        print(f"import {side}px: matte {imports[-1]['matte_s']} s, decontaminate {imports[-1]['decontaminate_s']} s, "
              f"face {imports[-1]['face_s']} s")

    alpha = matte(photo, "astronaut")
    cutout = Image.fromarray(np.dstack([decontaminate(photo, alpha), alpha]), "RGBA")
    blends = []
    for name in ("morning-square", "summer-banner"):
        folder = ROOT / "examples" / "templates"
        template = to_record(load_template_spec(folder / f"{name}.yaml"), str(folder / f"{name}.png"))
        base, talent = template_image(template), place_talent(template, cutout)
        for method in Compositing:
            request = make_request(name, base, talent, template.talent_slot.band, "", 0, 1, 1.0,
                                   compositing=method)
            out = blend(request)
            ring = dilate(request.band, RING) & ~request.band & ~request.core
            blends.append({
                "template": name, "compositing": str(method),
                "blend_s": round(median_seconds(partial(blend, request), args.repeat), 3),
                "band_delta_e": round(colour_difference(out, request.band, ring), 1),
            })
            print(f"{name:<15} {method!s:<9} {blends[-1]['blend_s']:.3f} s  band ΔE {blends[-1]['band_delta_e']}")

    result = {"machine": f"{platform.machine()}, {platform.processor() or platform.system()}, one thread",
              "photo": "skimage astronaut.png (NASA, public domain)", "imports": imports, "blends": blends}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
