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


def _settings(args, db_url: str):
    from adloc.models.gate import Gate
    from adloc.pipelines.job import RunSettings

    return RunSettings(
        db_url=db_url, out=_out_uri(args.out), copy_model=args.copy_model, inpainter=args.inpainter,
        run_date=args.run_date, gate=Gate(default_threshold=args.threshold),
    )


def _run_job(job_path: Path, args, db_url: str, beam_args: list[str]) -> int:
    from adloc.jobspec import JobSpecError, load_job
    from adloc.pipelines import job as job_pipeline

    try:
        job = load_job(job_path)
        settings = _settings(args, db_url)
        print(f"running {job.job}: {len(job.creatives)} creatives x {len(job.locales)} locales on Beam", flush=True)
        items = job_pipeline.run(job, str(job_path), settings, beam_args)
    except JobSpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:  # a model or checkpoint that is not there
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from apache_beam.io.filesystems import FileSystems

    print(f"{len(items)} items: {_summary(settings.out)}")
    print(f"report: {FileSystems.join(settings.out, 'report.html')}")
    return 0


def _summary(out: str) -> str:
    from collections import Counter

    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(FileSystems.join(out, "manifest.jsonl")) as handle:
        statuses = Counter(json.loads(line)["status"] for line in handle.read().decode().splitlines())
    return ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(statuses.items()))


def cmd_run(args, beam_args: list[str]) -> int:
    from adloc.assets_db.engine import default_url

    return _run_job(Path(args.job), args, args.db or default_url(), beam_args)


def cmd_demo(args, beam_args: list[str]) -> int:
    from adloc.assets_db.catalog import import_catalog
    from adloc.assets_db.engine import default_url, engine_for

    db_url = args.db or default_url()
    counts = import_catalog(engine_for(db_url), EXAMPLES)
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
    results = check_copy(args.source, args.target, args.locale, tuple(args.keep), args.max_chars)
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


def cmd_assets_import(args, _beam_args) -> int:
    from adloc.assets_db.catalog import CatalogError, import_catalog
    from adloc.assets_db.engine import default_url, engine_for

    try:
        counts = import_catalog(engine_for(args.db or default_url()), args.folder)
    except (CatalogError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(counts))
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
    parser.add_argument("--db", help="asset DB SQLAlchemy URL (default: $ADLOC_DB or a SQLite file)")
    parser.add_argument("--copy-model", default="embedded",
                        help="copy LLM: 'embedded', a transformers hub id, a local folder or a .gguf file")
    parser.add_argument("--inpainter", default=None,
                        help="diffusers inpainting checkpoint (hub id or folder); default: the deterministic blend")
    parser.add_argument("--run-date", type=_date, default=date.today().isoformat(),
                        help="date the talent rights are checked against (YYYY-MM-DD; default today)")
    parser.add_argument("--threshold", type=_probability, default=0.5,
                        help="confidence a model line needs to ship without review (default 0.5)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="adloc", description="Localize ad creatives in batch.")
    sub = top.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the sample job on the embedded defaults")
    _job_options(demo, out_required=False)
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="run one job; Beam options (--runner, ...) pass through")
    run.add_argument("job", help="job spec YAML")
    _job_options(run, out_required=True)
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check-copy", help="run the copy checks on one source/target pair")
    check.add_argument("--source", required=True)
    check.add_argument("--target", required=True)
    check.add_argument("--locale", required=True)
    check.add_argument("--keep", action="append", default=[], help="do-not-translate term (repeatable)")
    check.add_argument("--max-chars", type=int, default=None)
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=cmd_check_copy)

    models = sub.add_parser("models", help="manage models").add_subparsers(dest="models_command", required=True)
    fetch = models.add_parser("fetch", help="fetch the embedded copy model into $ADLOC_HOME")
    fetch.add_argument("--force", action="store_true")
    fetch.set_defaults(func=cmd_models_fetch)

    assets = sub.add_parser("assets", help="asset database").add_subparsers(dest="assets_command", required=True)
    imp = assets.add_parser("import-catalog", help="import a catalog folder (templates/, catalog/)")
    imp.add_argument("folder")
    imp.add_argument("--db")
    imp.set_defaults(func=cmd_assets_import)
    return top


def main(argv: list[str] | None = None) -> int:
    # Beam and transformers are chatty at INFO and WARNING; ADLOC_LOG=INFO shows it all.
    logging.basicConfig(level=os.environ.get("ADLOC_LOG", "ERROR"))
    args, beam_args = parser().parse_known_args(argv)
    if beam_args and args.command not in ("run", "demo"):
        parser().error(f"unrecognized arguments: {' '.join(beam_args)}")
    return args.func(args, beam_args)


if __name__ == "__main__":
    sys.exit(main())
