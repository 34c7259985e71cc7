"""Image stage: place the licensed talent in the template's talent slot, build the inpainting
band, and after inpainting check the result, falling back to the deterministic blend."""

from __future__ import annotations

import io
from dataclasses import replace
from functools import lru_cache

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
from PIL import Image

from adloc.checks import CheckResult, Severity, blocking_failures
from adloc.checks.image import check_inpainted
from adloc.models.blend import InpaintRequest, blend, make_request, restore
from adloc.records import ImageOutcome, ImagePath, Talent, Template, WorkItem


def template_image(template: Template) -> np.ndarray:
    """The template's picture as RGB, flipped left to right for a mirrored layout whose template
    says its background may be (`mirror_image`)."""
    base = np.asarray(read_image(template.image_uri).convert("RGB"))
    return np.ascontiguousarray(base[:, ::-1]) if template.mirrored and template.mirror_image else base


@lru_cache(maxsize=64)
def read_image(uri: str) -> Image.Image:
    """An image from a local path or bucket URI, decoded once per worker process."""
    with FileSystems.open(uri) as handle:
        data = handle.read()
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"cannot decode image {uri}: {exc}") from None
    return image


def talent_image(talent: Talent) -> Image.Image:
    """The talent's image with its alpha: its own, or the matte made for it at import."""
    image = read_image(talent.image_uri)
    if not talent.matte_uri:
        return image
    matted = image.convert("RGB")
    matted.putalpha(read_image(talent.matte_uri).convert("L"))
    return matted


def place_talent(template: Template, talent: Image.Image) -> np.ndarray:
    """The talent cutout fitted into the slot box (aspect kept) and anchored, on a transparent canvas."""
    x, y, w, h = template.talent_slot.box
    talent = talent.convert("RGBA")
    scale = min(w / talent.width, h / talent.height)
    size = (max(1, round(talent.width * scale)), max(1, round(talent.height * scale)))
    fitted = talent.resize(size, Image.Resampling.LANCZOS)
    left = x + (w - size[0]) // 2
    top = y + h - size[1] if template.talent_slot.anchor == "bottom" else y + (h - size[1]) // 2
    canvas = Image.new("RGBA", (template.width, template.height), (0, 0, 0, 0))
    canvas.paste(fitted, (left, top))
    return np.asarray(canvas)


def compose(item: WorkItem) -> InpaintRequest:
    """The inpainting request for an item whose talent has been looked up."""
    assert item.talent is not None
    template = item.template
    base = template_image(template)
    if base.shape[:2] != (template.height, template.width):
        raise ValueError(
            f"template {template.id}: image {template.image_uri} is {base.shape[1]}x{base.shape[0]}, "
            f"the template declares {template.width}x{template.height}"
        )
    talent = place_talent(template, talent_image(item.talent))
    return make_request(item.key, base, talent, template.talent_slot.band, template.prompt_for(item.locale),
                        item.seed, template.steps, template.guidance, template.fill, template.mask_crop)


def image_checks(image: np.ndarray, request: InpaintRequest, inpainted: bool = True,
                 composite: np.ndarray | None = None) -> list:
    """`composite`: the request's hard composite, where the caller has it already."""
    checks = check_inpainted(image, request.template, request.talent, request.core, request.band,
                             request.composite() if composite is None else composite)
    if request.fill:
        checks.append(
            CheckResult("fill", True, 1.0, f"{len(request.fill)} fill region(s) repainted by the model", Severity.FUNCTIONAL)
            if inpainted else
            CheckResult("fill", False, 0.0, f"{len(request.fill)} fill region(s) need an inpainting model; "
                        "the blend left them as they were", Severity.FUNCTIONAL))
    return checks


def judge(request: InpaintRequest, image: np.ndarray, backend: str) -> tuple[np.ndarray, ImageOutcome]:
    """Check the inpainter's output; a diffusion output that fails takes the blend, for review."""
    composite = request.composite()
    checks = image_checks(image, request, inpainted=backend != "blend", composite=composite)
    failed = blocking_failures(checks)
    if not failed:
        path = ImagePath.INPAINTED if backend != "blend" else ImagePath.BLEND
        return image, ImageOutcome(backend, path, True, checks, "all image checks passed")
    reason = "failed " + ", ".join(f"{c.name} ({c.detail})" for c in failed)
    if backend == "blend":
        return image, ImageOutcome(backend, ImagePath.BLEND, False, checks, reason)
    fallback = restore(blend(request), request)
    fallback_checks = image_checks(fallback, request, inpainted=False, composite=composite)
    return fallback, ImageOutcome(
        backend, ImagePath.BLEND_FALLBACK, False, fallback_checks + [replace(c, name=f"diffusion.{c.name}") for c in failed],
        f"diffusion output {reason}; used the deterministic blend, sent to review",
    )


class Compose(beam.DoFn):
    """Key the inpainting request by (item, copies); an item whose images cannot be read goes to
    the `FAILED` output with the reason."""

    FAILED = "failed"

    def process(self, element):
        _, (item, copies) = element
        try:
            request = compose(item)
        except (ValueError, OSError) as exc:
            yield beam.pvalue.TaggedOutput(self.FAILED, replace(item, dead_letter=str(exc)))
            return
        yield (item, copies), request


class Inpaint(beam.PTransform):
    """(key, (item, copies)) -> {"ok": ((item, copies), PredictionResult(request, image, inpainter
    id)), "failed": items whose template or talent image cannot be read, with the reason}."""

    def __init__(self, handler):
        super().__init__()
        self._handler = handler

    def expand(self, localized):
        composed = localized | "Compose" >> beam.ParDo(Compose()).with_outputs(Compose.FAILED, main="ok")
        inpainted = composed.ok | "RunInpainter" >> RunInference(KeyedModelHandler(self._handler))
        return {"ok": inpainted, "failed": composed[Compose.FAILED]}

