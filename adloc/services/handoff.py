"""Lines waiting for review, handed to translators who work in a CAT tool or a translation-management
system, and their work taken back: `adloc review export` writes XLIFF 2.0 (`adloc.xliff`), `adloc
review import` reads it back, checks it and approves the items it completes through the same
service as the CLI and the web app (`adloc.services.review.decide`, face `xliff`).

An import is all or nothing on what the file says: a unit for another job or locale, an edited
source, a lost placeholder, a target still in English, failing a critical copy check or no longer
fitting its box refuses the whole file, every problem named by its unit id, and nothing is decided. Units still `initial` (untranslated)
are left waiting; an item already decided is left as it is, so the same file imports twice safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from adloc import xliff
from adloc.assets_db import review as store
from adloc.assets_db.schema import JobItemRow, JobRow
from adloc.errors import AdlocError, InvalidFields, NotFound
from adloc.fields import has_control
from adloc.records import Face, ItemStatus, Severity
from adloc.services import deliver as delivery
from adloc.services import review


def export(engine: Engine, job_id: int, locale: str | None = None) -> dict[str, bytes]:
    """locale -> the XLIFF 2.0 document of job `job_id`'s lines waiting for review in that locale
    (only `locale` when given): every slot of each waiting item, its best candidate as the target
    (state `translated` for the run's own line that passes the copy checks; `initial` for a
    candidate the gate held back, a fuzzy memory match or a line failing a check, which a
    translator confirms or corrects; no target when there is no candidate); an item none of whose
    lines needs a translator (it waits for its picture) stays with the reviewers; notes with where it came from, why it waits, the checks it fails
    and its character budget. Raises NotFound for a job that is not there or has nothing waiting."""
    with Session(engine) as session:
        job = session.get(JobRow, job_id)
        if job is None:
            raise NotFound(f"job {job_id}: there is no job with this number")
        name = job.name
    waiting = sorted((e for e in store.pending(engine, job_id) if not e["audit"]), key=lambda e: e["item"])
    if locale is not None:
        waiting = [e for e in waiting if e["locale"] == locale]
    nothing = NotFound(f"job {job_id} ({name}): no lines wait for a translator" + (f" in {locale}" if locale else ""))
    if not waiting:
        raise nothing
    contexts: dict = {}
    units: dict[str, list[xliff.Unit]] = {}
    for entry in waiting:
        lines = delivery.suggestions(engine, entry["item"], contexts)
        if not any(_needs_work(s) for s in lines.values()):
            continue  # it waits for a reviewer (its picture, say), not for a translator
        for slot, s in lines.items():
            notes = [xliff.Note("origin", f"{s.label}" if s.origin != "source" else "no candidate: translate the source")]
            if s.why:
                notes.append(xliff.Note("reason", f"waits because: {s.why}"))
            notes += [xliff.Note("check", f"fails {c.name} ({c.severity.value}): {c.detail}") for c in s.failed]
            if s.max_chars:
                notes.append(xliff.Note("format", f"at most {s.max_chars} characters"))
            if s.origin == "source":
                target, state = None, xliff.State.INITIAL
            else:
                target, state = s.text, xliff.State.INITIAL if _needs_work(s) else xliff.State.TRANSLATED
            units.setdefault(entry["locale"], []).append(
                xliff.Unit(entry["item"], slot, s.source, target, state, tuple(notes),
                           "" if s.origin == "source" else s.origin))
    if not units:
        raise nothing
    return {tag: xliff.write(xliff.Document(job_id, name, tag, tuple(found))) for tag, found in sorted(units.items())}


def _needs_work(s: delivery.Suggestion) -> bool:
    """A line a translator has to write, confirm or correct: no run's own line, or one failing a check."""
    return s.origin == "source" or not s.trusted or any(c.severity is not Severity.COSMETIC for c in s.failed)


@dataclass
class Imported:
    """What an import did: the items approved ({item, decision, delivered}), those left waiting
    (units still untranslated) and those already decided, and per-item delivery failures."""

    file: str
    job: int
    approved: list[dict] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # unit ids not translated yet
    decided: list[str] = field(default_factory=list)  # "item N: approved by ana on ..."
    failed: list[str] = field(default_factory=list)  # "item N: why" (e.g. lines that no longer fit)


def import_file(engine: Engine, data: bytes, name: str, reviewer: str, job_id: int | None = None,
                locales: frozenset[str] | None = None) -> Imported:
    """Check a returned XLIFF file and approve the items whose every line it translates.

    Raises XliffError for a file that is not adloc's XLIFF, InvalidFields naming each refused unit
    (another job's or locale's item, a slot or source that is not the item's, a lost placeholder,
    a critical copy check) with nothing decided, AdlocError when `job_id` is given and the file is
    for another job. `locales` limits the reviewer as in `review.decide`."""
    doc = xliff.read(data, name)
    if job_id is not None and doc.job != job_id:
        raise AdlocError(f"{name}: this file is for job {doc.job}, not job {job_id}")
    with Session(engine) as session:
        job = session.get(JobRow, doc.job)
        if job is None:
            raise NotFound(f"{name}: job {doc.job} is not in this asset database")
        rows = {r.id: r for r in session.scalars(select(JobItemRow).where(
            JobItemRow.id.in_(sorted({u.item for u in doc.units}))))}
        in_force = {i: store.current(session, i) for i in rows}
    errors: list[str] = []
    result = Imported(name, doc.job)
    by_item: dict[int, dict[str, xliff.Unit]] = {}
    records = {}
    for u in doc.units:
        row = rows.get(u.item)
        if row is None or row.job_id != doc.job:
            errors.append(f"unit {u.id}: item {u.item} is not an item of job {doc.job}"
                          + (f" (it is job {row.job_id}'s)" if row is not None else ""))
            continue
        if row.locale != doc.locale:
            errors.append(f"unit {u.id}: item {u.item} is {row.locale}, but the file's target language is {doc.locale}")
            continue
        if u.item not in records:
            records[u.item] = review.item_record(u.item, row.record_uri)
        line = records[u.item].copy.get(u.slot)
        if line is None:
            errors.append(f"unit {u.id}: item {u.item} has no slot {u.slot!r}")
            continue
        if u.source.strip() != line.source.strip():
            errors.append(f"unit {u.id}: the source was edited ({u.source!r}; the item's line is {line.source!r}); "
                          "translate the source as it is")
            continue
        by_item.setdefault(u.item, {})[u.slot] = u
    complete: dict[int, dict[str, str]] = {}
    contexts: dict = {}
    for item, units in sorted(by_item.items()):
        decided = in_force.get(item)
        if decided is not None or rows[item].status != ItemStatus.REVIEW:
            result.decided.append(f"item {item}: " + (decided.said() if decided else rows[item].status))
            continue
        if locales is not None and rows[item].locale not in locales:
            errors.append(f"unit {next(iter(units.values())).id}: {reviewer} reviews "
                          f"{', '.join(sorted(locales)) or 'no locale'} only, not {rows[item].locale}")
            continue
        suggested = delivery.suggestions(engine, item, contexts)
        if not any(_needs_work(s) for s in suggested.values()):
            result.waiting.append(f"item {item} (it waits for a reviewer, not for its lines)")
            continue
        untranslated = [u.id for u in units.values() if u.target is None or not u.target.strip()
                        or u.state is xliff.State.INITIAL]
        absent = sorted(set(records[item].copy) - set(units))
        if untranslated or absent:
            result.waiting += untranslated + [f"i{item}.{slot}" for slot in absent]
            continue
        complete[item] = {slot: u.target.strip() for slot, u in units.items()}
    if complete and (not reviewer.strip() or has_control(reviewer)):
        raise AdlocError(f"reviewer: {reviewer!r} does not name who translated {name} (plain text)")
    for item, lines in complete.items():
        english = doc.locale.split("-")[0] == "en"
        errors += [f"unit i{item}.{slot}: the target is still the English source ({text!r})"
                   for slot, text in sorted(lines.items()) if text == records[item].copy[slot].source and not english]
        try:
            checked = delivery.check_lines(engine, item, lines, contexts)
        except NotFound as exc:
            errors.append(f"unit i{item}.{next(iter(lines))}: {exc.message}")
            continue
        for slot, checks in checked.items():
            errors += [f"unit i{item}.{slot}: {lines[slot]!r} fails the {c.name} check ({c.detail})"
                       for c in checks if not c.passed and c.severity is Severity.CRITICAL]
    if not errors:  # the pictures too, before anything is decided: lines that no longer fit
        for item, lines in complete.items():
            if records[item].picture:
                try:
                    delivery.prepare(engine, item, lines, reviewer)
                except AdlocError as exc:
                    errors.append(f"item {item} (units i{item}.*): {exc.message}")
    if errors:
        raise InvalidFields(f"{name}: refused, nothing was approved", errors)
    for item, lines in complete.items():
        try:
            done = review.decide(engine, item, "approved", reviewer, f"translated in {name}", lines,
                                 face=Face.XLIFF, locales=locales)
        except AdlocError as exc:  # decided meanwhile by someone else: the others stay approved
            result.failed.append(f"item {item}: {exc.message}")
            continue
        result.approved.append({"item": item, "decision": done["decision"], "delivered": done["delivered"]})
    return result
