"""Import a catalog folder (templates, talent with rights, translation memory, glossary) in one
transaction: a bad entry leaves the database as it was."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adloc.assets_db.queries import tm_key
from adloc.assets_db.schema import (
    GlossaryRow,
    RightRow,
    TalentRow,
    TalentTagRow,
    TemplateRow,
    TMRow,
)
from adloc.template import load_template_spec, spec_to_json


class CatalogError(ValueError):
    pass


def _load(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a mapping at the top level")
    return data


def _date(value, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


CHANNELS = ("social", "display", "print", "ooh")


def _validate_right(right: dict, where: str) -> None:
    for region in right.get("regions", []):
        if not (isinstance(region, str) and len(region) == 2 and region.isascii() and region.isupper()):
            raise CatalogError(f"{where}.regions: {region!r} is not an ISO 3166 region such as 'DE'")
    for channel in right.get("channels", []):
        if channel not in CHANNELS:
            raise CatalogError(f"{where}.channels: {channel!r} is not one of {', '.join(CHANNELS)}")
    if right.get("status", "active") not in ("active", "revoked"):
        raise CatalogError(f"{where}.status: {right['status']!r} is not 'active' or 'revoked'")


def _talent_rows(path: Path) -> list[TalentRow]:
    rows = []
    for i, entry in enumerate(_load(path).get("talent", [])):
        where = f"{path}: talent[{i}]"
        try:
            image = (path.parent / entry["image"]).resolve()
            if not image.is_file():
                raise CatalogError(f"{where}.image: no such file {str(image)!r}")
            row = TalentRow(id=entry["id"], name=entry["name"], region=entry["region"], image_uri=str(image))
            row.tags = [TalentTagRow(tag=tag) for tag in sorted(set(entry.get("tags", [])))]
            for j, right in enumerate(entry.get("rights", [])):
                _validate_right(right, f"{where}.rights[{j}]")
                start, end = right["consent"]
                for region in right["regions"]:
                    for channel in right["channels"]:
                        row.rights.append(RightRow(
                            region=region, channel=channel, status=right.get("status", "active"),
                            starts_on=_date(start, f"{where}.rights[{j}].consent[0]"),
                            ends_on=_date(end, f"{where}.rights[{j}].consent[1]"),
                            credit=right.get("credit", ""),
                        ))
        except KeyError as exc:
            raise CatalogError(f"{where}: required field {exc.args[0]!r} is missing") from None
        rows.append(row)
    return rows


def import_catalog(engine: Engine, folder: str | Path) -> dict[str, int]:
    """Import `templates/*.yaml`, `catalog/talent.yaml`, `catalog/tm.yaml`, `catalog/glossary.yaml`
    from an examples-style folder, replacing entries with the same ids. Returns counts."""
    folder = Path(folder)
    templates = []
    for path in sorted((folder / "templates").glob("*.yaml")):
        spec = load_template_spec(path)
        image = (path.parent / spec.image).resolve()
        if not image.is_file():
            raise CatalogError(f"{path}: image: no such file {str(image)!r}")
        templates.append(TemplateRow(id=spec.id, image_uri=str(image), spec=spec_to_json(spec)))
    talent = _talent_rows(folder / "catalog" / "talent.yaml")
    tm_path, glossary_path = folder / "catalog" / "tm.yaml", folder / "catalog" / "glossary.yaml"
    tm, terms = [], []
    try:
        for locale, units in _load(tm_path).items():
            for i, u in enumerate(units):
                if not isinstance(u, dict) or not u.get("source") or not u.get("target"):
                    raise CatalogError(f"{tm_path}: {locale}[{i}]: needs a non-empty source and target")
                tm.append(TMRow(locale=locale, source=u["source"], source_key=tm_key(u["source"]), target=u["target"]))
        for locale, kinds in _load(glossary_path).items():
            terms += [GlossaryRow(locale=locale, term=t, kind="keep") for t in kinds.get("keep", [])]
            terms += [GlossaryRow(locale=locale, term=t, kind="banned") for t in kinds.get("banned", [])]
            terms += [GlossaryRow(locale=locale, term=t, kind="required", rendering=r)
                      for t, r in kinds.get("required", {}).items()]
    except (AttributeError, TypeError) as exc:
        raise CatalogError(f"{tm_path} or {glossary_path}: unexpected structure: {exc}") from None

    try:
        _store(engine, templates, talent, tm, terms)
    except IntegrityError as exc:
        raise CatalogError(f"{folder}: conflicting entries, nothing imported: {exc.orig}") from None
    return {"templates": len(templates), "talent": len(talent), "tm": len(tm), "glossary": len(terms)}


def _store(engine: Engine, templates: list, talent: list, tm: list, terms: list) -> None:
    with Session(engine) as session, session.begin():
        for row in templates:
            session.merge(row)
        for row in talent:
            existing = session.get(TalentRow, row.id)
            if existing is not None:
                session.delete(existing)
                session.flush()
            session.add(row)
        for row in tm:
            session.execute(delete(TMRow).where(TMRow.locale == row.locale, TMRow.source_key == row.source_key))
            session.add(row)
        for row in terms:
            session.execute(delete(GlossaryRow).where(
                GlossaryRow.locale == row.locale, GlossaryRow.term == row.term, GlossaryRow.kind == row.kind))
            session.add(row)
