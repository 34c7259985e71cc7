"""Templates: an image plus a talent slot and named text slots, described by a YAML beside the image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from adloc.fields import Strict
from adloc.records import Compositing, FillRepair, TalentSlot, Template, TextSlot


class _TalentSlotSpec(Strict):
    box: tuple[int, int, int, int]
    anchor: Literal["bottom", "center"] = "bottom"
    band: int = Field(12, ge=1, le=256)
    # feather: an alpha ramp; seamless: a Poisson solve over the band; match: the talent's rim takes
    # the scene's colour and light, then the ramp. Only the band changes: the talent's core is exact.
    compositing: Compositing = Compositing.FEATHER


class _TextSlotSpec(Strict):
    box: tuple[int, int, int, int]
    size: tuple[int, int]  # min, max in pixels
    color: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}$")
    align: Literal["start", "center", "end"] = "start"
    max_chars: int = Field(80, ge=1)
    weight: str = "Bold"

    @model_validator(mode="after")
    def _sizes(self):
        if not 4 <= self.size[0] <= self.size[1]:
            raise ValueError(f"size must be [min, max] with 4 <= min <= max, got {list(self.size)}")
        return self


def _not_reserved(name: str) -> str:
    if name == "talent":
        raise ValueError("'talent' is the talent slot's name; call the text slot something else")
    return name


SlotName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,63}$"), AfterValidator(_not_reserved)]


class TemplateSpec(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    image: str
    size: tuple[int, int]
    talent_slot: _TalentSlotSpec
    text_slots: dict[SlotName, _TextSlotSpec] = Field(min_length=1)
    prompt: str = ""
    locale_hints: dict[str, str] = Field(default_factory=dict)
    steps: int = Field(20, ge=1, le=200)
    guidance: float = Field(7.5, ge=0)
    fill: list[tuple[int, int, int, int]] = Field(default_factory=list)  # more boxes to inpaint
    fill_repair: FillRepair = FillRepair.TELEA  # without a model: telea or navier-stokes (OpenCV)
    logo: tuple[int, int, int, int] | None = None  # the logo in the picture: no face may cover it
    mask_crop: int | None = Field(None, ge=0, le=1024)  # inpaint a crop around the mask, this much padding
    # For right-to-left locales (ar-*, he-*): the talent and text slots mirrored, so the eye reads
    # from the right; mirror_image also flips the picture (only where its background may be flipped).
    mirror_for_rtl: bool = False
    mirror_image: bool = False

    @model_validator(mode="after")
    def _mirror_image_needs_mirroring(self):
        if self.mirror_image and not self.mirror_for_rtl:
            raise ValueError("mirror_image flips the picture of a mirrored layout: set mirror_for_rtl: true too")
        return self

    @model_validator(mode="after")
    def _boxes_inside(self):
        width, height = self.size
        boxes = {"talent_slot.box": self.talent_slot.box}
        boxes.update({f"fill[{i}]": box for i, box in enumerate(self.fill)})
        if self.logo is not None:
            boxes["logo"] = self.logo
        boxes.update({f"text_slots.{name}.box": slot.box for name, slot in self.text_slots.items()})
        for field, (x, y, w, h) in boxes.items():
            if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
                raise ValueError(f"{field} {[x, y, w, h]} is not inside the {width}x{height} image")
        return self


def load_template_spec(path: str | Path) -> TemplateSpec:
    """Read and validate a template YAML; errors name the file and field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return TemplateSpec.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'] if p != '[key]') or '(top)'}: {e['msg'].removeprefix('Value error, ')}"
                 for e in exc.errors()]
        raise ValueError(f"{path}: invalid template\n  " + "\n  ".join(lines)) from None
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read template: {exc}") from None


def to_record(spec: TemplateSpec, image_uri: str) -> Template:
    return Template(
        id=spec.id,
        image_uri=image_uri,
        width=spec.size[0],
        height=spec.size[1],
        talent_slot=TalentSlot(box=spec.talent_slot.box, anchor=spec.talent_slot.anchor, band=spec.talent_slot.band,
                               compositing=spec.talent_slot.compositing),
        text_slots=tuple(
            TextSlot(name=name, box=s.box, min_size=s.size[0], max_size=s.size[1], color=s.color,
                     align=s.align, max_chars=s.max_chars, weight=s.weight)
            for name, s in spec.text_slots.items()
        ),
        prompt=spec.prompt,
        locale_hints=tuple(sorted(spec.locale_hints.items())),
        steps=spec.steps,
        guidance=spec.guidance,
        fill=tuple(tuple(box) for box in spec.fill),
        mask_crop=spec.mask_crop,
        mirror_for_rtl=spec.mirror_for_rtl,
        mirror_image=spec.mirror_image,
        fill_repair=spec.fill_repair,
        logo=tuple(spec.logo) if spec.logo else None,
    )


def _mirror(box: tuple[int, int, int, int], width: int) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return (width - x - w, y, w, h)


def for_locale(template: Template, locale: str) -> Template:
    """The layout a locale gets: for a right-to-left locale of a template that declares
    `mirror_for_rtl`, every box mirrored about the vertical centre line (talent slot, text slots, and
    where the picture flips with them its fill boxes and logo; `start` alignment already follows
    the reading direction); otherwise the template."""
    from dataclasses import replace

    from adloc import locale as loc

    if not template.mirror_for_rtl or not loc.is_rtl(locale):
        return template
    width = template.width
    return replace(
        template,
        talent_slot=replace(template.talent_slot, box=_mirror(template.talent_slot.box, width)),
        text_slots=tuple(replace(slot, box=_mirror(slot.box, width)) for slot in template.text_slots),
        # The fill boxes and the logo are places in the picture: they move only when it is flipped.
        fill=tuple(_mirror(box, width) for box in template.fill) if template.mirror_image else template.fill,
        logo=_mirror(template.logo, width) if template.logo and template.mirror_image else template.logo,
        mirrored=True,
    )


def spec_to_json(spec: TemplateSpec) -> str:
    return json.dumps(spec.model_dump(mode="json"), sort_keys=True)


def spec_from_json(text: str) -> TemplateSpec:
    return TemplateSpec.model_validate(json.loads(text))
