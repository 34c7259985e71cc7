"""Argument types and option groups shared by the command modules."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

DB_HELP = "asset DB SQLAlchemy URL (default: $ADLOC_DB or a SQLite file)"


def out_uri(out: str) -> str:
    """A bucket URI as given; a local folder made absolute."""
    return out if "://" in out else str(Path(out).resolve())


def db_url(args) -> str:
    """`--db`, else $ADLOC_DB, else the SQLite default."""
    from adloc.assets_db.engine import default_url

    return getattr(args, "db", None) or default_url()


def engine(args):
    """The asset database of `--db`, ready to use (there, and at this version's schema)."""
    from adloc.assets_db.engine import open_engine

    return open_engine(db_url(args))


def iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1")
    return value


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days")
    return int(text)


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help=DB_HELP)


def add_store(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--store", help="asset store folder or bucket URI (default: $ADLOC_ASSETS or $ADLOC_HOME/assets)")


def add_job_options(parser: argparse.ArgumentParser, out_required: bool) -> None:
    """The options of a job run (`demo`, `run`, `submit`): output, database, models, date, gate."""
    parser.add_argument("--out", required=out_required, default="out/demo",
                        help="output folder or bucket URI (gs://..., s3://...)")
    add_db(parser)
    parser.add_argument("--copy-model", default="embedded",
                        help="copy LLM: 'embedded', a transformers hub id, a local folder or a .gguf file")
    parser.add_argument("--copy-dtype", default="auto", choices=("auto", "float32", "bfloat16", "int8"),
                        help="how the copy model runs on a CPU (default: the embedded model's measured choice, "
                             "else float32)")
    parser.add_argument("--adapters", metavar="DIR", default=None,
                        help="locale tuning: peft LoRA adapters in DIR/<locale>/ (e.g. DIR/de-DE/)")
    parser.add_argument("--inpainter", default=None,
                        help="diffusers inpainting checkpoint (hub id or folder); default: the deterministic blend")
    parser.add_argument("--inpaint-batch", dest="inpaint_batch_size", type=positive, default=1, metavar="N",
                        help="images per diffusion call, always N (padded) so outputs do not depend on batching")
    parser.add_argument("--run-date", type=iso_date, default=date.today().isoformat(),
                        help="date the talent rights are checked against (YYYY-MM-DD; default today)")
    parser.add_argument("--threshold", type=probability, default=None,
                        help="gate score a model line needs to ship without review, in every locale (default: each "
                             "locale's calibrated threshold; a locale never calibrated sends model lines to review)")
    parser.add_argument("--audit-share", type=probability, default=0.05, metavar="SHARE",
                        help="share of the items the gate approves that reviewers also audit, chosen by the item "
                             "and the job (a rerun audits the same ones; default 0.05)")
    parser.add_argument("--no-shadow", dest="shadow", action="store_false",
                        help="leave out the shadow candidates the model registry holds (`adloc models shadow`)")
    parser.add_argument("--gate", default="auto", metavar="auto|none|FILE",
                        help="the learned gate: auto (the one shipped for the copy model, if any), none (token "
                             "confidence), or a gate file of `adloc gate train`")


def model_options(args):
    """The `ModelOptions` of a job command's arguments."""
    from adloc.services.jobs import ModelOptions

    return ModelOptions(copy_model=args.copy_model, copy_dtype=args.copy_dtype, adapters=args.adapters, inpainter=args.inpainter,
                        inpaint_batch_size=args.inpaint_batch_size, threshold=args.threshold,
                        audit_share=args.audit_share, shadow=args.shadow,
                        # A gate file by its absolute path: a queued job runs in the worker's folder.
                        gate=args.gate if args.gate in ("auto", "none") else str(Path(args.gate).resolve()))
