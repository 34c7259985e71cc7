"""How a job runs: its settings beside the spec, the Beam pipeline (the local runner pinned, so
nothing is downloaded at run time), torch threads for local worker processes, what the run
counted, and what must hold before a job leaves this machine (workers elsewhere cannot read a
SQLite file or a local folder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from adloc.errors import AdlocError


@dataclass(frozen=True)
class RunSettings:
    """Per-run knobs that are not part of the job spec."""

    db_url: str
    out: str
    copy_model: str = "embedded"
    copy_dtype: str = "auto"  # the copy model's CPU runtime (copy_llm.DTYPES); auto: its measured choice
    # A folder of per-locale LoRA adapters (<folder>/<locale>/); None: each locale's champion in
    # the model registry, where that is an adapter of this model.
    adapters: str | None = None
    inpainter: str | None = None  # None: the deterministic blend
    run_date: str = field(default_factory=lambda: date.today().isoformat())
    # The score a model line needs, for every locale; None: each locale's calibrated threshold
    # (the learned gate's, else the model registry's for the version that runs), else review.
    threshold: float | None = None
    # The learned gate: "auto" (the one that ships for the base model, if any), "none" (token
    # confidence is the score), or a gate file of `adloc gate train`.
    gate: str = "auto"
    batch_size: int = 8
    inpaint_batch_size: int = 1  # images per diffusion call (fixed; raise it on a GPU)
    # The share of items the gate approved (with a model line) that reviewers also audit (`adloc.audit`).
    audit_share: float = 0.05
    # Run the shadow candidates the model registry holds (`adloc models shadow`) on their samples.
    shadow: bool = True
    run_token: str | None = None  # names the run in the asset DB; a submitted job's comes with it
    progress: bool = False  # a progress line on stderr (an interactive, in-process local run)


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
    `--direct_running_mode=multi_processing --direct_num_workers=N` runs it on N local processes.
    `--runner=DaskRunner` is adloc's Dask runner (`adloc.pipelines.dask_runner`), not Beam's."""
    options = PipelineOptions(list(beam_args or []))
    runner = options.view_as(StandardOptions).runner
    if runner == "DaskRunner":
        try:
            from adloc.pipelines.dask_runner import DaskRunner
        except ImportError as exc:
            raise AdlocError(f"Dask: {exc.name or 'dask'} is not installed here; pip install 'adloc[dask]' "
                             "(the same on every worker)") from exc
        return beam.Pipeline(runner=DaskRunner(), options=options)
    if runner in (None, *LOCAL_RUNNERS):
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        options.view_as(StandardOptions).runner = None
        return beam.Pipeline(runner=FnApiRunner(), options=options)
    return beam.Pipeline(options=options)


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


def runner_of(beam_args: list[str] | None) -> str | None:
    """The `--runner` among Beam's options (None: not given)."""
    return PipelineOptions(list(beam_args or [])).view_as(StandardOptions).runner


def on_this_machine(beam_args: list[str] | None) -> bool:
    """Whether the runner's workers run on this machine: Beam's local runners, and a Dask cluster
    whose scheduler is on this machine (a loopback address, or none: a LocalCluster), whose
    workers read the same files."""
    runner = runner_of(beam_args)
    if runner in (*LOCAL_RUNNERS, "PrismRunner", None):
        return True
    if runner == "DaskRunner":
        from urllib.parse import urlsplit

        from apache_beam.runners.dask.dask_runner import DaskOptions

        dask = PipelineOptions(list(beam_args or [])).view_as(DaskOptions)
        if dask.scheduler_file:
            return False
        address = dask.address
        host = urlsplit(address if "://" in address else f"tcp://{address}").hostname if address else None
        return host in (None, "localhost", "127.0.0.1", "::1")
    return False


def check_remote_items(items: list, db_url: str, beam_args: list[str]) -> None:
    """On a runner whose workers are other machines: the images the items need (each template's,
    every talent photo and matte of the catalog) must be in a bucket, not files on this machine.
    Raises AdlocError naming the first local one."""
    if on_this_machine(beam_args):
        return
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.schema import TalentImageRow

    for item in items:
        if "://" not in item.template.image_uri:
            raise AdlocError(f"template {item.template.id}: its image {item.template.image_uri!r} is a file on this "
                             "machine the workers cannot read; import the catalog into a bucket (--store gs://…)")
    with Session(engine_for(db_url)) as session:
        rows = session.execute(select(TalentImageRow.talent_id, TalentImageRow.uri, TalentImageRow.matte_uri)
                               .order_by(TalentImageRow.talent_id))
        for talent_id, *uris in rows:
            local = next((u for u in uris if u and "://" not in u), None)
            if local:
                raise AdlocError(f"talent {talent_id}: {local!r} is a file on this machine the workers cannot read; "
                                 "import the catalog into a bucket (--store gs://…)")


def check_remote(beam_args: list[str], db_url: str, out: str) -> None:
    """On a runner whose workers are other machines: the asset DB must be a network database and
    the output a bucket. Local runners (and a Dask cluster on this machine) take anything."""
    runner = runner_of(beam_args)
    if on_this_machine(beam_args):
        return
    if db_url.startswith("sqlite"):
        raise AdlocError(f"database: {runner} workers cannot reach the SQLite file {db_url!r}; use a network "
                          "database they can reach, e.g. postgresql+psycopg2://user@10.0.0.5/assets")
    if runner == "DataflowRunner" and not out.startswith("gs://"):
        raise AdlocError(f"output: Dataflow workers write to a bucket, not {out!r}; use gs://bucket/path")
    if "://" not in out:
        raise AdlocError(f"output: {runner} workers cannot write to the local folder {out!r}; use a bucket URI")
