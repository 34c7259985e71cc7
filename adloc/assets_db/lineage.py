"""Lineage: what each run produced, from which talent and models, so that a takedown finds every
published output of a person; and the takedown itself.

A run is recorded twice, each time in one transaction with a fixed number of statements: before
any file is written (`plan_run`: the job and, per item, the talent chosen), and when it finishes
(`finish_run`: each item's status and the lineage of every image written). A run that dies in
between leaves its items marked pending, and `usage` still lists them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from adloc.assets_db.queries import ineligibility, parse_face
from adloc.assets_db.schema import JobItemRow, JobRow, OutputRow, RightRow, TalentRow
from adloc.errors import AdlocError, NotFound
from adloc.fields import has_control
from adloc.records import ItemRecord, ItemStatus, JobStatus


def utc_now() -> datetime:
    """The time to store (naive UTC, to the microsecond: the live evidence window compares a run's
    start with a recalibration that can fall in the same second). Print it with `shown`."""
    return datetime.now(UTC).replace(tzinfo=None)


def shown(when: datetime | None) -> str | None:
    """A stored time as people and JSON read it: ISO 8601 to the second (UTC)."""
    return when.isoformat(timespec="seconds") if when else None


def item_key(creative: str, template: str, locale: str) -> str:
    return f"{creative}/{template}/{locale}"


def plan_run(engine: Engine, job: dict, out: str, items: list[dict]) -> int:
    """Record a run before it writes anything: the job (status running) and one pending row per
    item with the talent chosen for it. `items`: creative, template, locale, talent, seed.
    `job["run_token"]` names the run: a retried call returns the run already recorded.
    Returns the run id."""
    with Session(engine) as session, session.begin():
        run = session.scalar(select(JobRow).where(JobRow.run_token == job["run_token"]))
        if run is not None:  # a retry, or a submitted job that a worker now runs
            if session.scalar(select(JobItemRow.id).where(JobItemRow.job_id == run.id).limit(1)) is not None:
                return run.id
            run.status, run.started_at = JobStatus.RUNNING.value, run.started_at or utc_now()
        else:
            run = JobRow(run_token=job["run_token"], name=job["job"], brand=job["brand"], channel=job["channel"],
                         run_date=date.fromisoformat(job["run_date"]), out_uri=out,
                         spec=json.dumps(job["spec"], sort_keys=True, ensure_ascii=False), status=JobStatus.RUNNING.value,
                         started_at=utc_now())
            session.add(run)
        session.flush()
        if items:  # one executemany, not an ORM insert per row: the statement count stays fixed
            session.execute(insert(JobItemRow), [
                {"job_id": run.id, "creative": i["creative"], "template": i["template"], "locale": i["locale"],
                 "status": ItemStatus.PENDING.value, "reason": "", "talent_id": i.get("talent"), "seed": i["seed"],
                 "record_uri": ""}
                for i in items])
        return run.id


def finish_run(engine: Engine, run_id: int, out: str, records: list[ItemRecord], replaced: dict[str, list[str]]) -> None:
    """Record how each item of run `run_id` ended, and the lineage of every image it wrote.
    `replaced` maps an item's key to the output URIs an earlier run may have left for it (the other
    status folders): their lineage rows go, since the files did."""
    now = utc_now()
    counts = {status: sum(r.status is status for r in records) for status in ItemStatus}
    with Session(engine) as session, session.begin():
        run = session.get(JobRow, run_id)
        run.status, run.finished_at = JobStatus.DONE.value, now
        run.approved, run.review = counts[ItemStatus.APPROVED], counts[ItemStatus.REVIEW]
        run.dead_letter = counts[ItemStatus.DEAD_LETTER]
        ids = {item_key(c, t, loc): i for i, c, t, loc in session.execute(
            select(JobItemRow.id, JobItemRow.creative, JobItemRow.template, JobItemRow.locale)
            .where(JobItemRow.job_id == run_id))}
        keys = [r.key for r in records]
        if sorted(keys) != sorted(ids) or len(set(keys)) != len(keys):
            raise ValueError(f"run {run_id}: the finished items {sorted(keys)[:5]}... do not match the planned "
                             f"ones {sorted(ids)[:5]}...; the run stays marked running")
        if records:
            session.execute(
                update(JobItemRow.__table__).where(JobItemRow.__table__.c.id == bindparam("item_id"))
                .values(status=bindparam("new_status"), reason=bindparam("new_reason"),
                        talent_id=bindparam("new_talent"), record_uri=bindparam("new_record"),
                        audit=bindparam("new_audit"), copy_model=bindparam("new_copy_model"),
                        gate=bindparam("new_gate"), model_lines=bindparam("new_model_lines"),
                        gate_passed=bindparam("new_gate_passed"), shadow=bindparam("new_shadow")),
                [{"item_id": ids[r.key], "new_status": r.status.value, "new_reason": r.reason or "",
                  "new_talent": r.talent, "new_record": r.record_uri,
                  # What a reused item's model and gate did stays with the run that made it; an audit
                  # still waiting for its reviewer moves to this run's row (below).
                  "new_audit": r.audit and (not r.reused or r.review is None),
                  "new_copy_model": r.models.get("copy", ""),
                  "new_gate": r.gate_id(), "new_model_lines": 0 if r.reused else r.model_lines(),
                  "new_gate_passed": 0 if r.reused else r.gate_passed(),
                  "new_shadow": "" if r.reused or r.shadow() is None else
                  json.dumps(r.shadow(), ensure_ascii=False, sort_keys=True)} for r in records])
        for r in records:
            if r.reused and r.audit and r.review is None:  # the queue holds the latest run's row only
                earlier = (select(JobItemRow.id).join(JobRow, JobRow.id == JobItemRow.job_id)
                           .where(JobRow.out_uri == out, JobItemRow.job_id != run_id,
                                  JobItemRow.creative == r.creative, JobItemRow.template == r.template,
                                  JobItemRow.locale == r.locale))
                session.execute(update(JobItemRow).where(JobItemRow.id.in_(earlier)).values(audit=False))
        stale = sorted({uri for r in records for uri in replaced.get(r.key, [])})
        if stale:
            session.execute(delete(OutputRow.__table__).where(OutputRow.__table__.c.uri == bindparam("stale_uri")),
                            [{"stale_uri": uri} for uri in stale])
        published = [r for r in records if r.status is not ItemStatus.DEAD_LETTER]
        if published:
            session.execute(insert(OutputRow), [
                {"job_item_id": ids[r.key], "out_uri": out, "job": run.name, "creative": r.creative,
                 "template": r.template, "locale": r.locale, "uri": r.uri, "sha256": r.sha256,
                 "status": r.status.value, "talent_id": r.talent, "talent_image_sha256": r.talent_image or "",
                 "copy_model": r.models["copy"], "inpainter": r.models["inpainter"],
                 "run_date": run.run_date, "written_at": now}
                for r in published])


def usage(engine: Engine, talent_id: str) -> list[dict]:
    """Every output published from this talent (job, creative, template, locale, URI, date), and
    every item of an unfinished run that chose them: its image may be out there too. NotFound for
    a talent the asset database does not have."""
    with Session(engine) as session:
        if session.get(TalentRow, talent_id) is None:
            raise NotFound(f"talent {talent_id!r} is not in the asset database")
        rows = [{"job": o.job, "creative": o.creative, "template": o.template, "locale": o.locale,
                 "status": o.status, "uri": o.uri, "run_date": o.run_date.isoformat(),
                 "written_at": shown(o.written_at), "sha256": o.sha256}
                for o in session.scalars(select(OutputRow).where(OutputRow.talent_id == talent_id))]
        pending = session.execute(
            select(JobRow.id, JobRow.name, JobRow.out_uri, JobRow.run_date, JobRow.started_at,
                   JobItemRow.creative, JobItemRow.template, JobItemRow.locale)
            .join(JobItemRow, JobItemRow.job_id == JobRow.id)
            .where(JobItemRow.talent_id == talent_id, JobRow.status == JobStatus.RUNNING)).all()
        if pending:
            # An item a later finished run of the same job and output redid is settled by that run.
            last_done: dict[tuple, int] = {}
            for job_id, name, out, c, t, loc in session.execute(
                select(JobRow.id, JobRow.name, JobRow.out_uri, JobItemRow.creative, JobItemRow.template,
                       JobItemRow.locale)
                .join(JobItemRow, JobItemRow.job_id == JobRow.id)
                .where(JobRow.status == JobStatus.DONE, JobRow.name.in_(sorted({p.name for p in pending})))):
                where = (name, out, item_key(c, t, loc))
                last_done[where] = max(job_id, last_done.get(where, 0))
            for p in pending:
                key = item_key(p.creative, p.template, p.locale)
                if last_done.get((p.name, p.out_uri, key), 0) > p.id:
                    continue
                rows.append({"job": p.name, "creative": p.creative, "template": p.template, "locale": p.locale,
                             "status": "unfinished run", "uri": f"{p.out_uri}/{{approved,review}}/{key}.png",
                             "run_date": p.run_date.isoformat(), "written_at": shown(p.started_at),
                             "sha256": ""})
    return sorted(rows, key=lambda r: (r["job"], r["creative"], r["template"], r["locale"], r["uri"]))


def revoke(engine: Engine, talent_id: str, reason: str) -> dict:
    """Take a talent out of every future lookup. Their outputs are listed, not deleted: what to do
    with published assets is a person's decision."""
    if not reason.strip() or has_control(reason):
        raise AdlocError("reason: say why the talent is revoked, in plain text (it is kept with the record)")
    with Session(engine) as session, session.begin():
        talent = session.get(TalentRow, talent_id, with_for_update=True)  # two revokes: the first reason stays
        if talent is None:
            raise NotFound(f"talent {talent_id!r} is not in the asset database")
        already = talent.status == "revoked"
        if not already:  # a second revoke keeps the first reason and date
            talent.status, talent.revoked_reason, talent.revoked_at = "revoked", reason.strip(), utc_now()
        reason, when = talent.revoked_reason, talent.revoked_at
    return {"talent": talent_id, "already_revoked": already, "reason": reason,
            "revoked_at": shown(when), "outputs": usage(engine, talent_id)}


def list_talent(engine: Engine, region: str | None = None, status: str | None = None,
                expiring_within: int | None = None, on: date | None = None) -> list[dict]:
    """Talent with where they may be used on `on` (default today), filtered by a region their rights
    cover, their status, or a usable right that ends within N days."""
    on = on or date.today()
    stmt = select(TalentRow)
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
                # "alpha": the image brought its own; "matte": one was made at import (with the model)
                "cutout": ("matte" if t.images and t.images[0].matte_uri else "alpha") if t.images else "",
                "matte": ({"uri": t.images[0].matte_uri, "sha256": t.images[0].matte_sha256,
                           "model": t.images[0].matte_model} if t.images and t.images[0].matte_uri else None),
                # The face found at import (x, y, width, height in the photo's pixels) and its detector.
                "face": ({"box": list(parse_face(t.images[0].face)), "model": t.images[0].face_model}
                         if t.images and t.images[0].face else None),
            })
    return sorted(out, key=lambda r: r["id"])
