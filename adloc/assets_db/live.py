"""What the live report counts (`adloc models live`): the lines of audited items reviewers decided,
and what the gate did with every item's copy, per copy model version, gate and locale."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session, aliased

from adloc.assets_db.schema import JobItemRow, JobRow, ReviewRow
from adloc.records import JobStatus, ReviewDecision


def audited_lines(engine: Engine, locale: str | None = None, since: date | None = None) -> list[dict]:
    """Each model line the gate shipped in an audited item that a reviewer has decided (the
    decision in force): {copy_model, gate, locale, run_date, confirmed}. Confirmed: approved as it
    shipped. Corrected (a gate error): edited, or rejected with the line named wrong. A rejection
    that does not name the line (the image, say) says nothing of it and is left out."""
    later = aliased(ReviewRow)
    superseded = select(later.id).where(and_(later.job_item_id == ReviewRow.job_item_id,
                                             later.revision > ReviewRow.revision)).exists()
    stmt = (select(ReviewRow.decision, ReviewRow.copy_json, ReviewRow.lines_json, JobItemRow.copy_model,
                   JobItemRow.gate, JobItemRow.locale, JobRow.run_date)
            .join(JobItemRow, JobItemRow.id == ReviewRow.job_item_id).join(JobRow, JobRow.id == JobItemRow.job_id)
            .where(~superseded, JobItemRow.audit.is_(True)).order_by(ReviewRow.id))
    if locale:
        stmt = stmt.where(JobItemRow.locale == locale)
    if since:
        stmt = stmt.where(JobRow.run_date >= since)
    out = []
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    for decision, copy_json, lines_json, copy_model, gate, item_locale, run_date in rows:
        final, made = json.loads(copy_json), json.loads(lines_json)
        for slot, line in sorted(made.items()):
            if line.get("path") != "model" or not line.get("model"):  # not a line the gate shipped
                continue
            if decision == ReviewDecision.REJECTED.value:
                if line.get("wrong") is not True:
                    continue
                confirmed = False
            else:
                confirmed = final.get(slot, "").strip() == line["model"].strip()
            out.append({"copy_model": copy_model, "gate": gate, "locale": item_locale, "run_date": run_date,
                        "confirmed": confirmed})
    return out


def gate_coverage(engine: Engine, locale: str | None = None, since: date | None = None) -> list[dict]:
    """Per (copy model version, gate, locale) of finished runs: the model's lines and how many the
    gate passed: [{copy_model, gate, locale, model_lines, gate_passed}]."""
    stmt = (select(JobItemRow.copy_model, JobItemRow.gate, JobItemRow.locale,
                   func.sum(JobItemRow.model_lines), func.sum(JobItemRow.gate_passed))
            .join(JobRow, JobRow.id == JobItemRow.job_id)
            .where(JobRow.status == JobStatus.DONE.value, JobItemRow.model_lines > 0)
            .group_by(JobItemRow.copy_model, JobItemRow.gate, JobItemRow.locale))
    if locale:
        stmt = stmt.where(JobItemRow.locale == locale)
    if since:
        stmt = stmt.where(JobRow.run_date >= since)
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    return [{"copy_model": m, "gate": g, "locale": loc, "model_lines": int(n), "gate_passed": int(p)}
            for m, g, loc, n, p in sorted(rows)]
