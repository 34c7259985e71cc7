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

from adloc.checks import blocking_failures
from adloc.checks.image import check_fill_repaired, check_inpainted
from adloc.models.blend import InpaintRequest, blend, make_request, restore
from adloc.records import Box, ImageOutcome, ImagePath, Talent, Template, WorkItem


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
    """The talent's image with its alpha: its own, or the matte made for it at import, with the
    photo's old background taken out of the matte's soft edge (`matte.decontaminate`)."""
    from adloc.models.matte import decontaminate

    image = read_image(talent.image_uri)
    if not talent.matte_uri:
        return image
    alpha = np.asarray(read_image(talent.matte_uri).convert("L"))
    matted = Image.fromarray(decontaminate(np.asarray(image.convert("RGB")), alpha))
    matted.putalpha(Image.fromarray(alpha))
    return matted


def placement(template: Template, size: tuple[int, int]) -> tuple[float, int, int, tuple[int, int]]:
    """Where a talent image of `size` (width, height) goes in the slot box: fitted whole (aspect
    kept) and anchored. (scale, left, top, fitted size), in template pixels."""
    x, y, w, h = template.talent_slot.box
    scale = min(w / size[0], h / size[1])
    fitted = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
    left = x + (w - fitted[0]) // 2
    top = y + h - fitted[1] if template.talent_slot.anchor == "bottom" else y + (h - fitted[1]) // 2
    return scale, left, top, fitted


def place_talent(template: Template, talent: Image.Image) -> np.ndarray:
    """The talent cutout fitted into the slot box (aspect kept) and anchored, on a transparent canvas."""
    talent = talent.convert("RGBA")
    _, left, top, size = placement(template, talent.size)
    fitted = talent.resize(size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (template.width, template.height), (0, 0, 0, 0))
    canvas.paste(fitted, (left, top))
    return np.asarray(canvas)


def placed_face(template: Template, talent: Talent, size: tuple[int, int]) -> Box | None:
    """The talent's face (found at import, in the photo's pixels) where the placement puts it, in
    template pixels; None when no face was found."""
    if talent.face is None:
        return None
    scale, left, top, _ = placement(template, size)
    fx, fy, fw, fh = talent.face
    return (left + round(fx * scale), top + round(fy * scale), max(1, round(fw * scale)), max(1, round(fh * scale)))


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
    photo = talent_image(item.talent)
    talent = place_talent(template, photo)
    _, left, top, (width, height) = placement(template, photo.size)
    return make_request(item.key, base, talent, template.talent_slot.band, template.prompt_for(item.locale),
                        item.seed, template.steps, template.guidance, template.fill, template.mask_crop,
                        template.talent_slot.compositing, template.fill_repair,
                        placed_face(template, item.talent, photo.size), (left, top, width, height))


def image_checks(image: np.ndarray, request: InpaintRequest, inpainted: bool = True,
                 composite: np.ndarray | None = None) -> list:
    """`composite`: the request's hard composite, where the caller has it already."""
    checks = check_inpainted(image, request.template, request.talent, request.core, request.band,
                             request.composite() if composite is None else composite, request.fill)
    if request.fill:
        how = "the inpainting model" if inpainted else f"{request.fill_repair} inpainting (OpenCV)"
        checks.append(check_fill_repaired(image, request.fill, how))
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

