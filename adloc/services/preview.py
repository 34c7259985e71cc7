"""A template with given lines set in it, for one locale, without any model: what a designer tries
before a job runs (long German, tight Thai). The same rendering and layout checks as a run."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from adloc import locale as loc
from adloc.assets_db.queries import templates
from adloc.checks import blocking_failures
from adloc.errors import InvalidFields, NotFound
from adloc.pipelines.image import template_image
from adloc.pipelines.render import render
from adloc.pipelines.write import encode_png
from adloc.records import CheckResult
from adloc.services.gallery import template_slots
from adloc.template import for_locale


@dataclass(frozen=True)
class Preview:
    png: bytes
    checks: tuple[CheckResult, ...]  # the layout checks of every slot set

    @property
    def passed(self) -> bool:
        """No critical or functional layout check failed."""
        return not blocking_failures(list(self.checks))


def preview(engine: Engine, template_id: str, locale: str, copy: dict[str, str]) -> Preview:
    """`copy` (slot -> line, as it will read: placeholders filled in) set in the template's slots.
    NotFound for an unknown template; InvalidFields for an unknown locale, slot or an empty line."""
    found = templates(engine, {template_id}).get(template_id)
    if found is None:
        known = ", ".join(template_slots(engine)) or "none: import them with `adloc templates import`"
        raise NotFound(f"template {template_id!r} is not in the asset database (templates: {known})")
    errors = []
    try:
        locale = loc.canonical(locale)
    except ValueError as exc:
        errors.append(f"locale: {exc}")
    slots = {slot.name: slot for slot in found.text_slots}
    for name, line in copy.items():
        if name not in slots:
            errors.append(f"copy.{name}: template {template_id!r} has no text slot {name!r} (slots: {', '.join(slots)})")
        elif not line.strip():
            errors.append(f"copy.{name}: an empty line")
    if not copy:
        errors.append(f"copy: no line given (slots: {', '.join(slots)})")
    if errors:
        raise InvalidFields("adloc preview", errors)
    found = for_locale(found, locale)  # a right-to-left locale may get the mirrored layout
    slots = {slot.name: slot for slot in found.text_slots}
    image, checks = render(template_image(found), copy, tuple(slots[name] for name in copy), locale)
    return Preview(encode_png(image)[0], tuple(checks))
