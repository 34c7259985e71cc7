"""`adloc demo` and `adloc run`: one job now, on Beam."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from adloc.cli.options import add_job_options, db_url, engine, out_uri, positive
from adloc.errors import AdlocError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_JOB = EXAMPLES / "jobs" / "spring-coffee.yaml"


def register(sub) -> None:
    demo = sub.add_parser("demo", help="run the sample job on the embedded defaults")
    add_job_options(demo, out_required=False)
    demo.set_defaults(func=demo_command)

    run = sub.add_parser("run", help="run one job; Beam options (--runner, ...) pass through")
    run.add_argument("job", help="job spec YAML")
    add_job_options(run, out_required=True)
    run.add_argument("--dask", metavar="SCHEDULER",
                     help="run on a Dask cluster: its scheduler's address (tcp://host:8786) or scheduler file")
    flow = run.add_argument_group("Dataflow", "run on Google Cloud Dataflow (other runners: pass Beam's --runner)")
    flow.add_argument("--dataflow", metavar="PROJECT", help="the Google Cloud project to run in")
    flow.add_argument("--region", help="e.g. europe-west1")
    flow.add_argument("--temp-location", help="gs:// path for Dataflow's staging and temporary files")
    flow.add_argument("--worker-image", help="worker container image with adloc installed (see Dockerfile)")
    flow.add_argument("--setup-file", help="a setup.py Dataflow installs on each worker (instead of an image)")
    flow.add_argument("--gpu", metavar="TYPE:COUNT", help="accelerators per worker, e.g. nvidia-l4:1")
    flow.add_argument("--machine-type", help="e.g. g2-standard-8 for an L4 GPU")
    flow.add_argument("--max-workers", type=positive)
    flow.add_argument("--dry-run", action="store_true",
                      help="build the Dataflow job and print what it would run (stages, inference steps and their "
                           "batching, worker image, GPU options), without submitting it or writing anything")
    flow.add_argument("--json", action="store_true", help="with --dry-run: the summary as JSON")
    run.set_defaults(func=run_command)


def run_command(args, beam_args: list[str]) -> int:
    from adloc.cli.presets import dask_options, dataflow_options
    from adloc.pipelines.runner import check_remote

    url = db_url(args)
    if args.dask and args.dataflow:
        raise AdlocError("--dask and --dataflow: give one engine")
    if args.dask:
        beam_args = [*dask_options(args.dask), *beam_args]
    if args.dataflow:
        if not (args.region and args.temp_location):
            raise AdlocError("Dataflow: a region and a temp location (a gs:// path) are needed to run there")
        beam_args = [*dataflow_options(args.dataflow, args.region, args.temp_location, args.worker_image,
                                       args.setup_file, args.gpu, args.machine_type, args.max_workers),
                     *beam_args]
    check_remote(beam_args, url, out_uri(args.out))
    engine(args)  # the database is there and at this version's schema
    if args.dry_run:
        return dry_run(Path(args.job), args, url, beam_args)
    return run_job(Path(args.job), args, url, beam_args)


def dry_run(job_path: Path, args, url: str, beam_args: list[str]) -> int:
    """Build the job's Dataflow graph without submitting it and print what it would run."""
    import json
    from dataclasses import asdict

    from adloc.cli.options import model_options
    from adloc.jobspec import load_job
    from adloc.pipelines.job import dataflow_graph
    from adloc.pipelines.runner import RunSettings

    job = load_job(job_path)
    settings = RunSettings(db_url=url, out=out_uri(args.out), run_date=args.run_date, **asdict(model_options(args)))
    graph = dataflow_graph(job, str(job_path), settings, beam_args)
    if args.json:
        print(json.dumps(graph.to_json(), indent=2))
        return 0
    print(f"{job.job}: the Dataflow job, built and not submitted ({len(graph.transforms)} transforms)")
    print(f"  stages: {' -> '.join(graph.stages)}")
    for step in graph.inference:
        print(f"  inference: {step.name}, batches of {step.min_batch} to {step.max_batch}")
    print(f"  worker image: {', '.join(graph.images)}")
    print(f"  service options: {', '.join(graph.service_options) or 'none'}")
    print(f"  experiments: {', '.join(graph.experiments)}")
    return 0


def demo_command(args, beam_args: list[str]) -> int:
    from adloc.assets_db.catalog import import_catalog
    from adloc.models.face import FaceFinder
    from adloc.models.matte import Matter

    counts = import_catalog(engine(args), EXAMPLES, matter=Matter(), faces=FaceFinder())
    print(f"asset DB {db_url(args)}: sample catalog loaded "
          f"({counts['templates']} templates, {counts['talent']} talent, {counts['tm']} TM units)")
    return run_job(DEMO_JOB, args, db_url(args), beam_args)


def run_job(job_path: Path, args, url: str, beam_args: list[str]) -> int:
    """Run the job at `job_path` with the command's options and print its summary."""
    from dataclasses import asdict

    from apache_beam.io.filesystems import FileSystems

    from adloc.cli.options import model_options
    from adloc.jobspec import load_job
    from adloc.pipelines.runner import RunSettings, runner_of
    from adloc.services import jobs

    job = load_job(job_path)
    options = model_options(args)
    jobs.check_models(options, url)  # what the run will load is there, before anything starts
    settings = RunSettings(
        db_url=url, out=out_uri(args.out), run_date=args.run_date, **asdict(options),
        # The progress line counts in this process: not with local worker processes or a cluster.
        progress=sys.stderr.isatty() and runner_of(beam_args) != "DaskRunner"
        and not any("multi_processing" in a for a in beam_args),
    )
    if settings.run_date < date.today().isoformat():
        print(f"warning: run date {settings.run_date} is in the past: talent rights are checked for "
              "that day, not for today", file=sys.stderr)
    print(f"running {job.job}: {len(job.creatives)} creatives x {len(job.locales)} locales on Beam", flush=True)
    result = jobs.run(job, str(job_path), settings, beam_args)
    counts = result.counts
    lines = jobs.manifest(settings.out)
    print(f"{len(result.items)} items: {jobs.summary(lines)}")
    print(jobs.summary_table(lines))
    print(f"checks: {counts.get('checks_passed', 0)} passed, {counts.get('checks_failed', 0)} failed; "
          f"copy lines that took the fallback: {counts.get('copy_lines_fallback', 0)}")
    if "copy_model_loads" in counts or "inpainter_loads" in counts:
        print(f"models: copy LLM loaded {counts.get('copy_model_loads', 0)}x, "
              f"{counts.get('copy_model_ms', 0) / 1000:.1f} s generating; inpainter loaded "
              f"{counts.get('inpainter_loads', 0)}x, {counts.get('inpainter_ms', 0) / 1000:.1f} s inpainting")
    if result.workers:
        print("Dask: items written per worker process: "
              + ", ".join(f"{worker} {n}" for worker, n in sorted(result.workers.items())))
    print(f"report: {FileSystems.join(settings.out, 'report.html')}")
    return 0
