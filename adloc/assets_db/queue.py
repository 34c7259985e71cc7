"""The job queue, in the asset database: `adloc submit` adds a validated job, `adloc worker`
claims the oldest queued one, runs it and records how it ended; `adloc status` reads it back."""

from __future__ import annotations

import json
import uuid
from datetime import date

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from adloc.assets_db.lineage import shown, utc_now
from adloc.assets_db.schema import JobItemRow, JobRow
from adloc.errors import NotFound
from adloc.records import JobStatus


def submit(engine: Engine, spec: dict, run_date: str, out: str, options: dict) -> int:
    """Queue a job (already validated against this database); returns its id."""
    with Session(engine) as session, session.begin():
        row = JobRow(run_token=uuid.uuid4().hex, name=spec["job"], brand=spec["brand"], channel=spec["channel"],
                     run_date=date.fromisoformat(run_date), out_uri=out,
                     spec=json.dumps(spec, sort_keys=True, ensure_ascii=False), status=JobStatus.QUEUED.value,
                     options=json.dumps(options, sort_keys=True), submitted_at=utc_now())
        session.add(row)
        session.flush()
        return row.id


def claim(engine: Engine) -> dict | None:
    """Take the oldest queued job for this worker (status running), or None when there is none.
    Two workers never take the same job: the update only succeeds while the job is still queued."""
    with Session(engine) as session, session.begin():
        while True:
            candidate = session.scalar(
                select(JobRow).where(JobRow.status == JobStatus.QUEUED).order_by(JobRow.id).limit(1)
                .with_for_update(skip_locked=True))
            if candidate is None:
                return None
            taken = session.execute(
                update(JobRow).where(JobRow.id == candidate.id, JobRow.status == JobStatus.QUEUED)
                .values(status=JobStatus.RUNNING.value, started_at=utc_now()))
            if taken.rowcount == 1:
                return {"id": candidate.id, "run_token": candidate.run_token, "spec": json.loads(candidate.spec),
                        "options": json.loads(candidate.options), "out": candidate.out_uri,
                        "run_date": candidate.run_date.isoformat()}


def fail(engine: Engine, job_id: int, error: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(JobRow).where(JobRow.id == job_id)
                        .values(status=JobStatus.FAILED.value, error=error[:4000], finished_at=utc_now()))


def status(engine: Engine, job_id: str | int) -> dict:
    """A job's state: status, counts, output, times, and the error of a failed run."""
    try:
        key = int(job_id)
    except ValueError:
        raise NotFound(f"no job {str(job_id)!r} in the asset database") from None
    with Session(engine) as session:
        row = session.get(JobRow, key)
        if row is None:
            raise NotFound(f"no job {str(job_id)!r} in the asset database")
        items = session.scalar(select(func.count()).select_from(JobItemRow).where(JobItemRow.job_id == row.id))
        return {
            "id": row.id, "job": row.name, "status": row.status, "out": row.out_uri, "run_date": row.run_date.isoformat(),
            "items": items, "approved": row.approved, "review": row.review, "dead_letter": row.dead_letter,
            "submitted_at": shown(row.submitted_at),
            "started_at": shown(row.started_at),
            "finished_at": shown(row.finished_at),
            "error": row.error,
        }
