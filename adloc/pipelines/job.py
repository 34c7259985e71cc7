"""The job pipeline: expand a validated job into work items and run every stage on Beam."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import date

import apache_beam as beam
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from adloc import locale as loc
from adloc.assets_db.engine import engine_for
from adloc.assets_db.lineage import plan_run
from adloc.assets_db.queries import talent_rights_overview, templates
from adloc.files import remove_partial_files
from adloc.jobspec import Job, JobSpecError
from adloc.models.copy_llm import CopyModelHandler, resolve
from adloc.models.inpaint import InpaintModelHandler
from adloc.pipelines import copy as copy_stage
from adloc.pipelines.gate import Gate
from adloc.pipelines.image import compose
from adloc.pipelines.report import write_summary
from adloc.pipelines.reuse import Reuse
from adloc.pipelines.talent import ChooseTalent, LoadLookup, query_for
from adloc.pipelines.write import WriteDeadLetter, WriteItem
from adloc.records import WorkItem


@dataclass(frozen=True)
class RunSettings:
    """Per-run knobs that are not part of the job spec."""

    db_url: str
    out: str
    copy_model: str = "embedded"
    # A folder of per-locale LoRA adapters (<folder>/<locale>/); None: each locale's champion in
    # the model registry, where that is an adapter of this model.
    adapters: str | None = None
    inpainter: str | None = None  # None: the deterministic blend
    run_date: str = field(default_factory=lambda: date.today().isoformat())
    # The confidence a model line needs, for every locale; None: each locale's threshold as its
    # eval calibrated it for the version that runs (the model registry), else the Gate's default.
    threshold: float | None = None
    batch_size: int = 8
    inpaint_batch_size: int = 1  # images per diffusion call (fixed; raise it on a GPU)
    run_token: str | None = None  # names the run in the asset DB; a submitted job's comes with it
    progress: bool = False  # a progress line on stderr (an interactive, in-process local run)


@dataclass(frozen=True)
class CopyModels:
    """What runs the copy for each locale, resolved from the settings and the model registry."""

    handler: CopyModelHandler
    base_id: str
    versions: dict[str, str]  # locale -> the version id its outputs record
    gate: Gate
    fixed_threshold: bool = False  # --threshold for every locale, not the registry's
    known: tuple = ()  # the registry's versions of the job's locales (for the report)


def copy_models(settings: RunSettings, locales: list[str], threads: int | None = None) -> CopyModels:
    """The copy handler, each locale's version and the gate: explicit settings first, else the
    registry's champions and calibrated thresholds (one query). A champion whose adapter folder
    changed since it was promoted is refused: a run never uses weights nobody evaluated."""
    from adloc.assets_db import registry
    from adloc.models.copy_llm import AdapterError

    known = registry.versions(engine_for(settings.db_url), locales)
    base_id = resolve(settings.copy_model)[2]
    champion_adapters = registry.champion_adapters(known, base_id) if settings.adapters is None else {}
    try:
        handler = CopyModelHandler(settings.copy_model, batch_size=settings.batch_size,
                                   adapters=settings.adapters or champion_adapters or None, threads=threads)
    except AdapterError as exc:
        if not champion_adapters:
            raise
        raise AdapterError(f"a champion adapter in the model registry cannot be loaded: {exc}") from None
    champions = {v.locale: v.version for v in known if v.status == "champion"}
    for locale, folder in sorted(champion_adapters.items()):
        found = handler.model_id_for(locale, base_id)
        if found != champions[locale]:
            raise AdapterError(
                f"the {locale} champion is {champions[locale]}, but {folder} now holds "
                f"{found}: restore the folder, or evaluate and promote the new adapter (`adloc compare`)")
    versions = {locale: handler.model_id_for(locale, base_id) for locale in locales}
    if settings.threshold is not None:
        return CopyModels(handler, base_id, versions, Gate(default_threshold=settings.threshold), True, tuple(known))
    return CopyModels(handler, base_id, versions, Gate(thresholds=registry.thresholds(known, versions)),
                      False, tuple(known))


def expand(job: Job, source: str, db_url: str, run_date: str) -> list[WorkItem]:
    """One work item per creative × template × locale, after checking templates and slots exist."""
    wanted = {t for c in job.creatives for t in c.templates}
    found = templates(engine_for(db_url), wanted)
    errors = []
    for i, creative in enumerate(job.creatives):
        for j, template_id in enumerate(creative.templates):
            where = f"creatives[{i}].template" + (f"[{j}]" if isinstance(creative.template, list) else "")
            template = found.get(template_id)
            if template is None:
                errors.append(f"{where}: template {template_id!r} is not in the asset database "
                              "(import it with `adloc assets import-catalog FOLDER`)")
                continue
            slot_names = [s.name for s in template.text_slots]
            for slot in creative.copy_:
                if slot not in slot_names:
                    errors.append(f"creatives[{i}].copy.{slot}: template {template_id!r} has no text slot {slot!r} "
                                  f"(slots: {', '.join(slot_names)})")
    if errors:
        raise JobSpecError(source, errors)
    items = [
        WorkItem(
            job=job.job, brand=job.brand, channel=job.channel, creative=creative.id,
            template=found[template_id], locale=locale, copy=dict(creative.copy_),
            values=dict(creative.values), keep_terms=tuple(job.keep_terms),
            talent_tags=tuple(creative.talent.tags), run_date=run_date,
        )
        for creative in job.creatives
        for template_id in creative.templates
        for locale in job.locales
    ]
    return sorted(items, key=lambda item: item.key)


def _report_info(job: Job, settings: RunSettings, inpainter_id: str, models: CopyModels) -> dict:
    regions = {loc.territory(tag) for tag in job.locales}
    overview = talent_rights_overview(engine_for(settings.db_url), regions, job.channel,
                                      date.fromisoformat(settings.run_date))
    return {"job": job.job, "brand": job.brand, "channel": job.channel, "locales": job.locales,
            "run_date": settings.run_date, "copy_model": models.base_id, "inpainter": inpainter_id,
            "copy_models": _model_cards(models),
            "talent": overview, "spec": job.model_dump(mode="json", by_alias=True),
            "run_token": settings.run_token or uuid.uuid4().hex}


def _model_cards(models: CopyModels) -> dict[str, dict]:
    """locale -> the copy version it runs, its gate threshold and its latest eval (for the report)."""
    known = {(v.locale, v.version): v for v in models.known}
    cards = {}
    for locale, version in sorted(models.versions.items()):
        found = known.get((locale, version))
        evaluated = found.eval if found else {}
        cards[locale] = {
            "version": version, "status": found.status if found else "not evaluated",
            "threshold": models.gate.threshold(locale),
            "set_by": "--threshold" if models.fixed_threshold else
                      "calibrated" if locale in models.gate.thresholds else "default",
            "chrf": evaluated.get("chrf"), "coverage": evaluated.get("coverage"),
            "target_precision": evaluated.get("target_precision"), "eval_report": evaluated.get("report"),
        }
    return cards


def build(p: beam.Pipeline, items: list[WorkItem], job: Job, settings: RunSettings) -> None:
    """Attach every stage of the job to pipeline `p`."""
    threads = worker_threads(p.options)
    models = copy_models(settings, job.locales, threads)
    inpaint_handler = InpaintModelHandler(settings.inpainter, batch_size=settings.inpaint_batch_size, threads=threads)
    info = _report_info(job, settings, inpaint_handler.model_id, models)
    progress = (info["run_token"], len(items)) if settings.progress else None

    # 1. What the asset database says for this job (read once), then the talent for each item.
    lookup = (
        p
        | "LookupQuery" >> beam.Create([query_for(items)], reshuffle=False)
        | "Lookup" >> beam.ParDo(LoadLookup(settings.db_url))
    )
    looked_up = (
        p
        | "WorkItems" >> beam.Create(items)  # reshuffled: spread over the workers
        | "ChooseTalent" >> beam.ParDo(ChooseTalent(), beam.pvalue.AsSingleton(lookup))
    )
    # Items a finished run already made from the same inputs are not made again.
    settings_key = json.dumps({"copy": models.versions, "inpainter": inpaint_handler.model_id,
                               "gate": asdict(models.gate), "inpaint_batch": settings.inpaint_batch_size,
                               "adloc": _version()}, sort_keys=True)
    chosen = looked_up | "Reuse" >> beam.ParDo(
        Reuse(settings.out, settings_key, progress), beam.pvalue.AsSingleton(lookup)
    ).with_outputs(Reuse.REUSED, main="todo")
    # The run goes into the asset DB before any file is written: which talent each item uses.
    planned = beam.pvalue.AsSingleton(
        looked_up
        | "CollectPlan" >> beam.combiners.ToList()
        | "PlanRun" >> beam.Map(plan_lineage, settings.db_url, info, settings.out)
    )
    live = chosen.todo | "Live" >> beam.Filter(lambda item: item.dead_letter is None)
    dead = chosen.todo | "NoTalent" >> beam.Filter(lambda item: item.dead_letter is not None)

    # 2. Copy: translation memory first, then the model for what the memory lacks.
    requests = live | "PrepareCopy" >> beam.FlatMap(copy_stage.prepare_copy, beam.pvalue.AsSingleton(lookup))
    from_memory = (
        requests
        | "ExactHits" >> beam.Filter(lambda r: r.exact is not None)
        | "FromMemory" >> beam.Map(lambda r: (r.key, copy_stage.from_memory(r)))
    )
    from_model = (
        requests
        | "Misses" >> beam.Filter(lambda r: r.exact is None)
        | "RewriteCopy" >> RunInference(models.handler)
        | "GateCopy" >> beam.ParDo(copy_stage.GateCopy(models.gate))
    )
    copies = (from_memory, from_model) | "AllCopy" >> beam.Flatten()
    joined = (
        {"item": live | "KeyItems" >> beam.Map(lambda item: (item.key, item)), "copy": copies}
        | "JoinCopy" >> beam.CoGroupByKey()
        | "MergeCopy" >> beam.Map(copy_stage.merge_copy)
    )

    # 3. Image: place the talent, inpaint, check (the blend is the fallback), render, write.
    composed = joined | "Compose" >> beam.ParDo(Compose()).with_outputs(Compose.FAILED, main="ok")
    written = (
        composed.ok
        | "Inpaint" >> RunInference(KeyedModelHandler(inpaint_handler))
        | "Write" >> beam.ParDo(WriteItem(settings.out, models.versions, progress), planned)
    )
    dead_letters = (
        (dead, composed[Compose.FAILED])
        | "AllDeadLetters" >> beam.Flatten()
        | "WriteDeadLetter" >> beam.ParDo(WriteDeadLetter(settings.out, progress), planned)
    )

    # 4. The report and, last, the manifest.
    _ = (
        (written, dead_letters, chosen[Reuse.REUSED])
        | "AllRecords" >> beam.Flatten()
        | "Collect" >> beam.combiners.ToList()
        | "WriteManifest" >> beam.Map(write_summary, settings.out, info, settings.db_url, planned)
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("adloc")
    except PackageNotFoundError:
        return "source"


def plan_lineage(items: list[WorkItem], db_url: str, info: dict, out: str) -> int:
    """Record the run and each item's chosen talent; returns the run id the writers wait for."""
    return plan_run(engine_for(db_url), info, out, [
        {"creative": item.creative, "template": item.template.id, "locale": item.locale,
         "talent": item.talent.id if item.talent else None, "seed": item.seed}
        for item in sorted(items, key=lambda item: item.key)])


class Compose(beam.DoFn):
    """Key the inpainting request by (item, copies); an item whose images cannot be read goes to
    the dead-letter output with the reason."""

    FAILED = "failed"

    def process(self, element):
        _, (item, copies) = element
        try:
            request = compose(item)
        except (ValueError, OSError) as exc:
            yield beam.pvalue.TaggedOutput(self.FAILED, replace(item, dead_letter=str(exc)))
            return
        yield (item, copies), request


LOCAL_RUNNERS = ("DirectRunner", "FnApiRunner")


def worker_threads(options: PipelineOptions) -> int | None:
    """Torch threads for each worker process's models: with local worker processes
    (`--direct_running_mode=multi_processing --direct_num_workers=N`) this machine's cores shared
    among the N; elsewhere None (torch's default: every core of the worker's machine)."""
    import os

    from apache_beam.options.pipeline_options import DirectOptions

    direct = options.view_as(DirectOptions)
    if options.view_as(StandardOptions).runner not in (None, *LOCAL_RUNNERS) \
            or direct.direct_running_mode != "multi_processing":
        return None
    cores = os.cpu_count() or 1
    workers = direct.direct_num_workers or cores  # 0: one per core
    return max(1, cores // workers)


def make_pipeline(beam_args: list[str] | None = None) -> beam.Pipeline:
    """A Beam pipeline for the given options. Without `--runner` (or with a local one) it is Beam's
    FnApiRunner, named explicitly: the DirectRunner would first try to download the Prism binary.
    `--direct_running_mode=multi_processing --direct_num_workers=N` runs it on N local processes."""
    options = PipelineOptions(list(beam_args or []))
    runner = options.view_as(StandardOptions).runner
    if runner in (None, *LOCAL_RUNNERS):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        options.view_as(StandardOptions).runner = None
        return beam.Pipeline(runner=FnApiRunner(), options=options)
    return beam.Pipeline(options=options)


def run(job: Job, source: str, settings: RunSettings, beam_args: list[str] | None = None,
        test_pipeline: beam.Pipeline | None = None) -> tuple[list[WorkItem], dict[str, int]]:
    """Validate the job against the asset database, then run it. Nothing is written for an invalid
    job. Returns the work items and the run's `adloc` counters (items by status, checks passed and
    failed, copy fallbacks)."""
    items = expand(job, source, settings.db_url, settings.run_date)
    p = test_pipeline or make_pipeline(beam_args)  # also hands the file systems their options (s3 endpoint, ...)
    remove_partial_files(settings.out)  # what a killed run left half-written
    build(p, items, job, settings)
    result = p.run()
    result.wait_until_finish()
    return items, counters(result)


# RunInference's metrics namespace for each model -> the name its figures take in `counters`.
MODEL_NAMESPACES = {"adloc_copy_model": "copy_model", "adloc_inpainter": "inpainter"}


def counters(result) -> dict[str, int]:
    """The `adloc` namespace's counters of a finished pipeline, by name, and for each model
    (`copy_model`, `inpainter`) from RunInference's metrics: `<model>_loads` (how many times it was
    loaded: once per worker process that used it), `<model>_batches` and `<model>_ms` (time in
    its inference calls, summed over the workers)."""
    from apache_beam.metrics.metric import MetricsFilter

    totals: dict[str, int] = {}
    found = result.metrics().query(MetricsFilter())
    for counter in found["counters"]:
        if counter.key.metric.namespace == "adloc":
            totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + counter.committed
    for dist in found["distributions"]:
        model = MODEL_NAMESPACES.get(dist.key.metric.namespace)
        if model is None or dist.committed is None:
            continue
        if dist.key.metric.name.endswith("load_model_latency_milli_secs"):
            totals[f"{model}_loads"] = totals.get(f"{model}_loads", 0) + dist.committed.count
        elif dist.key.metric.name.endswith("inference_batch_latency_micro_secs"):
            totals[f"{model}_batches"] = totals.get(f"{model}_batches", 0) + dist.committed.count
            totals[f"{model}_ms"] = totals.get(f"{model}_ms", 0) + dist.committed.sum // 1000
    return dict(sorted(totals.items()))
