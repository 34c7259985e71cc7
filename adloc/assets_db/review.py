"""Review: a person's decision on an item sent to review. Approved lines enter the translation
memory (the next run takes them without the model); rejections are kept as labelled negatives."""

from __future__ import annotations

import json

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from adloc.assets_db.lineage import _now
from adloc.assets_db.schema import JobItemRow, JobRow, ReviewRow, TMRow
from adloc.fields import has_control
from adloc.files import read_bytes
from adloc.translation_memory import tm_key


class ReviewError(ValueError):
    """A decision that cannot be taken as given; the message says what to change."""


def pending(engine: Engine, job_id: int | None = None) -> list[dict]:
    """Items in review with no decision yet, newest run first."""
    decided = select(ReviewRow.job_item_id)
    stmt = (select(JobItemRow, JobRow.name, JobRow.out_uri).join(JobRow, JobRow.id == JobItemRow.job_id)
            .where(JobItemRow.status == "review", JobItemRow.id.not_in(decided), JobRow.status == "done"))
    if job_id is not None:
        stmt = stmt.where(JobRow.id == job_id)
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    return sorted(({"item": item.id, "job": name, "creative": item.creative, "template": item.template,
                    "locale": item.locale, "record": item.record_uri, "reason": item.reason}
                   for item, name, _ in rows), key=lambda r: (-r["item"],))


def _record(item: JobItemRow) -> dict:
    try:
        return json.loads(read_bytes(item.record_uri))
    except (OSError, ValueError) as exc:
        raise ReviewError(f"item {item.id}: cannot read its record {item.record_uri}: {exc}") from None


def decide(engine: Engine, item_id: int, decision: str, reviewer: str, notes: str = "",
           edits: dict[str, str] | None = None) -> dict:
    """Record `approved` (with optional per-slot `edits`) or `rejected` for a reviewed item. An
    approval puts every localized line into the translation memory of the item's locale; a slot
    that still holds the English source line needs an edit first."""
    edits = edits or {}
    if decision not in ("approved", "rejected"):
        raise ReviewError(f"decision {decision!r} is not approved or rejected")
    if not reviewer.strip() or has_control(reviewer + notes + "".join(edits.values())):
        raise ReviewError("--reviewer: name who decided (plain text)")
    if decision == "rejected" and not notes.strip():
        raise ReviewError("--reason: say what is wrong; it becomes a labelled negative for the eval")
    with Session(engine) as session, session.begin():
        item = session.get(JobItemRow, item_id)
        if item is None or item.status not in ("review", "approved"):
            raise ReviewError(f"no reviewable item {item_id} (see `adloc review list`)")
        record = _record(item)
        copy = record.get("copy", {})
        unknown = sorted(set(edits) - set(copy))
        if unknown:
            raise ReviewError(f"--edit: item {item_id} has no slot {', '.join(unknown)} (slots: {', '.join(sorted(copy))})")
        lines = {slot: edits.get(slot, line["text"]) for slot, line in copy.items()}
        added = []
        if decision == "approved":
            untouched = sorted(slot for slot, text in lines.items() if text == copy[slot]["source"]
                               and item.locale.split("-")[0] != "en")
            if untouched:
                raise ReviewError(f"item {item_id}: {', '.join(untouched)} still holds the English source line; "
                                  f"approve with --edit {untouched[0]}=\"…\"")
            for slot, text in sorted(lines.items()):
                source = copy[slot]["source"]
                key = tm_key(source)
                session.execute(delete(TMRow).where(TMRow.locale == item.locale, TMRow.source_key == key))
                session.add(TMRow(locale=item.locale, source=source, source_key=key, target=text, origin="review"))
                added.append({"slot": slot, "source": source, "target": text})
        kind = "edited" if decision == "approved" and edits else decision
        session.add(ReviewRow(job_item_id=item_id, decision=kind, reviewer=reviewer.strip(), notes=notes.strip(),
                              copy_json=json.dumps(lines, ensure_ascii=False, sort_keys=True),
                              lines_json=json.dumps({slot: _line(copy[slot]) for slot in lines},
                                                    ensure_ascii=False, sort_keys=True),
                              decided_at=_now()))
    return {"item": item_id, "decision": kind, "memory": added}


def _line(copy: dict) -> dict:
    """What a decision keeps of a slot: its source, how its line was made, and the model's line
    (shipped, or the candidate the gate turned down) if the model made one."""
    model = copy["text"] if copy.get("path") == "model" else copy.get("candidate")
    return {"source": copy["source"], "path": copy.get("path", ""), "model": model}


def negatives(engine: Engine, locale: str | None = None) -> list[dict]:
    """Rejected items with the reviewer's reason and, per slot, the source and the model's line:
    labelled negatives for the eval (the checks should catch what a reviewer rejected)."""
    stmt = (select(ReviewRow, JobItemRow.locale).join(JobItemRow, JobItemRow.id == ReviewRow.job_item_id)
            .where(ReviewRow.decision == "rejected").order_by(ReviewRow.id))
    if locale:
        stmt = stmt.where(JobItemRow.locale == locale)
    with Session(engine) as session:
        return [{"item": r.job_item_id, "locale": tag, "lines": json.loads(r.copy_json),
                 "made": json.loads(r.lines_json), "reason": r.notes, "reviewer": r.reviewer}
                for r, tag in session.execute(stmt)]


def rejected_model_lines(engine: Engine, locale: str) -> tuple[tuple[str, str], ...]:
    """(source, model line) of every line the model made in an item rejected in `locale`. Lines
    from the memory or left in English for a translator are not the model's, so not its negatives."""
    return tuple((made["source"], made["model"]) for n in negatives(engine, locale)
                 for _, made in sorted(n["made"].items()) if made.get("model"))
