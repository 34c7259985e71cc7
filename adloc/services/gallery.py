"""What people look at: jobs with their progress, each item's card (its image, its lines and how
they were made, its failed checks), the review queue, the catalog's templates and locales, and the
files a finished run wrote. The web app shows these; it reads nothing on its own."""

from __future__ import annotations

import json
from dataclasses import replace

from apache_beam.io.filesystems import FileSystems
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from adloc.assets_db import review as review_store
from adloc.assets_db.schema import GlossaryRow, JobItemRow, JobRow, ReviewRow, TemplateRow, TMRow
from adloc.errors import AdlocError, NotFound
from adloc.files import read_bytes
from adloc.records import ItemRecord, ItemStatus, JobStatus

DEFAULT_LOCALES = ("pt-PT", "de-DE", "fr-FR", "es-MX", "ar-AE")
SERVED_FILES = ("manifest.jsonl", "report.html")  # the only run files served by name


def read_output(uri: str) -> bytes:
    """A file a run wrote; NotFound when it is gone."""
    try:
        return read_bytes(uri)
    except OSError:
        raise NotFound("that file is not in the output any more") from None


def record_of(item: JobItemRow | None) -> ItemRecord | None:
    """The item's record, or None when there is none yet or it cannot be read (shown as such)."""
    if item is None or not item.record_uri:
        return None
    try:
        return ItemRecord.from_json(read_output(item.record_uri), item.record_uri)
    except AdlocError:
        return None


def item_card(item: JobItemRow) -> dict:
    """What a gallery card shows of an item: its copy per slot with how it was made, its checks."""
    record = record_of(item)
    copy = dict(record.copy) if record else {}
    checks = [replace(c, name=f"{slot}: {c.name}") for slot, line in sorted(copy.items()) for c in line.checks]
    if record and record.image:
        checks += [replace(c, name=f"image: {c.name}") for c in record.image.checks]
    checks += [replace(c, name=f"layout: {c.name}") for c in (record.layout if record else ())]
    return {
        "id": item.id, "job_id": item.job_id, "creative": item.creative, "template": item.template,
        "locale": item.locale, "status": item.status, "reason": item.reason,
        "image": record is not None and item.status in (ItemStatus.APPROVED, ItemStatus.REVIEW),
        "uri": record.uri if record else "", "review": record.review if record else None,
        "lines": copy, "image_path": record.image.path.value if record and record.image else "",
        "failed": [c for c in checks if not c.passed], "passed": sum(c.passed for c in checks),
    }


def _item_counts(session: Session, job_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    if not job_ids:
        return counts
    stmt = (select(JobItemRow.job_id, JobItemRow.status, func.count()).where(JobItemRow.job_id.in_(job_ids))
            .group_by(JobItemRow.job_id, JobItemRow.status))
    for job_id, status, n in session.execute(stmt):
        counts.setdefault(job_id, {})[status] = n
    return counts


def _audit_waiting(job_ids: list[int]):
    """The items of these jobs' audit samples that no reviewer has decided yet (shipped, waiting)."""
    return (JobItemRow.job_id.in_(job_ids), JobItemRow.status == ItemStatus.APPROVED.value,
            JobItemRow.audit.is_(True), JobItemRow.id.not_in(select(ReviewRow.job_item_id)))


def _audits_waiting(session: Session, job_ids: list[int]) -> dict[int, int]:
    """job id -> how many of its audit sample wait for a reviewer."""
    if not job_ids:
        return {}
    stmt = select(JobItemRow.job_id, func.count()).where(*_audit_waiting(job_ids)).group_by(JobItemRow.job_id)
    return dict(session.execute(stmt).all())


def _summary(row: JobRow, counts: dict[str, int], audits: int = 0) -> dict:
    total = sum(counts.values())
    spec = json.loads(row.spec)
    expected = total or sum(len(c["template"]) if isinstance(c["template"], list) else 1
                            for c in spec["creatives"]) * len(spec["locales"])
    done = total - counts.get(ItemStatus.PENDING, 0)
    if row.status == JobStatus.RUNNING:
        done = min(written_so_far(row.out_uri), expected)  # the DB learns the items' ends when the run finishes
    return {"id": row.id, "name": row.name, "brand": row.brand, "channel": row.channel, "status": row.status,
            "locales": spec["locales"], "total": expected, "done": done if row.status != JobStatus.QUEUED else 0,
            "approved": counts.get(ItemStatus.APPROVED, 0), "review": counts.get(ItemStatus.REVIEW, 0),
            "dead_letter": counts.get(ItemStatus.DEAD_LETTER, 0), "rejected": counts.get(ItemStatus.REJECTED, 0),
            "audit": audits,
            "error": row.error,
            "submitted": row.submitted_at.strftime("%Y-%m-%d %H:%M") if row.submitted_at else ""}


def written_so_far(out: str) -> int:
    """Items a running job has written so far: their records in the output folder or bucket (one
    listing per status folder; a rerun's earlier files count until they are replaced). The database
    learns how items ended when the run finishes: a fixed number of statements per job."""
    from adloc.pipelines.write import FOLDERS

    patterns = [f"{out.rstrip('/')}/{folder}/*/*/*.json" for folder in FOLDERS]
    try:
        return sum(len(found.metadata_list) for found in FileSystems.match(patterns))
    except Exception:  # noqa: BLE001 - a folder not made yet, a bucket that does not answer: nothing to count
        return 0


def jobs(engine: Engine, limit: int = 200) -> list[dict]:
    """The newest jobs with their status and progress."""
    with Session(engine) as session:
        rows = session.scalars(select(JobRow).order_by(JobRow.id.desc()).limit(limit)).all()
        counts = _item_counts(session, [r.id for r in rows])
        audits = _audits_waiting(session, [r.id for r in rows])
        return [_summary(r, counts.get(r.id, {}), audits.get(r.id, 0)) for r in rows]


def job(engine: Engine, job_id: int) -> tuple[dict, dict[str, list[dict]]]:
    """(the job's summary, its item cards per locale). NotFound for a job that is not there."""
    with Session(engine) as session:
        row = session.get(JobRow, job_id)
        if row is None:
            raise NotFound(f"there is no job {job_id}")
        items = session.scalars(select(JobItemRow).where(JobItemRow.job_id == job_id)
                                .order_by(JobItemRow.locale, JobItemRow.creative, JobItemRow.template)).all()
        audits = set(session.scalars(select(JobItemRow.id).where(*_audit_waiting([job_id]))))
        summary = _summary(row, _item_counts(session, [job_id]).get(job_id, {}), len(audits))
    gallery: dict[str, list[dict]] = {}
    for item in items:
        gallery.setdefault(item.locale, []).append({**item_card(item), "audit_waiting": item.id in audits})
    return summary, gallery


def item_image(engine: Engine, job_id: int, item_id: int) -> bytes:
    """The PNG of an approved or review item of the job, from the run's output."""
    from adloc.pipelines.write import output_uri

    with Session(engine) as session:
        item, row = session.get(JobItemRow, item_id), session.get(JobRow, job_id)
        if item is None or row is None or item.job_id != job_id \
                or item.status not in (ItemStatus.APPROVED, ItemStatus.REVIEW):
            raise NotFound(f"job {job_id} has no image for item {item_id}")
        uri = output_uri(row.out_uri, item.status, item.creative, item.template, item.locale, ".png")
    return read_output(uri)


def job_file(engine: Engine, job_id: int, name: str) -> bytes:
    """A finished job's report.html or manifest.jsonl."""
    if name not in SERVED_FILES:
        raise NotFound(f"no {name!r} here")
    with Session(engine) as session:
        row = session.get(JobRow, job_id)
        if row is None or row.status != JobStatus.DONE:
            raise NotFound(f"job {job_id} has no finished output yet")
        out = row.out_uri
    return read_output(FileSystems.join(out, name))


def review_queue(engine: Engine, locales: frozenset[str] | None = None) -> list[dict]:
    """Items waiting for a decision, newest first, each with its card and the line each slot's
    editing starts from (`suggestions`: the best candidate, where it came from, its failing checks);
    only those in `locales` when given (a reviewer limited to some)."""
    entries = [e for e in review_store.pending(engine) if locales is None or e["locale"] in locales]
    with Session(engine) as session:  # the items in one query
        items = {i.id: i for i in session.scalars(
            select(JobItemRow).where(JobItemRow.id.in_([e["item"] for e in entries])))}
    from adloc.services.deliver import suggestions

    contexts: dict = {}
    return [{**entry, **item_card(items[entry["item"]]), "suggestions": suggestions(engine, entry["item"], contexts)}
            for entry in entries]


def item_locale(engine: Engine, item_id: int) -> str:
    """The locale of item `item_id`; NotFound when there is no such item."""
    with Session(engine) as session:
        item = session.get(JobItemRow, item_id)
    if item is None:
        raise NotFound(f"item {item_id}: there is no item with this number")
    return item.locale


def template_slots(engine: Engine) -> dict[str, list[str]]:
    """template id -> its text slots."""
    with Session(engine) as session:
        return {row.id: [slot.name for slot in row.slots if slot.kind == "text"]
                for row in session.scalars(select(TemplateRow).order_by(TemplateRow.id))}


def locales_offered(engine: Engine, chosen: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The locales a job form offers: those the catalog knows (memory, glossary, template hints),
    the demo's, and any already chosen."""
    with Session(engine) as session:
        found = set(session.scalars(select(TMRow.locale).distinct()))
        found |= set(session.scalars(select(GlossaryRow.locale).distinct()))
        for spec in session.scalars(select(TemplateRow.spec)):
            found |= set(json.loads(spec).get("locale_hints", {}))
    return sorted(found | set(DEFAULT_LOCALES) | set(chosen))
