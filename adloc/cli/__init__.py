"""The `adloc` command: one small module per command group, each registering its subcommands
(`register(subparsers)`) and running them through functions the tests call directly. Errors of the
`AdlocError` family are caught here, once: the message on stderr, exit 2."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from adloc.cli import assets, db, gate, jobs, loop, models, review, run, serve, text, tm

# In `adloc --help` order.
COMMANDS = (run, jobs, serve, text, models, loop, gate, db, assets, review, tm)
BEAM_COMMANDS = ("run", "demo", "worker")  # Beam options pass through to these


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="adloc", description="Localize ad creatives in batch.")
    sub = top.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    from adloc.errors import AdlocError

    # Beam and transformers are chatty at INFO and WARNING; ADLOC_LOG=INFO shows it all.
    logging.basicConfig(level=os.environ.get("ADLOC_LOG", "ERROR"))
    top = parser()
    args, beam_args = top.parse_known_args(argv)
    if beam_args and args.command not in BEAM_COMMANDS:
        top.error(f"unrecognized arguments: {' '.join(beam_args)}")
    try:
        return args.func(args, beam_args)
    except AdlocError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
