"""The job pipeline: the stages of the README's diagram, wired in order. Each stage is one module
exporting one composite `PTransform`; this module only connects them and runs the pipeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import apache_beam as beam

from adloc.files import remove_partial_files
from adloc.jobspec import Job
from adloc.models.inpaint import InpaintModelHandler
from adloc.pipelines.copy import CopyModels, LocalizeCopy, copy_models, tighten
from adloc.pipelines.expand import expand
from adloc.pipelines.image import Inpaint
from adloc.pipelines.lookup import LookUp
from adloc.pipelines.plan import PlanRun
from adloc.pipelines.report import Report, read_manifest, record_counts, report_info
from adloc.pipelines.reuse import Reuse
from adloc.pipelines.runner import (
    RunSettings,
    check_remote_items,
    counters,
    make_pipeline,
    worker_threads,
)
from adloc.pipelines.talent import ChooseTalent
from adloc.pipelines.write import Write
from adloc.records import WorkItem

__all__ = ["Finished", "RunSettings", "build", "dataflow_graph", "expand", "run"]


def build(p: beam.Pipeline, items: list[WorkItem], job: Job, settings: RunSettings,
          models: CopyModels | None = None) -> None:
    """Attach every stage of the job to pipeline `p`; `models`: the copy models and gate to run
    (default: `copy_models` of the settings)."""
    threads = worker_threads(p.options)
    models = models or copy_models(settings, job.locales, threads)
    inpainter = InpaintModelHandler(settings.inpainter, batch_size=settings.inpaint_batch_size, threads=threads)
    info = report_info(job, settings, inpainter.model_id, models)
    progress = (info["run_token"], len(items)) if settings.progress else None

    # 1. What the asset database says for this job (read once), then the talent for each item.
    lookup = p | "Lookup" >> LookUp(items, settings.db_url)
    chosen = p | "WorkItems" >> beam.Create(items) | "ChooseTalent" >> ChooseTalent(lookup)  # reshuffled
    # 2. The run goes into the asset DB before any file is written; what a finished run already
    #    made from the same inputs is not made again.
    planned = beam.pvalue.AsSingleton(chosen | "PlanRun" >> PlanRun(settings.db_url, info, settings.out))
    todo = chosen | "Reuse" >> Reuse(settings.out, settings_key(models, inpainter.model_id, settings), lookup,
                                     progress)
    # 3. Copy: translation memory first, then the model for what the memory lacks, through the gate.
    localized = todo.todo | "LocalizeCopy" >> LocalizeCopy(models, lookup)
    # 4. Image: place the talent, inpaint the band around it.
    inpainted = localized | "Inpaint" >> Inpaint(inpainter)
    # 5. Check the image (the blend is the fallback), set the text, write each item's files.
    written = (inpainted["ok"], (todo.dead, inpainted["failed"])) | "Write" >> Write(
        settings.out, models.versions, planned, progress, settings.audit_share)
    # 6. The report, the run's end in the asset DB and, last, the manifest.
    _ = (written, todo.reused) | "Report" >> Report(settings.out, info, settings.db_url, planned)


def settings_key(models: CopyModels, inpainter_id: str, settings: RunSettings) -> str:
    """What the run's settings contribute to every item's inputs digest (`pipelines.reuse`)."""
    return json.dumps({"copy": models.versions, "inpainter": inpainter_id, "gate": models.gate.key(),
                       "inpaint_batch": settings.inpaint_batch_size, "adloc": _version()}, sort_keys=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("adloc")
    except PackageNotFoundError:
        return "source"


@dataclass(frozen=True)
class Finished:
    """What `run` returns: the job's work items, its figures, and on a Dask cluster the items each
    worker process wrote (worker address -> items; empty on other runners)."""

    items: list[WorkItem]
    counts: dict[str, int]
    workers: dict[str, int] = field(default_factory=dict)


WRITE_STEPS = ("Write/WriteItem", "Write/WriteDeadLetter")  # the steps that write an item's files


def run(job: Job, source: str, settings: RunSettings, beam_args: list[str] | None = None,
        test_pipeline: beam.Pipeline | None = None) -> Finished:
    """Validate the job against the asset database, then run it. Nothing is written for an invalid
    job. Returns the work items and the run's figures (`Finished`): items by status, checks passed and failed and
    copy fallbacks from what was written (`report.record_counts`, the same on every runner), with the
    runner's counters where it has them (`runner.counters`: model loads and time, talent found, ...)."""
    items = expand(job, source, settings.db_url, settings.run_date)
    check_remote_items(items, settings.db_url, beam_args)
    p = test_pipeline or make_pipeline(beam_args)  # also hands the file systems their options (s3 endpoint, ...)
    remove_partial_files(settings.out)  # what a killed run left half-written
    # The gate as the live precision leaves it: a locale whose audits fell below its target reviews all.
    models = tighten(copy_models(settings, job.locales, worker_threads(p.options)), settings)
    build(p, items, job, settings, models)
    result = p.run()
    result.wait_until_finish()
    try:
        counts = counters(result)
    except NotImplementedError:  # a runner that collects no metrics
        counts = {}
    workers = {worker: sum(n for step, n in steps.items() if step in WRITE_STEPS)
               for worker, steps in getattr(result, "per_worker", {}).items()}
    return Finished(items, {**counts, **record_counts(read_manifest(settings.out))}, workers)


def dataflow_graph(job: Job, source: str, settings: RunSettings, beam_args: list[str]):
    """The Dataflow job `run` would submit, built and not submitted (Beam's `--dry_run`): nothing is
    written, no bucket or Google API is reached. Returns its `adloc.pipelines.graph.Graph`.
    Raises AdlocError when the options are not a Dataflow run, or the catalog's images are local
    files the workers could not read."""
    from adloc.errors import AdlocError
    from adloc.pipelines import graph
    from adloc.pipelines.runner import runner_of

    if runner_of(beam_args) != "DataflowRunner":
        raise AdlocError("dry run: it builds a Dataflow job; give the Dataflow options (--dataflow PROJECT ...)")
    items = expand(job, source, settings.db_url, settings.run_date)
    check_remote_items(items, settings.db_url, beam_args)
    p = make_pipeline([*beam_args, "--dry_run=True", "--experiments=disable_logging_submission_environment"])
    build(p, items, job, settings)
    return graph.read(p.run().job)
