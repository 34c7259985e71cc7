"""`adloc gate collect` (the model's lines for every eval line), `adloc gate train` (the learned gate
from them and the judged set, recorded in the model registry), `adloc gate list` and `adloc gate
promote`; `adloc.evals.gate_train` does the work."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from adloc.cli.options import add_db, engine, positive, probability
from adloc.errors import AdlocError
from adloc.evals import loop
from adloc.models import acceptability
from adloc.models.acceptability import GATES
from adloc.settings import home


def register(sub) -> None:
    gate = sub.add_parser("gate", help="the learned acceptability gate").add_subparsers(dest="gate_command",
                                                                                       required=True)
    co = gate.add_parser("collect", help="the copy model's line for every eval line (tune and held-out), "
                                         "with its token log-probabilities, as JSONL")
    co.add_argument("--model", default="embedded", help="base copy model: 'embedded', a name, a folder or a .gguf")
    co.add_argument("--locale", action="append", help="a locale of the eval set (repeatable; default all)")
    co.add_argument("--set", default=str(loop.EVAL_SET))
    co.add_argument("--split", choices=("tune", "heldout"), help="only this split (default: both)")
    co.add_argument("--batch-size", type=positive, default=8)
    co.add_argument("--round-trip", action="store_true",
                    help="also score each line's round trip (a gate feature; one more forward pass a line)")
    co.add_argument("--out", required=True, help="JSONL file to write")
    co.set_defaults(func=collect_command)

    tr = gate.add_parser("train", help="train the gate on the judged tune lines, calibrate per locale, "
                                       "measure on the held-out lines")
    tr.add_argument("--outputs", help="JSONL of `adloc gate collect` for the model the gate is for (default: "
                                      "collect them now with --model, beside the gate file)")
    tr.add_argument("--model", default="embedded", help="the copy model to collect lines of, without --outputs")
    tr.add_argument("--set", default=str(loop.EVAL_SET))
    tr.add_argument("--target-precision", type=probability, default=0.95)
    tr.add_argument("--out", help="gate file to write (default: gates/<model id>.json; the gate that ships with "
                                  "adloc is adloc/gates/<model id>.json)")
    tr.add_argument("--report", help="also write the training report as JSON here")
    tr.add_argument("--plot", help="also write the held-out precision-coverage plot (PNG) here")
    tr.add_argument("--promote", action="store_true",
                    help="make it the model's champion gate if it wins against the current one on the same eval")
    add_db(tr)
    tr.set_defaults(func=train_command)

    ls = gate.add_parser("list", help="learned gates per base model: champion, candidates, held-out coverage")
    ls.add_argument("--json", action="store_true")
    add_db(ls)
    ls.set_defaults(func=list_command)

    pr = gate.add_parser("promote", help="make a recorded gate its model's champion (no eval: a deliberate choice; "
                                         "refused where it ran in a shadow and did worse live)")
    pr.add_argument("version", help="gate@… as `adloc gate list` shows it")
    pr.add_argument("--model", required=True, help="the base model id it gates, as `adloc gate list` shows it")
    pr.add_argument("--offline-only", action="store_true",
                    help="promote even where its live evidence in a shadow says the champion is better")
    add_db(pr)
    pr.set_defaults(func=promote_command)


def _collect(evalset, locales: list[str], model: str, out: Path, batch_size: int = 8, round_trip: bool = False,
             splits: tuple[str, ...] = ("tune", "heldout")) -> None:
    """The model's lines for the eval lines, written to `out` (`gate_train.collect`)."""
    from adloc.evals.gate_train import collect
    from adloc.models.copy_llm import CopyModelHandler

    handler = CopyModelHandler(model, batch_size=batch_size, round_trip=round_trip)
    rows = collect(evalset, locales, handler, handler.load_model(), out, progress=sys.stderr.isatty(), splits=splits)
    print(f"{len(rows)} lines of {rows[0].model if rows else model} written to {out}")


def collect_command(args, _beam_args) -> int:
    evalset = loop.load_set(args.set)
    _collect(evalset, loop.pick_locales(evalset, args.locale), args.model, Path(args.out), args.batch_size,
             args.round_trip, (args.split,) if args.split else ("tune", "heldout"))
    return 0


def train_command(args, _beam_args) -> int:
    from adloc.evals.gate_train import dataset, print_report, read_outputs, train

    evalset = loop.load_set(args.set)
    if not args.outputs:
        from adloc.models.copy_llm import model_id

        folder = Path(args.out).parent if args.out else Path("gates")
        args.outputs = str(folder / f"{model_id(args.model)}.lines.jsonl")
        _collect(evalset, evalset.locales, args.model, Path(args.outputs))
    path = Path(args.outputs)
    if not path.is_file():
        raise AdlocError(f"--outputs {args.outputs}: no such file (write it with `adloc gate collect`)")
    try:
        outputs = read_outputs(path, evalset)
    except (ValueError, OSError) as exc:
        raise AdlocError(f"--outputs {args.outputs}: {exc}") from None
    bases = {o.model.split("+")[0] for o in outputs}
    if len(bases) != 1:
        raise AdlocError(f"--outputs {args.outputs}: lines of several models ({', '.join(sorted(bases))}); "
                         "a gate is trained for one")
    (base,) = bases
    from adloc.assets_db import registry
    from adloc.assets_db.review import gate_lessons
    from adloc.evals.gate_train import review_examples
    from adloc.evals.promotion import judge_gates

    db = engine(args)
    lessons = review_examples(gate_lessons(db, base), evalset)
    examples = dataset(evalset, outputs) + lessons
    if lessons:
        print(f"{len(lessons)} reviewed lines of {base} from the database join the tune lines")
    try:
        gate, report = train(examples, base, args.target_precision)
    except ValueError as exc:
        raise AdlocError(f"gate train: {exc}") from None
    evaluation = {"base_model": base, "set_digest": evalset.digest, "target_precision": args.target_precision,
                  "mean_coverage": report["learned"]["mean_coverage"], "auc": report["learned"]["auc"],
                  "per_locale": report["learned"]["per_locale"], "confidence": report["confidence"],
                  "lines": report["lines"]}
    gate = replace(gate, eval=evaluation)  # the eval is not part of the version
    out = (Path(args.out) if args.out else Path("gates") / f"{base}.json").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    gate.save(out)
    # The registry keeps its own copy, by version: what it records cannot move or change under it.
    kept = home() / "gates" / f"{gate.version.replace('@', '-')}.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    gate.save(kept)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.plot:
        from adloc.evals.gate_train import plot

        Path(args.plot).write_bytes(plot(report))
    print_report(report)
    # The champion: the registry's, else the gate that ships for the model (then a new gate is a
    # candidate: the first gate trained never replaces the shipped one without winning).
    champion = registry.champion_gate(db, base)
    shipped_path = GATES / f"{base}.json"
    shipped = acceptability.load(shipped_path) if champion is None and shipped_path.is_file() else None
    recorded = registry.record_gate(db, base, gate.version, str(kept), evaluation, champion_if_first=shipped is None)
    print(f"{gate.version} written to {out}; recorded as {recorded.status} for {base}")
    current = (champion.version, champion.eval) if champion else (shipped.version, shipped.eval) if shipped else None
    if current is None or current[0] == gate.version:
        return 0
    try:
        verdict = judge_gates(current[1], evaluation)
    except ValueError as exc:
        print(f"not compared with the champion {current[0]}: {exc}")
        return 0
    print(f"against the champion {current[0]}: {'the new gate wins' if verdict.promote else 'the champion stays'}")
    for reason in verdict.reasons:
        print(f"  {reason}")
    if args.promote and verdict.promote:
        registry.promote_gate(db, base, gate.version)
        print(f"promoted {gate.version}; {current[0]} retired")
    elif verdict.promote:
        print(f"not promoted: add --promote, or `adloc gate promote {gate.version} --model {base}`")
    return 0


def list_command(args, _beam_args) -> int:
    from adloc.assets_db import registry

    rows = registry.gate_versions(engine(args))
    if args.json:
        print(json.dumps([{"base_model": g.base_model, "version": g.version, "status": g.status, "path": g.path,
                           "mean_coverage": g.eval.get("mean_coverage"), "per_locale": g.eval.get("per_locale")}
                          for g in rows], indent=2))
        return 0
    for g in rows:
        print(f"{g.base_model:<40} {g.status:<9} {g.version:<18} mean held-out coverage "
              f"{g.eval.get('mean_coverage', 0):.1%}  {g.path}")
    if not rows:
        print(f"no gates recorded: runs use the gate shipped for their model ({GATES}), if any; "
              "train one with `adloc gate train`")
    return 0


def promote_command(args, _beam_args) -> int:
    from adloc.assets_db import registry
    from adloc.services.live import shadow_report

    db = engine(args)
    evidence = [f for f in shadow_report(db) if f.candidate.version == args.version]
    for f in evidence:
        print(f"live, {f.locale} (beside {f.champion.version}, gate {f.gate}): {f.said()}")
    worse = [f.locale for f in evidence if f.non_inferior is False]
    if worse and not args.offline_only:
        raise AdlocError(f"gate promote {args.version}: in its shadow the champion's live precision was better by "
                         f"more than the interval in {', '.join(worse)}; not promoted (--offline-only to promote "
                         "regardless)")
    if not evidence:
        print(f"no live evidence: {args.version} never ran in a shadow (`adloc models shadow --candidate "
              f"{args.version}`)")
    previous = registry.promote_gate(db, args.model, args.version)
    print(f"{args.version} is the champion gate of {args.model}" + (f"; {previous} retired" if previous else ""))
    return 0
