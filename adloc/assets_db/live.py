"""What the live report counts (`adloc models live`): the lines of audited items reviewers decided,
and what the gate did with every item's copy, per copy model version, gate and locale."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from adloc.assets_db.review import in_force
from adloc.assets_db.schema import JobItemRow, JobRow, ReviewRow
from adloc.records import JobStatus, ReviewDecision


def audited_lines(engine: Engine, locale: str | None = None, since: date | None = None,
                  after: datetime | None = None) -> list[dict]:
    """Each model line the gate shipped in an audited item that a reviewer has decided (the
    decision in force): {copy_model, gate, locale, run_date, confirmed}. Confirmed: approved as it
    shipped. Corrected (a gate error): edited, or rejected with the line named wrong. A rejection
    that does not name the line (the image, say) says nothing of it and is left out. `since`: runs
    on or after that date; `after`: runs started after that time (naive UTC, to the microsecond: a run
    started before a recalibration in the same second judged the gate as it was, and is left out)."""
    stmt = (select(ReviewRow.decision, ReviewRow.copy_json, ReviewRow.lines_json, JobItemRow.copy_model,
                   JobItemRow.gate, JobItemRow.locale, JobRow.run_date)
            .join(JobItemRow, JobItemRow.id == ReviewRow.job_item_id).join(JobRow, JobRow.id == JobItemRow.job_id)
            .where(in_force(), JobItemRow.audit.is_(True)).order_by(ReviewRow.id))
    if locale:
        stmt = stmt.where(JobItemRow.locale == locale)
    if since:
        stmt = stmt.where(JobRow.run_date >= since)
    if after:
        stmt = stmt.where(JobRow.started_at > after)
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


def shadow_lines(engine: Engine, locale: str | None = None, since: date | None = None) -> list[dict]:
    """Each line a shadow candidate also made (or judged) in an item a reviewer has decided (the
    decision in force), with both versions' lines and verdicts and whether each line was right:
    {locale, champion, gate, candidate, champion_ok, champion_passed, candidate_ok, candidate_passed}.
    A line is right when the decision kept it as it reads (approved as is, or the edit's final line
    equals it); a rejection naming the line wrong makes the champion's line wrong, and the
    candidate's only when it reads the same (else its `_ok` is None: nobody said). A rejection that
    does not name the line is left out."""
    stmt = (select(ReviewRow.decision, ReviewRow.copy_json, ReviewRow.lines_json, JobItemRow.copy_model,
                   JobItemRow.gate, JobItemRow.locale)
            .join(JobItemRow, JobItemRow.id == ReviewRow.job_item_id).join(JobRow, JobRow.id == JobItemRow.job_id)
            .where(in_force()).order_by(ReviewRow.id))
    if locale:
        stmt = stmt.where(JobItemRow.locale == locale)
    if since:
        stmt = stmt.where(JobRow.run_date >= since)
    out = []
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    for decision, copy_json, lines_json, copy_model, gate, item_locale in rows:
        final, made = json.loads(copy_json), json.loads(lines_json)
        for slot, line in sorted(made.items()):
            shadow = line.get("shadow")
            if not isinstance(shadow, dict) or not line.get("model"):
                continue
            mine, theirs = line["model"].strip(), str(shadow.get("text") or "").strip()
            if decision == ReviewDecision.REJECTED.value:
                if line.get("wrong") is not True:
                    continue
                champion_ok, candidate_ok = False, (False if theirs == mine else None)
            else:
                kept = final.get(slot, "").strip()
                champion_ok, candidate_ok = mine == kept, bool(theirs) and theirs == kept
            out.append({"locale": item_locale, "champion": copy_model, "gate": gate,
                        "candidate": str(shadow.get("version", "")), "champion_ok": champion_ok,
                        "champion_passed": line.get("path") == "model", "candidate_ok": candidate_ok,
                        "candidate_passed": bool(shadow.get("passed"))})
    return out


def shadow_coverage(engine: Engine, locale: str | None = None, since: date | None = None) -> list[dict]:
    """Per (locale, champion version, champion gate, candidate) over the shadow's items in finished
    runs: the lines both made, and how many each one's gate passed:
    [{locale, champion, gate, candidate, lines, champion_passed, candidate_passed}]."""
    stmt = (select(JobItemRow.locale, JobItemRow.copy_model, JobItemRow.gate, JobItemRow.shadow)
            .join(JobRow, JobRow.id == JobItemRow.job_id)
            .where(JobRow.status == JobStatus.DONE.value, JobItemRow.shadow != ""))
    if locale:
        stmt = stmt.where(JobItemRow.locale == locale)
    if since:
        stmt = stmt.where(JobRow.run_date >= since)
    totals: dict[tuple, list[int]] = {}
    with Session(engine) as session:
        for item_locale, copy_model, gate, shadow in session.execute(stmt):
            found = json.loads(shadow)
            counted = totals.setdefault((item_locale, copy_model, gate, found["version"]), [0, 0, 0])
            for line in found["lines"].values():
                counted[0] += 1
                counted[1] += bool(line["champion_passed"])
                counted[2] += bool(line["passed"])
    return [{"locale": k[0], "champion": k[1], "gate": k[2], "candidate": k[3], "lines": n,
             "champion_passed": c, "candidate_passed": p} for k, (n, c, p) in sorted(totals.items())]
