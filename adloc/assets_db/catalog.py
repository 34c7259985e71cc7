"""Imports: talent (YAML or CSV, with their images and rights), templates, translation memory and
glossary. Every row is validated and every error names the file, the row and the field. An import
is all-or-nothing: images are normalized and checked first, and the rows go in one transaction,
so a bad row leaves the database as it was.

Talent YAML (`talent:` list)::

    - {id: pt-ana, name: Ana, region: PT, image: pt-ana.png, tags: [barista],
       rights: [{regions: [PT, ES], channels: [social], consent: [2026-01-01, 2030-12-31], credit: "…"}]}

Talent CSV (one right per row; rows with the same id add rights to one talent; lists split on `|`)::

    id,name,region,image,tags,regions,channels,consent_start,consent_end,status,credit
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Protocol

import numpy as np
import yaml
from babel import Locale
from PIL import Image
from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from adloc import locale as loc
from adloc.assets_db import images
from adloc.assets_db.schema import (
    GlossaryRow,
    RightRow,
    TalentImageRow,
    TalentRow,
    TalentTagRow,
    TemplateRow,
    TemplateSlotRow,
    TMRow,
)
from adloc.errors import AdlocError, MatteError
from adloc.fields import Strict, text
from adloc.records import Channel, GlossaryTerm, MemoryOrigin
from adloc.template import TemplateSpec, load_template_spec, spec_to_json
from adloc.translation_memory import tm_key


class CatalogError(AdlocError):
    """An import that was refused; `errors` holds one line per problem, each naming file, row, field."""

    def __init__(self, errors: list[str] | str):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


# ISO 3166-1 alpha-2 as Babel knows it, without the groupings and private-use codes it also lists
# (EU, UN, ZZ, ...): a right for "EU" would never match a locale's territory.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
_TERRITORIES = frozenset(code for code in Locale("en").territories
                         if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)


def _region(value: str) -> str:
    if value not in _TERRITORIES:
        raise ValueError(f"{value!r} is not an ISO 3166 region code such as 'DE'")
    return value


Region = Annotated[str, AfterValidator(_region)]
TalentId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Tag = text(min_length=1, max_length=64, strip=True)


class RightEntry(Strict):
    regions: list[Region] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    consent: tuple[date, date]
    status: Literal["active", "revoked"] = "active"
    credit: text(max_length=200) = ""

    @model_validator(mode="after")
    def _window(self):
        if self.consent[0] > self.consent[1]:
            raise ValueError(f"consent starts {self.consent[0]} after it ends {self.consent[1]}")
        return self


class TalentEntry(Strict):
    id: TalentId
    name: text(min_length=1, max_length=200)
    region: Region
    image: text(min_length=1)
    tags: list[Tag] = Field(default_factory=list)
    rights: list[RightEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_right_per_window(self):
        first: dict[tuple, int] = {}
        for j, right in enumerate(self.rights):
            for region in right.regions:
                for channel in right.channels:
                    where = first.setdefault((region, channel, right.consent[0]), j)
                    if where != j:
                        raise ValueError(f"rights[{j}] grants {region}, {channel} from {right.consent[0]} "
                                         f"again (already in rights[{where}]); give each window once")
        return self


@dataclass
class _Talent:
    entry: TalentEntry
    where: str  # "file: talent[3]" or "file: row 7"
    image: images.NormalizedImage | None = None
    source: str = ""
    matte: images.NormalizedImage | None = None  # made at import for a photo without alpha
    matte_model: str = ""  # what made it
    refused: str = ""  # why this photo's matte was refused (the rest of the file goes on)
    face: tuple[int, int, int, int] | None = None  # found at import, in the photo's pixels
    face_model: str = ""  # what found it

    def field(self, name: str) -> str:
        return f"{self.where}, field {name}" if ": row " in self.where else f"{self.where}.{name}"


def _message(error: dict) -> str:
    return error["msg"].removeprefix("Value error, ")


def _yaml_mapping(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a mapping at the top level")
    return data


def _talent_from_yaml(path: Path) -> tuple[list[_Talent], list[str]]:
    data = _yaml_mapping(path)
    unknown = sorted(set(data) - {"talent"})
    if unknown:
        return [], [f"{path}: {key}: unknown key (a talent file holds a `talent:` list)" for key in unknown]
    entries = data.get("talent")
    if not isinstance(entries, list):
        return [], [f"{path}: talent: expected a list of talent, got {type(entries).__name__}"]
    out, errors = [], []
    for i, raw in enumerate(entries):
        try:
            out.append(_Talent(TalentEntry.model_validate(raw), f"{path}: talent[{i}]"))
        except ValidationError as exc:
            for e in exc.errors():
                field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"])
                errors.append(f"{path}: talent[{i}]{field}: {_message(e)} (got {e.get('input')!r})"
                              if "input" in e and not isinstance(e["input"], dict)
                              else f"{path}: talent[{i}]{field}: {_message(e)}")
    return out, errors


CSV_COLUMNS = ("id", "name", "region", "image", "tags", "regions", "channels", "consent_start", "consent_end",
               "status", "credit")
_CSV_REQUIRED = ("id", "name", "region", "image", "regions", "channels", "consent_start", "consent_end")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _csv_column(loc: tuple) -> str:
    """The CSV column a pydantic error location points at."""
    if loc[0] != "rights":
        return str(loc[0])
    rest = loc[2:]
    if not rest:
        return "consent_start"  # the window check
    if rest[0] == "consent":
        return "consent_end" if rest[1:2] == (1,) else "consent_start"
    return str(rest[0])


def _talent_from_csv(path: Path) -> tuple[list[_Talent], list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    errors = [f"{path}: row 1, column {name!r}: unknown column (columns: {', '.join(CSV_COLUMNS)})"
              for name in header if name not in CSV_COLUMNS]
    errors += [f"{path}: row 1: required column {name!r} is missing" for name in _CSV_REQUIRED if name not in header]
    if errors:
        return [], errors
    by_id: dict[str, tuple[dict, list[int], list[dict]]] = {}
    for row in reader:
        n = reader.line_num
        if None in row:
            errors.append(f"{path}: row {n}: more values than columns")
            continue
        row = {k: (v or "").strip() for k, v in row.items()}
        right = {"regions": _split(row["regions"]), "channels": _split(row["channels"]),
                 "consent": [row["consent_start"], row["consent_end"]], "status": row.get("status") or "active",
                 "credit": row.get("credit", "")}
        talent = {"id": row["id"], "name": row["name"], "region": row["region"], "image": row["image"],
                  "tags": _split(row.get("tags", ""))}
        if row["id"] in by_id:
            first, rows, raws = by_id[row["id"]]
            for key in ("name", "region", "image", "tags"):
                differs = sorted(talent[key]) != sorted(first[key]) if key == "tags" else talent[key] != first[key]
                if differs:
                    errors.append(f"{path}: row {n}, field {key}: {row.get(key)!r} differs from row {rows[0]} "
                                  f"for the same talent id {row['id']!r}")
            first["rights"].append(right)
            rows.append(n)
            raws.append(row)
        else:
            by_id[row["id"]] = ({**talent, "rights": [right]}, [n], [row])
    out = []
    for data, rows, raws in by_id.values():
        try:
            out.append(_Talent(TalentEntry.model_validate(data), f"{path}: row {rows[0]}"))
        except ValidationError as exc:
            for e in exc.errors():
                if not e["loc"]:  # a rule across rows: name them
                    message = re.sub(r"rights\[(\d+)\]", lambda m, rows=rows: f"row {rows[int(m[1])]}", _message(e))
                    errors.append(f"{path}: row {rows[0]}: {message}")
                    continue
                right_index = e["loc"][1] if e["loc"][0] == "rights" and len(e["loc"]) > 1 else 0
                column = _csv_column(e["loc"])
                errors.append(f"{path}: row {rows[right_index]}, field {column}: {_message(e)} "
                              f"(got {raws[right_index].get(column, '')!r})")
    return out, errors


def _image_path(base: Path, image: str) -> str:
    if "://" in image or Path(image).is_absolute():
        return image
    return str((base / image).resolve())


class Matter(Protocol):
    """Makes the alpha matte (H x W uint8) of a photo without one (H x W x 3 uint8); `where` names
    the photo in a MatteError. `adloc.models.matte.Matter` is the one the CLI and the demo pass."""

    model_id: str

    def __call__(self, rgb: np.ndarray, where: str) -> np.ndarray: ...


class FaceFinder(Protocol):
    """Finds the largest face in a photo (H x W x 3 or 4 uint8): (x, y, width, height) in its
    pixels, or None. `adloc.models.face.FaceFinder` is the one the CLI and the demo pass."""

    model_id: str

    def __call__(self, rgba: np.ndarray) -> tuple[int, int, int, int] | None: ...


def _prepare_talent(path: Path, images_dir: Path | None, matter: Matter | None = None,
                    faces: FaceFinder | None = None) -> list[_Talent]:
    """Parse and validate a talent file and load every image; raises with every problem found."""
    if path.suffix.lower() == ".csv":
        talent, errors = _talent_from_csv(path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        talent, errors = _talent_from_yaml(path)
    else:
        raise CatalogError(f"{path}: expected a .csv, .yaml or .yml talent file")
    seen: dict[str, str] = {}
    for t in talent:
        if t.entry.id in seen:
            errors.append(f"{t.field('id')}: {t.entry.id!r} is already defined at {seen[t.entry.id]}")
        seen.setdefault(t.entry.id, t.where)
    if not errors:
        base = images_dir or path.parent
        for t in talent:
            t.source = _image_path(base, t.entry.image)
            try:
                t.image = images.load(t.source)
            except images.ImageError as exc:
                errors.append(f"{t.field('image')}: {exc}")
                continue
            if not t.image.has_alpha and matter is not None:
                _matte(t, matter)
            if faces is not None and not t.refused:
                t.face = faces(np.asarray(Image.open(io.BytesIO(t.image.png))))
                t.face_model = faces.model_id
    if errors:
        raise CatalogError(errors)
    return talent


def _matte(t: _Talent, matter: Matter) -> None:
    """A photo without alpha gets its matte; a matte that cannot be trusted marks the talent
    refused, with the reason."""
    assert t.image is not None
    rgb = np.asarray(Image.open(io.BytesIO(t.image.png)).convert("RGB"))
    try:
        t.matte = images.matte_png(matter(rgb, t.source))
        t.matte_model = matter.model_id
    except MatteError as exc:
        t.refused = f"{t.field('image')}: {exc}"


def _children(t: _Talent, image_uri: str, matte_uri: str = "") -> tuple[list, list, list]:
    e = t.entry
    matte = ({"matte_uri": matte_uri, "matte_sha256": t.matte.sha256, "matte_model": t.matte_model} if t.matte else {})
    face = {"face": ",".join(map(str, t.face)) if t.face else "", "face_model": t.face_model}
    images_ = [TalentImageRow(position=0, uri=image_uri, sha256=t.image.sha256, width=t.image.width,
                              height=t.image.height, has_alpha=t.image.has_alpha, source=t.source, **matte, **face)]
    tags = [TalentTagRow(tag=tag) for tag in sorted(set(e.tags))]
    rights = [RightRow(region=region, channel=channel, status=right.status, starts_on=right.consent[0],
                       ends_on=right.consent[1], credit=right.credit)
              for right in e.rights for region in dict.fromkeys(right.regions) for channel in dict.fromkeys(right.channels)]
    return images_, tags, rights


def _put_talent(session: Session, talent: list[tuple[_Talent, str, str]]) -> None:
    """Add new talent; update existing talent in place (name, region, images, tags, rights). Their
    status is never touched: an import cannot undo a takedown, even one that commits meanwhile."""
    ids = [t.entry.id for t, *_ in talent]
    existing = {r.id: r for r in session.scalars(select(TalentRow).where(TalentRow.id.in_(ids)).with_for_update())}
    for t, *_ in talent:
        old = existing.get(t.entry.id)
        if old is not None:
            old.name, old.region = t.entry.name, t.entry.region
            old.images.clear()
            old.tags.clear()
            old.rights.clear()
    session.flush()  # the old children go before the new ones meet their unique constraints
    for t, uri, matte_uri in talent:
        images_, tags, rights = _children(t, uri, matte_uri)
        row = existing.get(t.entry.id)
        if row is None:
            row = TalentRow(id=t.entry.id, name=t.entry.name, region=t.entry.region, status="active",
                            revoked_reason="")
            session.add(row)
        row.images, row.tags, row.rights = images_, tags, rights


def import_talent(engine: Engine, path: str | Path, images_dir: str | Path | None = None,
                  store: str | None = None, refused: list[str] | None = None, matter: Matter | None = None,
                  faces: FaceFinder | None = None) -> int:
    """Import a talent file (CSV or YAML); returns the number of talent imported. With a `matter`,
    a photo without alpha gets a matte, stored beside it (without one it is imported as it is, and
    the run's talent_cutout check stops it). Where the matte cannot be trusted (too little or too
    much of the frame, several people), that talent is left out and the reason appended to
    `refused`, the rest imported; without a `refused` list the whole file is refused (CatalogError).
    With `faces`, each photo's face is found and recorded, for the layouts to keep clear."""
    path = Path(path)
    talent = _prepare_talent(path, Path(images_dir) if images_dir else None, matter, faces)
    if refused is None and any(t.refused for t in talent):
        raise CatalogError([t.refused for t in talent if t.refused])
    if refused is not None:
        refused += [t.refused for t in talent if t.refused]
    store = store or images.default_store()
    stored = [(t, _put_image(store, "talent", t.image), _put_image(store, "mattes", t.matte) if t.matte else "")
              for t in talent if not t.refused]
    if stored:
        _commit(engine, path, lambda session: _put_talent(session, stored))
    return len(stored)


@dataclass
class _Template:
    spec: TemplateSpec
    image: images.NormalizedImage


def _prepare_template(path: Path) -> _Template:
    try:
        spec = load_template_spec(path)
    except ValueError as exc:
        raise CatalogError(str(exc)) from None
    try:
        image = images.load(_image_path(path.parent, spec.image))
    except images.ImageError as exc:
        raise CatalogError(f"{path}: image: {exc}") from None
    if (image.width, image.height) != tuple(spec.size):
        raise CatalogError(f"{path}: size: {list(spec.size)} but the image {spec.image!r} is "
                           f"{image.width}x{image.height}")
    return _Template(spec, image)


def _template_row(t: _Template, image_uri: str) -> TemplateRow:
    s = t.spec
    row = TemplateRow(id=s.id, image_uri=image_uri, image_sha256=t.image.sha256, width=t.image.width,
                      height=t.image.height, spec=spec_to_json(s))
    x, y, w, h = s.talent_slot.box
    row.slots = [TemplateSlotRow(name="talent", kind="talent", x=x, y=y, width=w, height=h)]
    for name, slot in sorted(s.text_slots.items()):
        x, y, w, h = slot.box
        row.slots.append(TemplateSlotRow(name=name, kind="text", x=x, y=y, width=w, height=h, max_chars=slot.max_chars))
    return row


def _put_templates(session: Session, rows: list[TemplateRow]) -> None:
    ids = [r.id for r in rows]
    for old in session.scalars(select(TemplateRow).where(TemplateRow.id.in_(ids))):
        session.delete(old)
    session.flush()
    session.add_all(rows)


def _prepare_templates(paths: list[Path]) -> tuple[list[_Template], list[str]]:
    """Every template that validates, and every error of those that do not (two with one id included)."""
    prepared, errors, seen = [], [], {}
    for path in paths:
        try:
            template = _prepare_template(path)
        except CatalogError as exc:
            errors += exc.errors
            continue
        if template.spec.id in seen:
            errors.append(f"{path}: id: {template.spec.id!r} is also the id of {seen[template.spec.id]}")
        seen.setdefault(template.spec.id, path)
        prepared.append(template)
    return prepared, errors


def import_templates(engine: Engine, paths: list[str | Path], store: str | None = None) -> int:
    """Import template YAMLs (each beside its image); all of them or none."""
    prepared, errors = _prepare_templates(list(map(Path, paths)))
    if errors:
        raise CatalogError(errors)
    store = store or images.default_store()
    rows = [_template_row(t, _put_image(store, "templates", t.image)) for t in prepared]
    _commit(engine, ", ".join(map(str, paths)), lambda session: _put_templates(session, rows))
    return len(rows)


Term = text(min_length=1, max_length=200, strip=True)


class TMUnit(Strict):
    source: text(min_length=1, max_length=2000)
    target: text(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _key_fits(self):
        if len(tm_key(self.source)) > 512:
            raise ValueError("source is longer than 512 characters once normalized; split the line")
        return self


class GlossaryEntry(Strict):
    keep: list[Term] = Field(default_factory=list)  # do-not-translate terms
    banned: list[Term] = Field(default_factory=list)
    required: dict[Term, Term] = Field(default_factory=dict)  # source term -> required rendering


def _by_locale(path: Path, data: dict) -> tuple[dict, list[str]]:
    """The file's top-level keys as canonical locales with a region (`pt-pt` -> `pt-PT`, as jobs
    spell them); two keys naming one locale are an error, not a silent merge."""
    out, errors, first = {}, [], {}
    for raw, value in data.items():
        try:
            tag = loc.canonical(str(raw))
            loc.territory(tag)
        except ValueError as exc:
            errors.append(f"{path}: {raw}: {exc}")
            continue
        if tag in first:
            errors.append(f"{path}: {raw}: the same locale as {first[tag]!r} ({tag}); put its entries in one list")
            continue
        first[tag] = raw
        out[tag] = value
    return out, errors


def _by_locale_validated(path: Path, entry_type) -> tuple[dict, list[str]]:
    """A `locale: entry` YAML file, its keys canonical locales and its entries validated as
    `entry_type`; (entries, errors naming the locale and the field)."""
    data, errors = _by_locale(path, _yaml_mapping(path))
    try:
        return TypeAdapter(dict[str, entry_type]).validate_python(data), errors
    except ValidationError as exc:
        for e in exc.errors():
            loc_ = [p for p in e["loc"] if p != "[key]"]  # a bad key is named by itself
            field = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc_))
            shown = e.get("input")
            got = f" (got {shown!r})" if shown is not None and not isinstance(shown, (dict, list)) else ""
            errors.append(f"{path}: {field or '(top)'}: {_message(e)}{got}")
        return {}, errors


def _tm_rows(path: Path) -> tuple[list[TMRow], list[str]]:
    """Translation memory, `locale: [{source, target}, ...]`; (rows, errors naming locale and entry)."""
    rows = []
    memory, errors = _by_locale_validated(path, list[TMUnit])
    for locale, units in memory.items():
        first: dict[str, int] = {}
        for i, unit in enumerate(units):
            key = tm_key(unit.source)
            if first.setdefault(key, i) != i:
                errors.append(f"{path}: {locale}[{i}].source: same line as {locale}[{first[key]}] "
                              f"({unit.source!r}); keep one translation")
            rows.append(TMRow(locale=locale, source=unit.source, source_key=key, target=unit.target))
    return rows, errors


def _glossary_rows(path: Path) -> tuple[list[GlossaryRow], list[str]]:
    """Glossary, `locale: {keep: [..], banned: [..], required: {term: rendering}}`; (rows, errors)."""
    rows = []
    entries, errors = _by_locale_validated(path, GlossaryEntry)
    for locale, entry in entries.items():
        terms = [("keep", t, "") for t in entry.keep] + [("banned", t, "") for t in entry.banned]
        terms += [("required", t, r) for t, r in entry.required.items()]
        rows += [GlossaryRow(locale=locale, term=term, kind=kind, rendering=rendering)
                 for kind, term, rendering in dict.fromkeys(terms)]
    return rows, errors


def _language_rows(tm_path: Path, glossary_path: Path) -> tuple[list[TMRow], list[GlossaryRow]]:
    tm, tm_errors = _tm_rows(tm_path) if tm_path.is_file() else ([], [])
    terms, glossary_errors = _glossary_rows(glossary_path) if glossary_path.is_file() else ([], [])
    if tm_errors or glossary_errors:
        raise CatalogError(tm_errors + glossary_errors)
    return tm, terms


def load_glossary(path: str | Path, locale: str) -> tuple[GlossaryTerm, ...]:
    """One locale's terms from a glossary YAML (the catalog's format), for `adloc check-copy`."""
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"{path}: no such glossary file")
    rows, errors = _glossary_rows(path)
    if errors:
        raise CatalogError(errors)
    want = loc.canonical(locale)
    return tuple(GlossaryTerm(r.term, r.kind, r.rendering) for r in rows if r.locale == want)


def _put_language(session: Session, tm: list[TMRow], terms: list[GlossaryRow]) -> None:
    for row in tm:
        session.execute(delete(TMRow).where(TMRow.locale == row.locale, TMRow.source_key == row.source_key))
    for row in terms:
        session.execute(delete(GlossaryRow).where(
            GlossaryRow.locale == row.locale, GlossaryRow.term == row.term, GlossaryRow.kind == row.kind))
    session.flush()
    session.add_all([*tm, *terms])


def memory_entries(engine: Engine, locales: frozenset[str] | None = None) -> list[tuple[str, str, str, str]]:
    """Every translation-memory line as (source, locale, target, origin), sorted; only `locales` when given."""
    stmt = select(TMRow.source, TMRow.locale, TMRow.target, TMRow.origin)
    if locales is not None:
        stmt = stmt.where(TMRow.locale.in_(sorted(locales)))
    with Session(engine) as session:
        return sorted(tuple(r) for r in session.execute(stmt))


def put_memory(engine: Engine, entries: list[tuple[str, str, str, str]], source: str) -> dict[str, int]:
    """Put (source, locale, target, origin) lines into the memory in one transaction, each
    replacing the locale's line for that source (origin "" -> import). Returns {added, replaced,
    unchanged}."""
    counts = {"added": 0, "replaced": 0, "unchanged": 0}
    origins = {o.value for o in MemoryOrigin}

    def put(session: Session) -> None:
        locales = sorted({locale for _, locale, _, _ in entries})
        existing = {(r.locale, r.source_key): r for r in session.scalars(select(TMRow).where(TMRow.locale.in_(locales)))}
        for line, locale, target, origin in entries:
            origin = origin if origin in origins else MemoryOrigin.IMPORT.value
            key = tm_key(line)
            row = existing.get((locale, key))
            if row is None:
                existing[(locale, key)] = TMRow(locale=locale, source=line, source_key=key, target=target, origin=origin)
                session.add(existing[(locale, key)])
                counts["added"] += 1
            elif (row.source, row.target, row.origin) == (line, target, origin):
                counts["unchanged"] += 1
            else:
                row.source, row.target, row.origin = line, target, origin
                counts["replaced"] += 1

    _commit(engine, source, put)
    return counts


def import_catalog(engine: Engine, folder: str | Path, store: str | None = None,
                   matter: Matter | None = None, faces: FaceFinder | None = None) -> dict[str, int]:
    """Import an examples-style folder in one transaction: `templates/*.yaml`, `catalog/talent.yaml`
    (or `.csv`), `catalog/tm.yaml`, `catalog/glossary.yaml`. Returns counts. `matter` and `faces`:
    as `import_talent`, but a refused matte refuses the whole folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CatalogError(f"{folder}: no such folder")
    template_paths = sorted((folder / "templates").glob("*.yaml"))
    wanted = [*template_paths, *(folder / "catalog" / n for n in ("talent.yaml", "talent.csv", "tm.yaml", "glossary.yaml"))]
    if not any(p.is_file() for p in wanted):
        raise CatalogError(f"{folder}: nothing to import (expected templates/*.yaml and catalog/talent.yaml, "
                           "tm.yaml, glossary.yaml)")
    templates, errors = _prepare_templates(template_paths)
    talent_path = next((p for p in (folder / "catalog" / n for n in ("talent.yaml", "talent.csv")) if p.is_file()), None)
    talent, tm, terms = [], [], []
    try:
        talent = _prepare_talent(talent_path, None, matter, faces) if talent_path else []
    except CatalogError as exc:
        errors += exc.errors
    try:
        tm, terms = _language_rows(folder / "catalog" / "tm.yaml", folder / "catalog" / "glossary.yaml")
    except CatalogError as exc:
        errors += exc.errors
    errors += [t.refused for t in talent if t.refused]  # a catalog folder goes in whole or not at all
    if errors:
        raise CatalogError(errors)
    store = store or images.default_store()
    template_rows = [_template_row(t, _put_image(store, "templates", t.image)) for t in templates]
    stored = [(t, _put_image(store, "talent", t.image), _put_image(store, "mattes", t.matte) if t.matte else "")
              for t in talent]

    def put(session: Session) -> None:
        _put_templates(session, template_rows)
        _put_talent(session, stored)
        _put_language(session, tm, terms)

    _commit(engine, folder, put)
    return {"templates": len(template_rows), "talent": len(stored), "tm": len(tm), "glossary": len(terms)}


def _commit(engine: Engine, source, put) -> None:
    try:
        with Session(engine) as session, session.begin():
            put(session)
    except IntegrityError as exc:
        raise CatalogError(f"{source}: conflicting entries, nothing imported: {exc.orig}") from None
    except (DataError, StatementError) as exc:
        raise CatalogError(f"{source}: the database refused a value, nothing imported: {exc.orig}") from None


def _put_image(store: str, kind: str, image: images.NormalizedImage) -> str:
    try:
        return images.put(store, kind, image)
    except OSError as exc:
        raise CatalogError(f"asset store {store}: cannot write the {kind} image: {exc}") from None
