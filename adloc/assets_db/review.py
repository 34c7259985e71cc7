"""Review decisions in the asset DB: what waits, each item's current decision, and recording one.

One decision per item holds in the database: (item, revision) is unique, so of two people deciding
the same item at once one records revision 1 and the other is refused. A change of mind is the next
revision, linked to the decision it replaces. `adloc.services.review` is the one caller that decides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from adloc.assets_db.lineage import utc_now
from adloc.assets_db.schema import JobItemRow, JobRow, ReviewRow, TMRow
from adloc.errors import Conflict
from adloc.records import Face, ItemStatus, JobStatus, MemoryOrigin, ReviewDecision
from adloc.translation_memory import tm_key


@dataclass(frozen=True)
class Decision:
    """A recorded decision: who took it, when, from which face (CLI, web app, XLIFF import), and
    which revision (1, or a later change of mind)."""

    id: int
    item: int
    decision: ReviewDecision
    reviewer: str
    notes: str
    decided_at: datetime
    revision: int
    supersedes: int | None
    face: Face = Face.CLI

    def said(self) -> str:
        """'approved by ana on 2026-11-30 10:12 UTC' (for messages)."""
        return f"{self.decision.value} by {self.reviewer} on {self.decided_at:%Y-%m-%d %H:%M} UTC"


def _decision(row: ReviewRow) -> Decision:
    return Decision(row.id, row.job_item_id, ReviewDecision(row.decision), row.reviewer, row.notes,
                    row.decided_at, row.revision, row.supersedes_id, Face(row.face))


def current(session: Session, item_id: int) -> Decision | None:
    """The item's decision in force (its latest revision), or None when nobody decided yet."""
    row = session.scalar(select(ReviewRow).where(ReviewRow.job_item_id == item_id)
                         .order_by(ReviewRow.revision.desc()).limit(1))
    return _decision(row) if row is not None else None


def history(engine: Engine, item_id: int) -> list[Decision]:
    """Every decision taken on the item, oldest first (the audit trail)."""
    with Session(engine) as session:
        rows = session.scalars(select(ReviewRow).where(ReviewRow.job_item_id == item_id)
                               .order_by(ReviewRow.revision)).all()
        return [_decision(r) for r in rows]


def record(engine: Engine, item_id: int, decision: ReviewDecision, reviewer: str, notes: str,
           lines: dict[str, str], made: dict[str, dict], memory: dict[str, str], locale: str,
           supersedes: Decision | None, face: Face = Face.CLI) -> Decision:
    """Record a decision and its translation-memory effect in one transaction.

    `memory` maps source lines to the approved target: each is written to the locale's memory
    (replacing its entry for that source, which the decision keeps so a change of mind can put it
    back; a line the memory already holds is left as it is). When the decision replaces an
    approval, what that approval wrote is undone first, unless another item's approval in force
    wrote the same line. Raises Conflict when another decision took this revision first (nothing
    is written then)."""
    revision = supersedes.revision + 1 if supersedes else 1
    try:
        with Session(engine) as session, session.begin():
            if supersedes is not None and supersedes.decision is not ReviewDecision.REJECTED:
                _undo_memory(session, supersedes.id, item_id, locale)
            made = {slot: dict(line) for slot, line in made.items()}
            for slot, line in sorted(made.items()):
                source = line["source"]
                if source in memory:
                    line["replaced"] = _put_memory(session, locale, source, memory[source])
            row = ReviewRow(job_item_id=item_id, decision=decision.value, reviewer=reviewer, notes=notes,
                            copy_json=json.dumps(lines, ensure_ascii=False, sort_keys=True),
                            lines_json=json.dumps(made, ensure_ascii=False, sort_keys=True),
                            decided_at=utc_now(), revision=revision, face=face.value,
                            supersedes_id=supersedes.id if supersedes else None)
            session.add(row)
            session.flush()
            return _decision(row)
    except IntegrityError:
        # The only unique rule a decision can break is (item, revision): someone decided first.
        with Session(engine) as session:
            winner = current(session, item_id)
        if winner is None or (supersedes is not None and winner.id == supersedes.id):
            raise
        raise Conflict(f"item {item_id} was already {winner.said()}") from None


def _insert(session: Session):
    """The database's own INSERT, for its ON CONFLICT clause (SQLite and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _put_memory(session: Session, locale: str, source: str, target: str) -> dict | None:
    """Make `target` the locale's memory line for `source`; returns what it replaced ({target,
    origin}: "keep" when the memory already held this line and nothing was written, None when
    there was no entry). An upsert: two approvals of one line at once cannot collide."""
    key = tm_key(source)
    found = session.execute(select(TMRow.target, TMRow.origin).where(
        TMRow.locale == locale, TMRow.source_key == key)).first()
    if found is not None and found.target == target:
        return {"target": found.target, "origin": found.origin, "keep": True}
    stmt = _insert(session)(TMRow.__table__).values(locale=locale, source=source, source_key=key, target=target,
                                                     origin=MemoryOrigin.REVIEW.value)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["locale", "source_key"],
        set_={"source": stmt.excluded.source, "target": stmt.excluded.target, "origin": stmt.excluded.origin}))
    return {"target": found.target, "origin": found.origin} if found is not None else None


def _undo_memory(session: Session, review_id: int, item_id: int, locale: str) -> None:
    """Take back the memory lines an approval wrote: each goes back to the entry it replaced (or
    away), unless the memory changed since or another item's approval in force holds that line."""
    earlier = session.get(ReviewRow, review_id)
    approved = json.loads(earlier.copy_json)  # slot -> the approved line
    for slot, line in sorted(json.loads(earlier.lines_json).items()):
        replaced, target = line.get("replaced"), approved.get(slot)
        if target is None or (replaced or {}).get("keep") or "replaced" not in line:
            continue  # nothing was written for this line (or an older adloc wrote it without a note)
        key = tm_key(line["source"])
        if _held_elsewhere(session, item_id, locale, line["source"], target):
            continue
        entry = session.scalar(select(TMRow).where(TMRow.locale == locale, TMRow.source_key == key))
        if entry is None or entry.target != target or entry.origin != MemoryOrigin.REVIEW:
            continue  # changed since: a later import or review owns it now
        if replaced:
            entry.target, entry.origin = replaced["target"], replaced["origin"]
        else:
            session.delete(entry)


def in_force():
    """The condition on `ReviewRow` that picks each item's decision in force: no later revision
    replaced it (`adloc review change`)."""
    later = aliased(ReviewRow)
    return ~select(later.id).where(and_(later.job_item_id == ReviewRow.job_item_id,
                                        later.revision > ReviewRow.revision)).exists()


def _held_elsewhere(session: Session, item_id: int, locale: str, source: str, target: str) -> bool:
    """Another item of the locale has an approval in force with this line."""
    rows = session.execute(
        select(ReviewRow.copy_json, ReviewRow.lines_json).join(JobItemRow, JobItemRow.id == ReviewRow.job_item_id)
        .where(JobItemRow.locale == locale, ReviewRow.job_item_id != item_id, in_force(),
               ReviewRow.decision != ReviewDecision.REJECTED.value))
    for copy_json, lines_json in rows:
        approved, lines = json.loads(copy_json), json.loads(lines_json)
        if any(line.get("source") == source and approved.get(slot) == target for slot, line in lines.items()):
            return True
    return False


AUDIT_NOTE = "approved automatically — confirm or correct"


def pending(engine: Engine, job_id: int | None = None) -> list[dict]:
    """Items waiting for a reviewer, newest first: those in review with no decision yet, and those
    of the audit sample (`audit`: True; shipped, to be confirmed or corrected) with none."""
    decided = select(ReviewRow.job_item_id)
    waiting = or_(JobItemRow.status == ItemStatus.REVIEW.value,
                  and_(JobItemRow.status == ItemStatus.APPROVED.value, JobItemRow.audit.is_(True)))
    stmt = (select(JobItemRow, JobRow.name).join(JobRow, JobRow.id == JobItemRow.job_id)
            .where(waiting, JobItemRow.id.not_in(decided), JobRow.status == JobStatus.DONE))
    if job_id is not None:
        stmt = stmt.where(JobRow.id == job_id)
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    return sorted(({"item": item.id, "job": name, "creative": item.creative, "template": item.template,
                    "locale": item.locale, "record": item.record_uri,
                    "reason": AUDIT_NOTE if item.status == ItemStatus.APPROVED.value else item.reason,
                    "audit": item.status == ItemStatus.APPROVED.value}
                   for item, name in rows), key=lambda r: (-r["item"],))


def negatives(engine: Engine, locale: str | None = None) -> list[dict]:
    """Items whose decision in force is a rejection, with the reviewer's reason and, per slot, the
    source and the model's line: labelled negatives for the eval (the checks should catch what a
    reviewer rejected). A rejection later changed to an approval is no longer a negative."""
    stmt = (select(ReviewRow, JobItemRow.locale).join(JobItemRow, JobItemRow.id == ReviewRow.job_item_id)
            .where(ReviewRow.decision == ReviewDecision.REJECTED.value, in_force()).order_by(ReviewRow.id))
    if locale:
        stmt = stmt.where(JobItemRow.locale == locale)
    with Session(engine) as session:
        return [{"item": r.job_item_id, "locale": tag, "lines": json.loads(r.copy_json),
                 "made": json.loads(r.lines_json), "reason": r.notes, "reviewer": r.reviewer}
                for r, tag in session.execute(stmt)]


def rejected_model_lines(engine: Engine, locale: str) -> tuple[tuple[str, str], ...]:
    """(source, model line) of every line the model made in an item rejected in `locale`, among
    the lines the reviewer said were wrong (all of them when the reviewer did not say: `wrong` is
    absent then). Lines from the memory or left in English for a translator are not the model's,
    so not its negatives; nor is any line of an item rejected for its picture alone."""
    return tuple((made["source"], made["model"]) for n in negatives(engine, locale)
                 for _, made in sorted(n["made"].items()) if made.get("model") and made.get("wrong", True))



def gate_lessons(engine: Engine, base_model: str) -> list[dict]:
    """What reviewers' decisions in force teach a learned gate for `base_model`: one row per model
    line the gate scored ({item, slot, locale, source, line, features, acceptable}). An approval that
    kept the model's line: acceptable; an approval that changed it, or a rejection that names it as
    wrong: not. A rejection that does not say what is wrong, or names only the image, teaches
    nothing about the line."""
    stmt = (select(ReviewRow, JobItemRow.locale).join(JobItemRow, JobItemRow.id == ReviewRow.job_item_id)
            .where(in_force()).order_by(ReviewRow.id))
    out = []
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    for row, locale in rows:
        final, made = json.loads(row.copy_json), json.loads(row.lines_json)
        for slot, line in sorted(made.items()):
            gate = line.get("gate") or {}
            if not line.get("model") or gate.get("base_model") != base_model or not gate.get("features"):
                continue
            if row.decision == ReviewDecision.REJECTED.value:
                if line.get("wrong") is not True:
                    continue
                acceptable = False
            else:
                acceptable = final.get(slot, "").strip() == line["model"].strip()
            out.append({"item": row.job_item_id, "slot": slot, "locale": locale, "source": line["source"],
                        "line": line["model"], "features": gate["features"], "acceptable": acceptable})
    return out
