"""`adloc submit`, `adloc status`, `adloc worker`: the job queue in the asset database."""

from __future__ import annotations

import json
import sys

from adloc.cli.options import (
    DB_HELP,
    add_db,
    add_job_options,
    db_url,
    engine,
    model_options,
    out_uri,
)
from adloc.records import JobStatus


def register(sub) -> None:
    submit = sub.add_parser("submit", help="validate a job and queue it for `adloc worker`; prints the job id")
    submit.add_argument("job", help="job spec YAML")
    add_job_options(submit, out_required=True)
    submit.set_defaults(func=submit_command)

    status = sub.add_parser("status", help="a submitted job's state")
    status.add_argument("job_id")
    add_db(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=status_command)

    worker = sub.add_parser("worker", help="run queued jobs one at a time; Beam options pass through")
    worker.add_argument("--db", help=DB_HELP)
    worker.add_argument("--dask", metavar="SCHEDULER",
                        help="run the jobs on a Dask cluster: its scheduler's address (tcp://host:8786)")
    worker.add_argument("--once", action="store_true", help="stop when the queue is empty")
    worker.add_argument("--poll", type=float, default=10.0, help="seconds between looks at an empty queue")
    worker.set_defaults(func=worker_command)


def submit_command(args, _beam_args) -> int:
    from adloc.jobspec import load_job
    from adloc.services import jobs

    database = engine(args)
    job_id = jobs.submit(database, db_url(args), load_job(args.job), args.job, out_uri(args.out), args.run_date,
                         model_options(args))
    print(job_id)
    return 0


def status_command(args, _beam_args) -> int:
    from adloc.services import jobs

    state = jobs.status(engine(args), args.job_id)
    if args.json:
        print(json.dumps(state, indent=2))
        return 0
    print(f"job {state['id']} {state['job']}: {state['status']}")
    if state["status"] == JobStatus.DONE:
        print(f"  {state['items']} items: {state['approved']} approved, {state['review']} review, "
              f"{state['dead_letter']} dead letter")
    if state["error"]:
        print(f"  error: {state['error']}")
    print(f"  out: {state['out']}")
    for key in ("submitted_at", "started_at", "finished_at"):
        if state[key]:
            print(f"  {key.removesuffix('_at')}: {state[key]}")
    return 0


def worker_command(args, beam_args) -> int:
    """Run queued jobs one at a time; a job that fails is recorded as failed and the worker goes on."""
    from adloc.cli.presets import dask_options
    from adloc.services import jobs

    if args.dask:
        beam_args = [*dask_options(args.dask), *beam_args]
    jobs.work(engine(args), db_url(args), beam_args, once=args.once, poll=args.poll,
              say=lambda line: print(line, flush=True), warn=lambda line: print(line, file=sys.stderr, flush=True))
    return 0
