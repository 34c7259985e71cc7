"""The `adloc` command: a thin layer over functions the tests call directly."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_JOB = EXAMPLES / "jobs" / "spring-coffee.yaml"


def _out_uri(out: str) -> str:
    return out if "://" in out else str(Path(out).resolve())


def _settings(args, db_url: str, beam_args: list[str] = ()):
    from adloc.pipelines.job import RunSettings

    return RunSettings(
        db_url=db_url, out=_out_uri(args.out), copy_model=args.copy_model, adapters=args.adapters,
        inpainter=args.inpainter, inpaint_batch_size=args.inpaint_batch,
        run_date=args.run_date, threshold=args.threshold,
        progress=sys.stderr.isatty() and not any("multi_processing" in a for a in beam_args),
    )


def _run_job(job_path: Path, args, db_url: str, beam_args: list[str]) -> int:
    from adloc.jobspec import JobSpecError, load_job
    from adloc.models.copy_llm import AdapterError
    from adloc.pipelines import job as job_pipeline

    try:
        job = load_job(job_path)
        settings = _settings(args, db_url, beam_args)
        if settings.run_date < date.today().isoformat():
            print(f"warning: --run-date {settings.run_date} is in the past: talent rights are checked for "
                  "that day, not for today", file=sys.stderr)
        print(f"running {job.job}: {len(job.creatives)} creatives x {len(job.locales)} locales on Beam", flush=True)
        items, counts = job_pipeline.run(job, str(job_path), settings, beam_args)
    except JobSpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, AdapterError) as exc:  # a model, checkpoint or adapter that is not there
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from apache_beam.io.filesystems import FileSystems

    print(f"{len(items)} items: {_summary(settings.out)}")
    print(summary_table(settings.out))
    print(f"checks: {counts.get('checks_passed', 0)} passed, {counts.get('checks_failed', 0)} failed; "
          f"copy lines that took the fallback: {counts.get('copy_lines_fallback', 0)}")
    print(f"models: copy LLM loaded {counts.get('copy_model_loads', 0)}x, "
          f"{counts.get('copy_model_ms', 0) / 1000:.1f} s generating; inpainter loaded "
          f"{counts.get('inpainter_loads', 0)}x, {counts.get('inpainter_ms', 0) / 1000:.1f} s inpainting")
    print(f"report: {FileSystems.join(settings.out, 'report.html')}")
    return 0


def _manifest(out: str) -> list[dict]:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(FileSystems.join(out, "manifest.jsonl")) as handle:
        return [json.loads(line) for line in handle.read().decode().splitlines()]


def _summary(out: str) -> str:
    from collections import Counter

    statuses = Counter(line["status"] for line in _manifest(out))
    return ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(statuses.items()))


def summary_table(out: str) -> str:
    """Items per locale and status, from the run's manifest."""
    from collections import Counter

    lines = _manifest(out)
    counts = Counter((line["locale"], line["status"]) for line in lines)
    locales = sorted({line["locale"] for line in lines})
    rows = [f"{'locale':<8} {'items':>5} {'approved':>8} {'review':>6} {'dead letter':>11}"]
    for tag in [*locales, "total"]:
        pick = (lambda status, tag=tag: counts[(tag, status)]) if tag != "total" else (
            lambda status: sum(n for (_, s), n in counts.items() if s == status))
        total = pick("approved") + pick("review") + pick("dead_letter")
        rows.append(f"{tag:<8} {total:>5} {pick('approved'):>8} {pick('review'):>6} {pick('dead_letter'):>11}")
    return "\n".join(rows)


class _Refused(Exception):
    """A command that cannot go on; the message is for the person who ran it (exit 2)."""


def _engine(args):
    """The asset database of `--db` (else $ADLOC_DB or the SQLite default), ready to use."""
    from adloc.assets_db.engine import default_url, open_engine

    return open_engine(getattr(args, "db", None) or default_url())


def _refusals(command):
    """Run a command; known refusals print one clear message and exit 2, nothing half-done."""

    def wrapped(args, beam_args) -> int:
        from adloc.assets_db.catalog import CatalogError
        from adloc.assets_db.engine import SchemaError
        from adloc.assets_db.lineage import UnknownTalent

        try:
            return command(args, beam_args)
        except (_Refused, CatalogError, UnknownTalent, SchemaError) as exc:
            message = exc.args[0] if isinstance(exc, UnknownTalent) else str(exc)
            print(f"error: {message}", file=sys.stderr)
            return 2

    return wrapped


def _warn_local_store(args) -> None:
    """Images in a local folder are visible to this machine only: say so when the database is shared."""
    from adloc.assets_db.engine import default_url
    from adloc.assets_db.images import default_store

    url, store = getattr(args, "db", None) or default_url(), args.store or default_store()
    if not url.startswith("sqlite") and "://" not in store:
        print(f"warning: images go to the local folder {store}, but the database is shared; workers on "
              "other machines cannot read them (use --store gs://... or s3://...)", file=sys.stderr)


@_refusals
def cmd_run(args, beam_args: list[str]) -> int:
    from adloc.assets_db.engine import default_url
    from adloc.runners.presets import RunnerError, check_remote, dataflow_options

    db_url = args.db or default_url()
    try:
        if args.dataflow:
            if not (args.region and args.temp_location):
                raise RunnerError("--dataflow needs --region and --temp-location")
            beam_args = [*dataflow_options(args.dataflow, args.region, args.temp_location, args.worker_image,
                                           args.setup_file, args.gpu, args.machine_type, args.max_workers),
                         *beam_args]
        check_remote(beam_args, db_url, _out_uri(args.out))
    except RunnerError as exc:
        raise _Refused(str(exc)) from None
    _engine(args)  # the database is there and at this version's schema
    return _run_job(Path(args.job), args, db_url, beam_args)


@_refusals
def cmd_demo(args, beam_args: list[str]) -> int:
    from adloc.assets_db.catalog import import_catalog
    from adloc.assets_db.engine import default_url

    db_url = args.db or default_url()
    counts = import_catalog(_engine(args), EXAMPLES)
    print(f"asset DB {db_url}: sample catalog loaded "
          f"({counts['templates']} templates, {counts['talent']} talent, {counts['tm']} TM units)")
    return _run_job(DEMO_JOB, args, db_url, beam_args)


def cmd_check_copy(args, _beam_args) -> int:
    from adloc import locale as loc
    from adloc.checks import blocking_failures
    from adloc.checks.copy import check_copy

    try:
        loc.territory(args.locale) if "-" in args.locale else loc.parse(args.locale)
    except ValueError as exc:
        print(f"error: --locale: {exc}", file=sys.stderr)
        return 2
    glossary = ()
    if args.glossary:
        from adloc.assets_db.catalog import CatalogError, load_glossary

        try:
            glossary = load_glossary(args.glossary, args.locale)
        except CatalogError as exc:
            print(f"error: --glossary: {exc}", file=sys.stderr)
            return 2
    results = check_copy(args.source, args.target, args.locale, tuple(args.keep), args.max_chars, glossary)
    passed = not blocking_failures(results)
    if args.json:
        print(json.dumps({"passed": passed, "checks": [
            {"name": r.name, "passed": r.passed, "detail": r.detail, "severity": r.severity.value, "score": round(r.score, 4)}
            for r in results
        ]}, ensure_ascii=False))
    else:
        for r in results:
            print(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<18} {r.severity.value:<10} {r.detail}")
        print("passed" if passed else "failed")
    return 0 if passed else 1


def cmd_models_fetch(args, _beam_args) -> int:
    from adloc.models import embedded

    path = embedded.fetch(force=args.force)
    print(f"embedded copy model ready: {path}")
    return 0


@_refusals
def cmd_submit(args, _beam_args) -> int:
    from adloc.assets_db import queue
    from adloc.assets_db.engine import default_url
    from adloc.jobspec import JobSpecError, load_job
    from adloc.pipelines.job import expand

    engine = _engine(args)
    try:
        job = load_job(args.job)
        expand(job, args.job, args.db or default_url(), args.run_date)  # templates and slots, before queueing
    except JobSpecError as exc:
        raise _Refused(str(exc)) from None
    from adloc.models.copy_llm import AdapterError, find_adapters, resolve

    try:  # what the worker will load: refused now rather than failed later
        resolve(args.copy_model)
        find_adapters(args.adapters)
    except (FileNotFoundError, AdapterError) as exc:
        raise _Refused(str(exc)) from None
    if args.inpainter and args.inpainter.startswith(("/", "./", "../", "~")) and not Path(args.inpainter).exists():
        raise _Refused(f"--inpainter: checkpoint folder {args.inpainter!r} does not exist")
    options = {"copy_model": args.copy_model, "adapters": args.adapters, "inpainter": args.inpainter,
               "inpaint_batch": args.inpaint_batch, "threshold": args.threshold}
    job_id = queue.submit(engine, job.model_dump(mode="json", by_alias=True), args.run_date, _out_uri(args.out), options)
    print(job_id)
    return 0


@_refusals
def cmd_status(args, _beam_args) -> int:
    from adloc.assets_db import queue

    try:
        state = queue.status(_engine(args), args.job_id)
    except queue.UnknownJob as exc:
        raise _Refused(exc.args[0]) from None
    if args.json:
        print(json.dumps(state, indent=2))
        return 0
    print(f"job {state['id']} {state['job']}: {state['status']}")
    if state["status"] == "done":
        print(f"  {state['items']} items: {state['approved']} approved, {state['review']} review, "
              f"{state['dead_letter']} dead letter")
    if state["error"]:
        print(f"  error: {state['error']}")
    print(f"  out: {state['out']}")
    for key in ("submitted_at", "started_at", "finished_at"):
        if state[key]:
            print(f"  {key.removesuffix('_at')}: {state[key]}")
    return 0


@_refusals
def cmd_worker(args, beam_args) -> int:
    """Run queued jobs one at a time; a job that fails is recorded as failed and the worker goes on."""
    import time

    from adloc.assets_db import queue
    from adloc.assets_db.engine import default_url

    engine = _engine(args)
    db_url = args.db or default_url()
    ran = 0
    while True:
        claimed = queue.claim(engine)
        if claimed is None:
            if args.once:
                print(f"queue empty: ran {ran} job{'s' if ran != 1 else ''}")
                return 0
            time.sleep(args.poll)
            continue
        ran += 1
        print(f"job {claimed['id']} {claimed['spec']['job']}: running", flush=True)
        try:
            _run_claimed(claimed, db_url, beam_args)
        except Exception as exc:  # noqa: BLE001 - one job's failure, whatever it is, must not stop the worker
            queue.fail(engine, claimed["id"], f"{type(exc).__name__}: {exc}")
            print(f"job {claimed['id']}: failed: {exc}", file=sys.stderr)
            continue
        print(f"job {claimed['id']}: done, {_summary(claimed['out'])}")
        print(summary_table(claimed["out"]), flush=True)


def _run_claimed(claimed: dict, db_url: str, beam_args: list[str]) -> None:
    from adloc.jobspec import parse_job
    from adloc.pipelines import job as job_pipeline
    from adloc.pipelines.job import RunSettings
    from adloc.runners.presets import check_remote

    options = claimed["options"]
    check_remote(beam_args, db_url, claimed["out"])  # a RunnerError fails this job, not the worker
    job = parse_job(claimed["spec"], f"job {claimed['id']}")
    settings = RunSettings(
        db_url=db_url, out=claimed["out"], copy_model=options["copy_model"], adapters=options["adapters"],
        inpainter=options["inpainter"], inpaint_batch_size=options["inpaint_batch"], run_date=claimed["run_date"],
        threshold=options["threshold"], run_token=claimed["run_token"],
    )
    job_pipeline.run(job, f"job {claimed['id']}", settings, beam_args)


@_refusals
def cmd_review_list(args, _beam_args) -> int:
    from adloc.assets_db.review import pending

    items = pending(_engine(args), args.job)
    if args.json:
        print(json.dumps(items, indent=2, ensure_ascii=False))
        return 0
    for r in items:
        print(f"{r['item']:>6}  {r['job']}  {r['creative']}  {r['template']}  {r['locale']}  {r['record']}")
    print(f"{len(items)} item{'s' if len(items) != 1 else ''} waiting for review")
    return 0


def _edits(pairs: list[str]) -> dict[str, str]:
    edits = {}
    for pair in pairs:
        slot, sep, text = pair.partition("=")
        if not sep or not slot.strip() or not text.strip():
            raise _Refused(f"--edit: {pair!r} is not SLOT=TEXT")
        edits[slot.strip()] = text.strip()
    return edits


@_refusals
def cmd_review_decide(args, _beam_args) -> int:
    from adloc.assets_db.review import ReviewError, decide

    try:
        result = decide(_engine(args), args.item, args.decision, args.reviewer or "",
                        getattr(args, "reason", "") or "", _edits(getattr(args, "edit", []) or []))
    except ReviewError as exc:
        raise _Refused(str(exc)) from None
    print(f"item {result['item']}: {result['decision']}")
    for line in result["memory"]:
        print(f"  translation memory: {line['source']!r} -> {line['target']!r}")
    return 0


@_refusals
def cmd_serve(args, _beam_args) -> int:
    """The web app on HOST:PORT; anything but this machine needs ADLOC_WEB_TOKEN."""
    import uvicorn

    from adloc.assets_db.engine import default_url
    from adloc.web.app import create_app
    from adloc.web.security import LOCAL_HOSTS

    token = os.environ.get("ADLOC_WEB_TOKEN", "").strip() or None
    if args.host not in LOCAL_HOSTS and not token:
        raise _Refused(f"--host {args.host}: serving other machines needs a sign-in token: set ADLOC_WEB_TOKEN "
                       "(people sign in with their name and that token)")
    _engine(args)  # the database is there and at this version's schema
    app = create_app(args.db or default_url(), _out_uri(args.out_root), token=token)
    print(f"adloc serving http://{args.host}:{args.port}/ ({'sign-in with ADLOC_WEB_TOKEN' if token else 'this machine only'}); "
          "run `adloc worker` beside it to run what is queued", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


@_refusals
def cmd_assets_import_catalog(args, _beam_args) -> int:
    from adloc.assets_db.catalog import import_catalog

    _warn_local_store(args)
    counts = import_catalog(_engine(args), args.folder, store=args.store)
    print(json.dumps(counts))
    return 0


@_refusals
def cmd_assets_import(args, _beam_args) -> int:
    from adloc.assets_db.catalog import import_talent

    _warn_local_store(args)
    count = import_talent(_engine(args), args.file, images_dir=args.images, store=args.store)
    print(f"imported {count} talent from {args.file}")
    return 0


@_refusals
def cmd_templates_import(args, _beam_args) -> int:
    from adloc.assets_db.catalog import import_templates

    _warn_local_store(args)
    count = import_templates(_engine(args), args.files, store=args.store)
    print(f"imported {count} template{'s' if count != 1 else ''}")
    return 0


@_refusals
def cmd_assets_list(args, _beam_args) -> int:
    from adloc.assets_db.lineage import list_talent

    rows = list_talent(_engine(args), region=args.region, status=args.status,
                       expiring_within=args.expiring_within, on=date.fromisoformat(args.on))
    if args.json:
        print(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
        return 0
    print(f"{'id':<20} {'name':<14} {'from':<4} {'status':<8} {'usable in':<14} {'channels':<16} {'until':<10}")
    for r in rows:
        why = f"  ({r['revoked_reason']})" if r["status"] == "revoked" else ""
        print(f"{r['id']:<20} {r['name']:<14} {r['region']:<4} {r['status']:<8} {','.join(r['usable_in']) or '-':<14} "
              f"{','.join(r['channels']) or '-':<16} {r['ends_on'] or '-'!s:<10}{why}".rstrip())
    print(f"{len(rows)} talent")
    return 0


def _print_usage(outputs: list[dict]) -> None:
    for o in outputs:
        print(f"{o['job']}  {o['creative']}  {o['template']}  {o['locale']}  {o['status']}  {o['run_date']}  {o['uri']}")


@_refusals
def cmd_assets_usage(args, _beam_args) -> int:
    from sqlalchemy.orm import Session

    from adloc.assets_db.lineage import UnknownTalent, usage
    from adloc.assets_db.schema import TalentRow

    engine = _engine(args)
    with Session(engine) as session:
        if session.get(TalentRow, args.talent_id) is None:
            raise UnknownTalent(args.talent_id)
    outputs = usage(engine, args.talent_id)
    if args.json:
        print(json.dumps(outputs, ensure_ascii=False, indent=2))
    else:
        _print_usage(outputs)
        print(f"{len(outputs)} output{' uses' if len(outputs) == 1 else 's use'} {args.talent_id}")
    return 0


@_refusals
def cmd_assets_revoke(args, _beam_args) -> int:
    from adloc.assets_db.lineage import revoke
    from adloc.fields import has_control

    if not args.reason.strip() or has_control(args.reason):
        raise _Refused("--reason: say why the talent is revoked, in plain text (it is kept with the record)")
    result = revoke(_engine(args), args.talent_id, args.reason)
    outputs = result["outputs"]
    if result["already_revoked"]:
        print(f"{args.talent_id} was already revoked on {result['revoked_at']}: {result['reason']}")
    else:
        print(f"{args.talent_id} is now revoked: runs that start from now on will not use them")
    if outputs:
        print(f"{len(outputs)} published output{'s' if len(outputs) != 1 else ''} use them; rerun those jobs "
              "or take the files down:")
        _print_usage(outputs)
    return 0


@_refusals
def cmd_loop(args, _beam_args) -> int:
    """eval, tune, compare, models list: see `adloc.runners.loop`."""
    from adloc.runners.loop import LoopError

    try:
        return args.loop(args, _engine(args))
    except LoopError as exc:
        raise _Refused(str(exc)) from None


@_refusals
def cmd_db_upgrade(args, _beam_args) -> int:
    from adloc.assets_db.engine import _new_engine, default_url, display_url, explained, upgrade

    url = args.db or default_url()
    with explained(url):
        before, after = upgrade(_new_engine(url))
    print(f"{display_url(url)}: {before or 'empty'} -> {after}" if before != after
          else f"{display_url(url)}: already at {after}")
    return 0


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1")
    return value


def _job_options(parser: argparse.ArgumentParser, out_required: bool) -> None:
    parser.add_argument("--out", required=out_required, default="out/demo",
                        help="output folder or bucket URI (gs://..., s3://...)")
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument("--copy-model", default="embedded",
                        help="copy LLM: 'embedded', a transformers hub id, a local folder or a .gguf file")
    parser.add_argument("--adapters", metavar="DIR", default=None,
                        help="locale tuning: peft LoRA adapters in DIR/<locale>/ (e.g. DIR/de-DE/)")
    parser.add_argument("--inpainter", default=None,
                        help="diffusers inpainting checkpoint (hub id or folder); default: the deterministic blend")
    parser.add_argument("--inpaint-batch", type=_positive, default=1, metavar="N",
                        help="images per diffusion call, always N (padded) so outputs do not depend on batching")
    parser.add_argument("--run-date", type=_date, default=date.today().isoformat(),
                        help="date the talent rights are checked against (YYYY-MM-DD; default today)")
    parser.add_argument("--threshold", type=_probability, default=None,
                        help="confidence a model line needs to ship without review, in every locale (default: "
                             "each locale's threshold as `adloc eval` calibrated it, else 0.5)")


DB_HELP = "asset DB SQLAlchemy URL (default: $ADLOC_DB or a SQLite file)"


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help=DB_HELP)
    parser.add_argument("--store", help="asset store folder or bucket URI (default: $ADLOC_ASSETS or $ADLOC_HOME/assets)")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days")
    return int(text)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="adloc", description="Localize ad creatives in batch.")
    sub = top.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the sample job on the embedded defaults")
    _job_options(demo, out_required=False)
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="run one job; Beam options (--runner, ...) pass through")
    run.add_argument("job", help="job spec YAML")
    _job_options(run, out_required=True)
    flow = run.add_argument_group("Dataflow", "run on Google Cloud Dataflow (other runners: pass Beam's --runner)")
    flow.add_argument("--dataflow", metavar="PROJECT", help="the Google Cloud project to run in")
    flow.add_argument("--region", help="e.g. europe-west1")
    flow.add_argument("--temp-location", help="gs:// path for Dataflow's staging and temporary files")
    flow.add_argument("--worker-image", help="worker container image with adloc installed (see Dockerfile)")
    flow.add_argument("--setup-file", help="a setup.py Dataflow installs on each worker (instead of an image)")
    flow.add_argument("--gpu", metavar="TYPE:COUNT", help="accelerators per worker, e.g. nvidia-l4:1")
    flow.add_argument("--machine-type", help="e.g. g2-standard-8 for an L4 GPU")
    flow.add_argument("--max-workers", type=_positive)
    run.set_defaults(func=cmd_run)

    submit = sub.add_parser("submit", help="validate a job and queue it for `adloc worker`; prints the job id")
    submit.add_argument("job", help="job spec YAML")
    _job_options(submit, out_required=True)
    submit.set_defaults(func=cmd_submit)

    status = sub.add_parser("status", help="a submitted job's state")
    status.add_argument("job_id")
    status.add_argument("--db", help=DB_HELP)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    worker = sub.add_parser("worker", help="run queued jobs one at a time; Beam options pass through")
    worker.add_argument("--db", help=DB_HELP)
    worker.add_argument("--once", action="store_true", help="stop when the queue is empty")
    worker.add_argument("--poll", type=float, default=10.0, help="seconds between looks at an empty queue")
    worker.set_defaults(func=cmd_worker)

    serve = sub.add_parser("serve", help="the web app: submit jobs, follow them, review items")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (another than this machine's needs ADLOC_WEB_TOKEN)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--db", help=DB_HELP)
    serve.add_argument("--out-root", default="out/jobs", help="folder or bucket URI under which each submitted job writes")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check-copy", help="run the copy checks on one source/target pair")
    check.add_argument("--source", required=True)
    check.add_argument("--target", required=True)
    check.add_argument("--locale", required=True)
    check.add_argument("--keep", action="append", default=[], help="do-not-translate term (repeatable)")
    check.add_argument("--max-chars", type=int, default=None)
    check.add_argument("--glossary", metavar="FILE",
                       help="glossary YAML (locale: {keep: [..], banned: [..], required: {term: rendering}})")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=cmd_check_copy)

    models = sub.add_parser("models", help="manage models").add_subparsers(dest="models_command", required=True)
    fetch = models.add_parser("fetch", help="fetch the embedded copy model into $ADLOC_HOME")
    fetch.add_argument("--force", action="store_true")
    fetch.set_defaults(func=cmd_models_fetch)
    from adloc.runners import loop

    loop.add_models_list(models, DB_HELP, cmd_loop)
    loop.add_parsers(sub, DB_HELP, _probability, _positive, cmd_loop)

    db = sub.add_parser("db", help="asset database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate the asset database to this version's schema")
    up.add_argument("--db", help=DB_HELP)
    up.set_defaults(func=cmd_db_upgrade)

    assets = sub.add_parser("assets", help="talent and catalog").add_subparsers(dest="assets_command", required=True)
    imp = assets.add_parser("import", help="import talent (CSV or YAML) with their images and rights")
    imp.add_argument("file", help="talent .csv or .yaml")
    imp.add_argument("--images", help="folder the image paths are relative to (default: the file's folder)")
    _store_options(imp)
    imp.set_defaults(func=cmd_assets_import)
    cat = assets.add_parser("import-catalog", help="import a catalog folder (templates/, catalog/)")
    cat.add_argument("folder")
    _store_options(cat)
    cat.set_defaults(func=cmd_assets_import_catalog)
    lst = assets.add_parser("list", help="list talent and where they may be used")
    lst.add_argument("--region", help="rights cover this region (ISO 3166, e.g. PT)")
    lst.add_argument("--status", choices=("active", "revoked"))
    lst.add_argument("--expiring-within", type=_days, metavar="DAYS", help="an active right ends within DAYS days")
    lst.add_argument("--on", type=_date, default=date.today().isoformat(), help="reference date (default today)")
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--db", help=DB_HELP)
    lst.set_defaults(func=cmd_assets_list)
    rev = assets.add_parser("revoke", help="take a talent out of every future run (takedown)")
    rev.add_argument("talent_id")
    rev.add_argument("--reason", required=True, help="why (kept with the talent)")
    rev.add_argument("--db", help=DB_HELP)
    rev.set_defaults(func=cmd_assets_revoke)
    use = assets.add_parser("usage", help="every published output that uses a talent")
    use.add_argument("talent_id")
    use.add_argument("--json", action="store_true")
    use.add_argument("--db", help=DB_HELP)
    use.set_defaults(func=cmd_assets_usage)

    review = sub.add_parser("review", help="decide on items sent to review").add_subparsers(
        dest="review_command", required=True)
    rlist = review.add_parser("list", help="items waiting for a decision")
    rlist.add_argument("--job", type=int, help="only this job run's items")
    rlist.add_argument("--json", action="store_true")
    rlist.add_argument("--db", help=DB_HELP)
    rlist.set_defaults(func=cmd_review_list)
    for command, decision, help_text in (
        ("approve", "approved", "approve an item; its lines enter the translation memory"),
        ("reject", "rejected", "reject an item; it becomes a labelled negative for the eval"),
    ):
        decide = review.add_parser(command, help=help_text)
        decide.add_argument("item", type=int)
        if command == "approve":
            decide.add_argument("--edit", action="append", metavar="SLOT=TEXT", help="the line as it should read")
        else:
            decide.add_argument("--reason", required=True)
        decide.add_argument("--reviewer", default=os.environ.get("USER"), help="who decided (default $USER)")
        decide.add_argument("--db", help=DB_HELP)
        decide.set_defaults(func=cmd_review_decide, decision=decision)

    templates = sub.add_parser("templates", help="templates").add_subparsers(dest="templates_command", required=True)
    timp = templates.add_parser("import", help="import template YAMLs (each beside its image)")
    timp.add_argument("files", nargs="+", metavar="TEMPLATE.yaml")
    _store_options(timp)
    timp.set_defaults(func=cmd_templates_import)
    return top


def main(argv: list[str] | None = None) -> int:
    # Beam and transformers are chatty at INFO and WARNING; ADLOC_LOG=INFO shows it all.
    logging.basicConfig(level=os.environ.get("ADLOC_LOG", "ERROR"))
    args, beam_args = parser().parse_known_args(argv)
    if beam_args and args.command not in ("run", "demo", "worker"):
        parser().error(f"unrecognized arguments: {' '.join(beam_args)}")
    return args.func(args, beam_args)


if __name__ == "__main__":
    sys.exit(main())
