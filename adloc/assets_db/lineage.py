"""Lineage: what each run produced, from which talent and models, so that a takedown can find
every published output of a person; and the takedown itself."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from adloc.assets_db.queries import ineligibility
from adloc.assets_db.schema import JobItemRow, JobRow, OutputRow, RightRow, TalentRow


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def record_run(engine: Engine, job: dict, out: str, records: list[dict], replaced: dict[str, list[str]]) -> int:
    """Store one finished run: the job, one row per item, and the lineage of every image written.
    `replaced` maps each record's key to the output URIs an earlier run may have left for that item
    (the other status folders): their lineage rows go, since the files did. One transaction; a
    fixed number of statements per thousand items. Returns the job run id."""
    now = _now()
    counts = {status: sum(r["status"] == status for r in records) for status in ("approved", "review", "dead_letter")}
    with Session(engine) as session, session.begin():
        run = JobRow(name=job["job"], brand=job["brand"], channel=job["channel"],
                     run_date=date.fromisoformat(job["run_date"]), out_uri=out,
                     spec=json.dumps(job["spec"], sort_keys=True, ensure_ascii=False), status="done",
                     finished_at=now, **counts)
        session.add(run)
        session.flush()
        # Bulk statements (executemany), not one ORM insert per row: the count stays fixed.
        if records:
            session.execute(insert(JobItemRow), [
                {"job_id": run.id, "creative": r["creative"], "template": r["template"], "locale": r["locale"],
                 "status": r["status"], "reason": r.get("reason") or "", "talent_id": r.get("talent"),
                 "seed": r["seed"], "record_uri": r["uri"].removesuffix(".png").removesuffix(".json") + ".json"}
                for r in records])
        item_ids = {f"{c}/{t}/{loc}": i for i, c, t, loc in session.execute(
            select(JobItemRow.id, JobItemRow.creative, JobItemRow.template, JobItemRow.locale)
            .where(JobItemRow.job_id == run.id))}
        stale = sorted({uri for r in records for uri in replaced.get(_key(r), [])})
        if stale:
            session.execute(delete(OutputRow).where(OutputRow.uri.in_(stale)))
        published = [r for r in records if r["status"] != "dead_letter"]
        if published:
            session.execute(insert(OutputRow), [
                {"job_item_id": item_ids[_key(r)], "out_uri": out, "job": job["job"], "creative": r["creative"],
                 "template": r["template"], "locale": r["locale"], "uri": r["uri"], "sha256": r["sha256"],
                 "status": r["status"], "talent_id": r.get("talent"), "talent_image_uri": r.get("talent_image") or "",
                 "copy_model": r["models"]["copy"], "inpainter": r["models"]["inpainter"],
                 "run_date": run.run_date, "written_at": now}
                for r in published])
        return run.id


def _key(record: dict) -> str:
    return "/".join((record["creative"], record["template"], record["locale"]))


class UnknownTalent(LookupError):
    def __init__(self, talent_id: str):
        super().__init__(f"talent {talent_id!r} is not in the asset database")


def usage(engine: Engine, talent_id: str) -> list[dict]:
    """Every output now published from this talent: job, creative, template, locale, URI, date."""
    stmt = select(OutputRow).where(OutputRow.talent_id == talent_id).order_by(
        OutputRow.job, OutputRow.creative, OutputRow.template, OutputRow.locale, OutputRow.uri)
    with Session(engine) as session:
        return [{"job": o.job, "creative": o.creative, "template": o.template, "locale": o.locale,
                 "status": o.status, "uri": o.uri, "run_date": o.run_date.isoformat(),
                 "written_at": o.written_at.isoformat(), "sha256": o.sha256}
                for o in session.scalars(stmt)]


def revoke(engine: Engine, talent_id: str, reason: str) -> dict:
    """Take a talent out of every future lookup. Their outputs are listed, not deleted: what to do
    with published assets is a person's decision."""
    if not reason.strip():
        raise ValueError("--reason: say why the talent is revoked (it is kept with the record)")
    with Session(engine) as session, session.begin():
        talent = session.get(TalentRow, talent_id)
        if talent is None:
            raise UnknownTalent(talent_id)
        already = talent.status == "revoked"
        talent.status, talent.revoked_reason, talent.revoked_at = "revoked", reason.strip(), _now()
    return {"talent": talent_id, "already_revoked": already, "outputs": usage(engine, talent_id)}


def list_talent(engine: Engine, region: str | None = None, status: str | None = None,
                expiring_within: int | None = None, on: date | None = None) -> list[dict]:
    """Talent with where they may be used on `on` (default today), filtered by a region their rights
    cover, their status, or a usable right that ends within N days."""
    on = on or date.today()
    stmt = select(TalentRow).order_by(TalentRow.id)
    if status:
        stmt = stmt.where(TalentRow.status == status)
    if region:
        stmt = stmt.where(TalentRow.id.in_(select(RightRow.talent_id).where(RightRow.region == region)))
    usable = (select(RightRow.talent_id, RightRow.region, RightRow.channel, RightRow.ends_on)
              .join(TalentRow, TalentRow.id == RightRow.talent_id).where(ineligibility(on) == ""))
    out = []
    with Session(engine) as session:
        live: dict[str, list] = defaultdict(list)
        for talent_id, *right in session.execute(usable):
            live[talent_id].append(right)
        for t in session.scalars(stmt):
            rights = live[t.id]
            if expiring_within is not None and not any(r[2] <= on + timedelta(days=expiring_within) for r in rights):
                continue
            out.append({
                "id": t.id, "name": t.name, "region": t.region, "status": t.status,
                "revoked_reason": t.revoked_reason, "tags": sorted(tag.tag for tag in t.tags),
                "usable_in": sorted({r[0] for r in rights}), "channels": sorted({r[1] for r in rights}),
                "ends_on": min((r[2] for r in rights), default=None),
                "image": t.images[0].uri if t.images else "",
            })
    return out
