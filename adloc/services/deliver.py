"""A reviewer's decision carried through to the output: an approval sets the approved lines into
the picture the run kept (pictures/, before any text; no model runs), writes the finished item
under approved/, takes the review copy away and updates the lineage, the manifest and the report;
a rejection moves the item's record to rejected/ with the reason and publishes nothing.

Per item, in this order: the new files are written whole (each under a temporary name, then
renamed), then the database learns of them in one transaction, then the old copies go and the
manifest and report are rewritten. A decision delivered again changes nothing, so `deliver` also
repairs an item whose delivery stopped half-way.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, replace

import numpy as np
from apache_beam.io.filesystems import FileSystems
from PIL import Image
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from adloc import locale as loc
from adloc.assets_db import queries
from adloc.assets_db import review as store
from adloc.assets_db.lineage import utc_now
from adloc.assets_db.schema import JobItemRow, JobRow, OutputRow, ReviewRow
from adloc.checks import blocking_failures
from adloc.checks.copy import check_copy
from adloc.errors import AdlocError, NotFound
from adloc.files import read_bytes, write_bytes
from adloc.jobspec import Job, parse_job
from adloc.pipelines.report import rewrite_summary
from adloc.pipelines.write import FOLDERS, output_uri, set_text
from adloc.records import (
    Channel,
    CheckResult,
    CopyPath,
    ItemRecord,
    ItemStatus,
    LineRecord,
    ReviewDecision,
    Severity,
    Template,
)
from adloc.template import for_locale


@dataclass(frozen=True)
class Delivery:
    """What delivering a decision did: the item's new `status` and where its record now is;
    `changed` is False when the output already said so (a decision delivered twice)."""

    item: int
    status: ItemStatus
    uri: str
    changed: bool


@dataclass(frozen=True)
class Prepared:
    """An item rendered with the approved lines, in memory: nothing written yet."""

    item: int
    record: ItemRecord
    png: bytes | None  # None for a rejection
    overridden: tuple[str, ...]  # the critical checks a reviewer's override let through


@dataclass(frozen=True)
class _Item:
    id: int
    job_id: int
    out: str
    status: ItemStatus
    record: ItemRecord
    spec: str


def _load(session: Session, item_id: int) -> _Item:
    row = session.get(JobItemRow, item_id)
    if row is None or not row.record_uri:
        raise NotFound(f"item {item_id}: there is no finished item with this number")
    job = session.get(JobRow, row.job_id)
    try:
        record = ItemRecord.from_json(read_bytes(row.record_uri), row.record_uri)
    except OSError as exc:
        raise NotFound(f"item {item_id}: cannot read its record {row.record_uri}: {exc}") from None
    return _Item(row.id, row.job_id, job.out_uri, ItemStatus(row.status), record, job.spec)


def prepare(engine: Engine, item_id: int, lines: dict[str, str], reviewer: str, override: bool = False) -> Prepared:
    """Item `item_id` with `lines` (slot -> the approved line, placeholders as in the source) set
    into its kept picture and checked again: every line's copy checks, the layout checks, the bytes.

    Raises AdlocError naming the slot and the check when a line fails a critical copy check, or the
    layout a blocking one (text that no longer fits), unless `override` (recorded in the line's
    reason and the decision); NotFound when the run kept no picture for the item."""
    with Session(engine) as session:
        item = _load(session, item_id)
    record = item.record
    if not record.picture:
        raise NotFound(f"item {item_id}: its run kept no picture to set the approved lines into "
                       f"({record.record_uri}); rerun the job, then approve")
    context = _context(engine, item)
    job, values, template = context.job, context.values, context.template

    copy: dict[str, LineRecord] = {}
    overridden: list[str] = []
    for slot, text in sorted(lines.items()):
        was = record.copy[slot].as_run()
        checks = context.check(slot, was.source, text)
        critical = [c for c in checks if not c.passed and c.severity is Severity.CRITICAL]
        if critical and not override:
            raise AdlocError(f"copy.{slot}: {text!r} fails the {critical[0].name} check ({critical[0].detail}); "
                             "correct the line, or approve with an explicit override")
        overridden += [f"copy.{slot}:{c.name}" for c in critical]
        edited = text != was.text
        reason = f"{'edited' if edited else 'approved'} by {reviewer}" + (
            f" (override: {', '.join(c.name for c in critical)})" if critical else "")
        copy[slot] = LineRecord(
            was.source, text, loc.fill_placeholders(text, values, record.locale), CopyPath.REVIEWED, True, None,
            reason, was.candidate, tuple(checks), was.gate,
            run={"path": was.path.value, "text": was.text, "approved": was.approved, "reason": was.reason},
            shadow=was.shadow)

    image_critical = [c for c in (record.image.checks if record.image else ())
                      if not c.passed and c.severity is Severity.CRITICAL]
    if image_critical and not override:
        raise AdlocError(f"image: the picture fails the {image_critical[0].name} check ({image_critical[0].detail}); "
                         "reject it, or approve with an explicit override")
    overridden += [f"image:{c.name}" for c in image_critical]

    with Image.open(io.BytesIO(read_bytes(record.picture))) as kept:
        picture = np.asarray(kept.convert("RGB"))
    drawn = {slot: loc.fill_placeholders(line.text, values, record.locale, isolate=True) for slot, line in copy.items()}
    _, png, layout = set_text(picture, drawn, template.text_slots, record.locale, record.keep_clear, Channel(job.channel))
    blocking = blocking_failures(layout)
    if blocking and not override:
        raise AdlocError(f"layout: the approved lines fail the {blocking[0].name} check ({blocking[0].detail}); "
                         "shorten the line, or approve with an explicit override")
    overridden += [f"layout:{c.name}" for c in blocking]
    uri = output_uri(item.out, ItemStatus.APPROVED, record.creative, record.template, record.locale, ".png")
    new = replace(record, status=ItemStatus.APPROVED, uri=uri, sha256=hashlib.sha256(png).hexdigest(),
                  copy={slot: copy.get(slot, line) for slot, line in record.copy.items()}, layout=tuple(layout),
                  reason=None)
    return Prepared(item_id, new, png, tuple(overridden))


@dataclass(frozen=True)
class _Context:
    """What the copy checks and the layout need of an item's job, beyond its record."""

    job: Job
    values: dict
    template: Template
    glossary: tuple
    locale: str

    def check(self, slot: str, source: str, text: str) -> list:
        """The copy checks a run gives a line in this slot (no memory examples: a person wrote it)."""
        return check_copy(source, text, self.locale, tuple(self.job.keep_terms), self.template.text_slot(slot).max_chars,
                          self.glossary, (), self.job.formality.get(self.locale))


def _context(engine: Engine, item: _Item) -> _Context:
    record = item.record
    job = parse_job(json.loads(item.spec), f"job of item {item.id}")
    creative = next(c for c in job.creatives if c.id == record.creative)
    found = queries.templates(engine, {record.template})
    if record.template not in found:
        raise NotFound(f"item {item.id}: template {record.template!r} is no longer in the asset database")
    return _Context(job, creative.values_for(record.locale), for_locale(found[record.template], record.locale),
                    queries.glossary(engine, {record.locale})[record.locale], record.locale)


@dataclass(frozen=True)
class Suggestion:
    """Where a reviewer starts a slot's line: the best candidate there is (the model's line, even
    one the gate held back; else the translation memory's closest line; else the source), where it
    came from (`origin`: model | memory | source | approved), why the item waits on this line
    (`why`, the run's reason), the checks that line fails now (`failed`) and the slot's budget in
    characters (`max_chars`; None when the item's job or template is gone)."""

    slot: str
    source: str
    text: str
    origin: str
    label: str
    why: str
    failed: tuple[CheckResult, ...]
    max_chars: int | None = None
    trusted: bool = False  # the run's own line (a memory hit, a model line the gate let through), not a held candidate


def suggestions(engine: Engine, item_id: int, contexts: dict | None = None) -> dict[str, Suggestion]:
    """slot -> the line a reviewer of item `item_id` starts from, with its failing checks.
    `contexts`: a dict shared across the calls for one page, so each job, template and locale's
    spec, template and glossary are read once."""
    with Session(engine) as session:
        item = _load(session, item_id)
    contexts = {} if contexts is None else contexts
    key = (item.job_id, item.record.creative, item.record.template, item.record.locale)
    if key not in contexts:
        try:
            contexts[key] = _context(engine, item)
        except (NotFound, AdlocError):  # a hand-made job or a template since removed: no checks to show
            contexts[key] = None
    context = contexts[key]
    out = {}
    for slot, line in item.record.copy.items():
        if line.path in (CopyPath.TM, CopyPath.MODEL, CopyPath.REVIEWED):
            text, origin = line.text, {CopyPath.TM: "memory", CopyPath.MODEL: "model"}.get(line.path, "approved")
        elif line.candidate:
            text, origin = line.candidate, "model"
        elif line.path is CopyPath.TM_FUZZY:
            text, origin = line.text, "memory"
        else:
            text, origin = line.source, "source"
        label = {
            "model": "the model's line" + (f" (gate score {line.confidence:.2f})" if line.confidence is not None else ""),
            "memory": "the translation memory's line",
            "source": "the English source: no candidate, type the translation",
            "approved": "the line as approved",
        }[origin]
        failed = tuple(c for c in context.check(slot, line.source, text) if not c.passed) if context else ()
        budget = context.template.text_slot(slot).max_chars if context else None
        trusted = line.path in (CopyPath.TM, CopyPath.MODEL, CopyPath.REVIEWED)
        out[slot] = Suggestion(slot, line.source, text, origin, label, line.reason, failed, budget, trusted)
    return out


def check_lines(engine: Engine, item_id: int, lines: dict[str, str], contexts: dict | None = None
                ) -> dict[str, tuple[CheckResult, ...]]:
    """slot -> the copy checks a run gives `lines[slot]` as item `item_id`'s line (nothing rendered).
    Raises NotFound when the item, its job's spec or its template is gone."""
    with Session(engine) as session:
        item = _load(session, item_id)
    contexts = {} if contexts is None else contexts
    key = (item.job_id, item.record.creative, item.record.template, item.record.locale)
    if contexts.get(key) is None:
        contexts[key] = _context(engine, item)
    return {slot: tuple(contexts[key].check(slot, item.record.copy[slot].source, text)) for slot, text in lines.items()}


@dataclass(frozen=True)
class Preview:
    """An item as it would be approved with some lines, not written: the PNG, each slot's failing
    copy checks, the layout's failing checks, and what approving it would need an override for."""

    png: bytes
    failed: dict[str, tuple[CheckResult, ...]]
    layout: tuple[CheckResult, ...]
    needs_override: tuple[str, ...]


def preview(engine: Engine, item_id: int, lines: dict[str, str]) -> Preview:
    """Item `item_id` set with `lines` as `prepare` sets it (nothing written, nothing recorded)."""
    prepared = prepare(engine, item_id, lines, "preview", override=True)
    record = prepared.record
    return Preview(prepared.png or b"",
                   {slot: tuple(c for c in line.checks if not c.passed) for slot, line in record.copy.items()},
                   tuple(c for c in record.layout if not c.passed), prepared.overridden)


def rejection(engine: Engine, item_id: int, reason: str) -> Prepared:
    """Item `item_id`'s record as a rejection (status rejected, the reason, in rejected/)."""
    with Session(engine) as session:
        item = _load(session, item_id)
    record = item.record
    uri = output_uri(item.out, ItemStatus.REJECTED, record.creative, record.template, record.locale, ".json")
    copy = {slot: line.as_run() for slot, line in record.copy.items()}
    return Prepared(item_id, replace(record, status=ItemStatus.REJECTED, uri=uri, reason=reason, copy=copy,
                                     sha256=""), None, ())


def publish(engine: Engine, prepared: Prepared, decision: store.Decision) -> Delivery:
    """Write what `prepared` holds for the decision now recorded, then update the database, remove
    the item's other copies and rewrite the job's manifest and report. Nothing changes when the
    output already holds exactly this."""
    review = {"decision": decision.decision.value, "reviewer": decision.reviewer, "revision": decision.revision,
              "decided_at": decision.decided_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "notes": decision.notes,
              "face": decision.face.value}
    if prepared.overridden:
        review["override"] = list(prepared.overridden)
    record = replace(prepared.record, review=review)
    data = record.to_json()
    with Session(engine) as session:
        item = _load(session, prepared.item)
    if item.status is record.status and item.record.record_uri == record.record_uri:
        try:
            image_there = prepared.png is None or read_bytes(record.uri) == prepared.png
            if image_there and read_bytes(record.record_uri) == data:
                return Delivery(item.id, record.status, record.record_uri, changed=False)
        except OSError:
            pass  # a file is missing: delivered half-way, so deliver again
    if prepared.png is not None:
        write_bytes(record.uri, prepared.png)
    write_bytes(record.record_uri, data)
    now = utc_now()
    with Session(engine) as session, session.begin():
        row = session.get(JobItemRow, item.id)
        row.status, row.record_uri, row.reason = record.status.value, record.record_uri, record.reason or ""
        session.execute(delete(OutputRow).where(OutputRow.job_item_id == item.id))
        job = session.get(JobRow, item.job_id)
        if record.status is ItemStatus.APPROVED:
            session.add(OutputRow(
                job_item_id=item.id, out_uri=item.out, job=job.name, creative=record.creative,
                template=record.template, locale=record.locale, uri=record.uri, sha256=record.sha256,
                status=record.status.value, talent_id=record.talent, talent_image_sha256=record.talent_image or "",
                copy_model=record.models.get("copy", ""), inpainter=record.models.get("inpainter", ""),
                run_date=job.run_date, written_at=now))
        session.flush()
        counts = dict(session.execute(select(JobItemRow.status, func.count()).where(JobItemRow.job_id == job.id)
                                      .group_by(JobItemRow.status)).all())
        job.approved, job.review = counts.get(ItemStatus.APPROVED, 0), counts.get(ItemStatus.REVIEW, 0)
        job.dead_letter = counts.get(ItemStatus.DEAD_LETTER, 0)
    stale = [output_uri(item.out, folder, record.creative, record.template, record.locale, suffix)
             for folder in FOLDERS if folder != record.status for suffix in (".png", ".json")]
    stale = [uri for uri in stale if FileSystems.exists(uri)]
    if stale:
        FileSystems.delete(stale)
        _prune(stale, item.out)
    _rewrite(engine, item.job_id, item.out)
    return Delivery(item.id, record.status, record.record_uri, changed=True)


def deliver(engine: Engine, item_id: int) -> Delivery:
    """Carry the item's decision in force through to the output again (idempotent): for an item
    whose delivery stopped half-way, or to check that the output says what was decided. Raises
    NotFound for an item nobody decided."""
    with Session(engine) as session:
        decision = store.current(session, item_id)
        row = session.scalar(select(ReviewRow).where(ReviewRow.id == decision.id)) if decision else None
    if decision is None:
        raise NotFound(f"item {item_id}: nobody has decided on it yet")
    if decision.decision is ReviewDecision.REJECTED:
        return publish(engine, rejection(engine, item_id, decision.notes), decision)
    override = any(made.get("override") for made in json.loads(row.lines_json or "{}").values())
    lines = json.loads(row.copy_json)
    return publish(engine, prepare(engine, item_id, lines, decision.reviewer, override), decision)


def _prune(removed: list[str], out: str) -> None:
    """Local folders the removed files leave empty go too, up to `out` (a bucket has no folders)."""
    for uri in removed:
        if "://" in uri:
            continue
        folder = os.path.dirname(uri)
        while folder.startswith(out.rstrip("/") + "/"):
            try:
                os.rmdir(folder)
            except OSError:  # not empty: another item's files are there
                break
            folder = os.path.dirname(folder)


def _rewrite(engine: Engine, job_id: int, out: str) -> None:
    with Session(engine) as session:
        uris = session.scalars(select(JobItemRow.record_uri).where(JobItemRow.job_id == job_id)).all()
    rewrite_summary([ItemRecord.from_json(read_bytes(uri), uri) for uri in uris if uri], out)

