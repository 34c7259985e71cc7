"""Queries the pipeline runs: eligible talent, templates, translation memory, glossary.

Each takes everything a bundle of items needs at once, so the number of statements per job
does not grow with the number of items. Every value reaches SQL as a bound parameter.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Engine, case, literal, select
from sqlalchemy.orm import Session

from adloc.assets_db.schema import (
    GlossaryRow,
    RightRow,
    TalentImageRow,
    TalentRow,
    TalentTagRow,
    TemplateRow,
    TMRow,
)
from adloc.records import GlossaryTerm, Talent, Template, TMEntry
from adloc.template import spec_from_json, to_record

# Why a right does not allow showing its talent on a date: "" when it does. The one definition of
# eligibility: the lookup keeps rows where it is "", the report explains the others.
TALENT_REVOKED, RIGHT_REVOKED, NOT_STARTED, EXPIRED = "talent revoked", "rights revoked", "not started", "expired"


def ineligibility(on: date):
    return case(
        (TalentRow.status != "active", literal(TALENT_REVOKED)),
        (RightRow.status != "active", literal(RIGHT_REVOKED)),
        (RightRow.starts_on > on, literal(NOT_STARTED)),
        (RightRow.ends_on < on, literal(EXPIRED)),
        else_=literal(""),
    )


def _rights(regions: set[str], channel: str):
    return (
        select(TalentRow.id, TalentRow.name, TalentRow.region, TalentImageRow.uri, TalentImageRow.sha256,
               RightRow.region, TalentImageRow.matte_uri, TalentImageRow.matte_sha256, TalentImageRow.face)
        .join(RightRow, RightRow.talent_id == TalentRow.id)
        .join(TalentImageRow, (TalentImageRow.talent_id == TalentRow.id) & (TalentImageRow.position == 0))
        .where(RightRow.region.in_(sorted(regions)), RightRow.channel == channel)
    )


def parse_face(text: str) -> tuple[int, int, int, int] | None:
    """A face box as the database keeps it ("x,y,width,height"; "" for none)."""
    if not text:
        return None
    x, y, w, h = (int(v) for v in text.split(","))
    return (x, y, w, h)


def eligible_talent(engine: Engine, regions: set[str], channel: str, on: date) -> dict[str, list[Talent]]:
    """Active talent whose active rights cover each region for `channel` on the date, sorted by id.
    Two statements, whatever the number of regions."""
    stmt = (_rights(regions, channel).where(ineligibility(on) == "").distinct()
            .order_by(RightRow.region, TalentRow.id))
    tag_stmt = select(TalentTagRow.talent_id, TalentTagRow.tag).order_by(TalentTagRow.talent_id, TalentTagRow.tag)
    with Session(engine) as session:
        rows = session.execute(stmt).all()
        ids = {row[0] for row in rows}
        tags: dict[str, list[str]] = defaultdict(list)
        if ids:
            for talent_id, tag in session.execute(tag_stmt.where(TalentTagRow.talent_id.in_(sorted(ids)))):
                tags[talent_id].append(tag)
    out: dict[str, list[Talent]] = {region: [] for region in regions}
    for talent_id, name, home, uri, sha256, region, matte_uri, matte_sha256, face in rows:
        out[region].append(Talent(talent_id, name, home, uri, tuple(sorted(tags[talent_id])), sha256, matte_uri,
                                  matte_sha256, parse_face(face)))
    # Sorted here, by code point: the seeded choice indexes this list, and a database's collation
    # (PostgreSQL's ICU or libc rules against SQLite's bytes) must not change who is picked.
    return {region: sorted(talent, key=lambda t: t.id) for region, talent in out.items()}


def choose_talent(candidates: list[Talent], tags: tuple[str, ...], seed: int) -> Talent | None:
    """Deterministic choice among eligible talent carrying every requested tag: candidates come
    sorted by id, so the same seed picks the same person while the eligible set is unchanged."""
    matching = [t for t in candidates if set(tags) <= set(t.tags)]
    return matching[seed % len(matching)] if matching else None


def talent_rights_overview(engine: Engine, regions: set[str], channel: str, on: date) -> list[dict]:
    """Every talent with rights in the regions for the channel, and whether they may be used on
    the date, with the reason when not: for the report."""
    why = ineligibility(on).label("why")
    stmt = (
        select(TalentRow.id, TalentRow.name, RightRow.region, RightRow.channel, RightRow.starts_on,
               RightRow.ends_on, why)
        .join(RightRow, RightRow.talent_id == TalentRow.id)
        .where(RightRow.region.in_(sorted(regions)), RightRow.channel == channel)
        .order_by(RightRow.region, TalentRow.id, RightRow.starts_on)
    )
    reasons = {NOT_STARTED: "consent starts {starts}", EXPIRED: "consent expired {ends}",
               TALENT_REVOKED: "talent revoked", RIGHT_REVOKED: "rights revoked"}
    out = []
    with Session(engine) as session:
        for talent_id, name, region, chan, starts, ends, code in session.execute(stmt):
            reason = reasons[code].format(starts=starts.isoformat(), ends=ends.isoformat()) if code else "eligible"
            out.append({"talent": talent_id, "name": name, "region": region, "channel": chan,
                        "eligible": not code, "reason": reason, "starts_on": starts.isoformat()})
    return sorted(out, key=lambda r: (r["region"], r["talent"], r["starts_on"]))


def templates(engine: Engine, ids: set[str]) -> dict[str, Template]:
    with Session(engine) as session:
        rows = session.execute(select(TemplateRow).where(TemplateRow.id.in_(sorted(ids)))).scalars().all()
        return {row.id: to_record(spec_from_json(row.spec), row.image_uri) for row in rows}


def translation_memory(engine: Engine, locales: set[str]) -> dict[str, dict[str, TMEntry]]:
    """locale -> normalized source -> entry, for the locales of a job (keys in code-point order)."""
    out: dict[str, dict[str, TMEntry]] = {locale: {} for locale in locales}
    with Session(engine) as session:
        stmt = select(TMRow.locale, TMRow.source_key, TMRow.source, TMRow.target).where(
            TMRow.locale.in_(sorted(locales))
        ).order_by(TMRow.locale, TMRow.source_key)
        for locale, key, source, target in session.execute(stmt):
            out[locale][key] = TMEntry(source, target)
    return {locale: dict(sorted(units.items())) for locale, units in out.items()}


def glossary(engine: Engine, locales: set[str]) -> dict[str, tuple[GlossaryTerm, ...]]:
    out: dict[str, list[GlossaryTerm]] = {locale: [] for locale in locales}
    with Session(engine) as session:
        stmt = select(GlossaryRow.locale, GlossaryRow.term, GlossaryRow.kind, GlossaryRow.rendering).where(
            GlossaryRow.locale.in_(sorted(locales))
        ).order_by(GlossaryRow.locale, GlossaryRow.kind, GlossaryRow.term)
        for locale, term, kind, rendering in session.execute(stmt):
            out[locale].append(GlossaryTerm(term, kind, rendering))
    return {locale: tuple(sorted(terms, key=lambda t: (t.kind, t.term))) for locale, terms in out.items()}
