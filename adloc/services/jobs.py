"""Jobs: validate and queue, run now, the worker loop, status and the summary of a finished run.
The CLI and the web app both call these; neither validates or runs a job on its own."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from adloc.assets_db import queue
from adloc.errors import AdlocError
from adloc.jobspec import Job, parse_job
from adloc.records import ItemStatus, WorkItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelOptions:
    """The models a queued job runs with; the same field names as `RunSettings`."""

    copy_model: str = "embedded"
    copy_dtype: str = "auto"
    adapters: str | None = None
    inpainter: str | None = None
    inpaint_batch_size: int = 1
    threshold: float | None = None
    gate: str = "auto"
    audit_share: float = 0.05
    shadow: bool = True

    @classmethod
    def from_json(cls, data: dict) -> ModelOptions:
        """From a queued job's options (rows queued before 0.2 name the batch `inpaint_batch`)."""
        data = dict(data)
        if "inpaint_batch" in data:
            data["inpaint_batch_size"] = data.pop("inpaint_batch")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise AdlocError(f"options.{unknown[0]}: not a model option (known: "
                             f"{', '.join(f.name for f in fields(cls))})")
        return cls(**data)


def validate(spec: dict | Job, source: str, db_url: str, run_date: str | None = None) -> Job:
    """The job, checked as a whole and against the asset database (templates and their slots).
    Raises JobSpecError naming `source` and every field that is wrong."""
    from adloc.pipelines.expand import expand

    job = spec if isinstance(spec, Job) else parse_job(spec, source)
    expand(job, source, db_url, run_date or date.today().isoformat())
    return job


def check_models(options: ModelOptions, db_url: str | None = None) -> None:
    """What a worker will load is there: refused now rather than failed later."""
    from adloc.models.copy_llm import find_adapters, model_id
    from adloc.pipelines.copy import learned_gate

    base_id = model_id(options.copy_model, options.copy_dtype)  # NotFound for a model that is not there
    find_adapters(options.adapters)
    learned_gate(options.gate, base_id, db_url)
    inpainter = options.inpainter
    if inpainter and inpainter.startswith(("/", "./", "../", "~")) and not Path(inpainter).expanduser().exists():
        raise AdlocError(f"inpainter: checkpoint folder {inpainter!r} does not exist")


def submit(engine: Engine, db_url: str, job: Job | dict, source: str, out: str, run_date: str | None = None,
           options: ModelOptions = ModelOptions()) -> int:
    """Validate the job and its models, then queue it for `adloc worker`; returns the job id."""
    run_date = run_date or date.today().isoformat()
    job = validate(job, source, db_url, run_date)
    check_models(options, db_url)
    return enqueue(engine, job, out, run_date, options)


def enqueue(engine: Engine, job: Job, out: str, run_date: str | None = None,
            options: ModelOptions = ModelOptions()) -> int:
    """Queue a job `validate` accepted (the web app validates it as the form is checked)."""
    return queue.submit(engine, job.model_dump(mode="json", by_alias=True), run_date or date.today().isoformat(),
                        out, asdict(options))


@dataclass(frozen=True)
class RunResult:
    items: list[WorkItem]
    counts: dict[str, int]  # the run's figures (`adloc.pipelines.job.run`)
    out: str
    workers: dict[str, int] = field(default_factory=dict)  # on a Dask cluster: worker -> items it wrote


def run(job: Job, source: str, settings, beam_args: list[str] | None = None) -> RunResult:
    """Run one job now, on Beam (`settings`: `RunSettings`)."""
    from adloc.pipelines import job as job_pipeline

    finished = job_pipeline.run(job, source, settings, beam_args)
    return RunResult(finished.items, finished.counts, settings.out, finished.workers)


def run_claimed(claimed: dict, db_url: str, beam_args: list[str]) -> RunResult:
    """Run a job the worker claimed from the queue, with the options it was queued with."""
    from adloc.pipelines.runner import RunSettings, check_remote

    check_remote(beam_args, db_url, claimed["out"])  # an AdlocError fails this job, not the worker
    job = parse_job(claimed["spec"], f"job {claimed['id']}")
    options = ModelOptions.from_json(claimed["options"])
    settings = RunSettings(db_url=db_url, out=claimed["out"], run_date=claimed["run_date"],
                           run_token=claimed["run_token"], **asdict(options))
    return run(job, f"job {claimed['id']}", settings, beam_args)


def work(engine: Engine, db_url: str, beam_args: list[str], once: bool = False, poll: float = 10.0,
         say: Callable[[str], None] = print, warn: Callable[[str], None] = print,
         sleep: Callable[[float], None] = time.sleep) -> int:
    """Run queued jobs one at a time until the queue is empty (`once`) or forever, polling every
    `poll` seconds; progress goes to `say`, a job's failure to `warn`. A job that fails is recorded
    as failed and the worker goes on. Returns the number of jobs run."""
    ran = 0
    while True:
        claimed = queue.claim(engine)
        if claimed is None:
            if once:
                say(f"queue empty: ran {ran} job{'s' if ran != 1 else ''}")
                return ran
            sleep(poll)
            continue
        ran += 1
        say(f"job {claimed['id']} {claimed['spec']['job']}: running")
        try:
            result = run_claimed(claimed, db_url, beam_args)
        except Exception as exc:  # one job's failure, whatever it is, must not stop the worker
            queue.fail(engine, claimed["id"], f"{type(exc).__name__}: {exc}")
            warn(f"job {claimed['id']}: failed: {exc}")
            log.debug("job %s failed", claimed["id"], exc_info=True)
            continue
        lines = manifest(result.out)
        say(f"job {claimed['id']}: done, {summary(lines)}")
        say(summary_table(lines))


def status(engine: Engine, job_id: str | int) -> dict:
    """A job's state: status, counts, output, times, and the error of a failed run."""
    return queue.status(engine, job_id)


def manifest(out: str) -> list[dict]:
    """The lines of a finished run's `manifest.jsonl`."""
    from adloc.pipelines.report import read_manifest

    return read_manifest(out)


def summary(lines: list[dict]) -> str:
    """'3 approved, 2 dead letter, 15 review' from a run's `manifest` lines."""
    statuses = Counter(line["status"] for line in lines)
    return ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(statuses.items()))


def summary_table(lines: list[dict]) -> str:
    """Items per locale and status, from a run's `manifest` lines."""
    counts = Counter((line["locale"], line["status"]) for line in lines)
    locales = sorted({line["locale"] for line in lines})
    rows = [f"{'locale':<8} {'items':>5} {'approved':>8} {'review':>6} {'dead letter':>11}"]
    for tag in [*locales, "total"]:
        def pick(status: ItemStatus, tag: str = tag) -> int:
            return sum(n for (locale, s), n in counts.items() if s == status and tag in ("total", locale))

        approved, review, dead = pick(ItemStatus.APPROVED), pick(ItemStatus.REVIEW), pick(ItemStatus.DEAD_LETTER)
        rows.append(f"{tag:<8} {approved + review + dead:>5} {approved:>8} {review:>6} {dead:>11}")
    return "\n".join(rows)
