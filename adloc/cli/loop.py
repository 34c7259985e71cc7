"""`adloc eval`, `adloc tune`, `adloc compare`: the closed loop from the command line (the steps
are `adloc.evals.loop`'s). Every result lands in the model registry (the asset DB)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from adloc.cli.options import add_db, positive, probability
from adloc.cli.options import engine as open_engine
from adloc.errors import AdlocError
from adloc.evals import loop


def _print_evals(evals) -> None:
    print(f"{'locale':<7} {'version':<52} {'chrF':>5} {'acceptable':>10} {'threshold':>9} {'coverage':>8}")
    for e in evals:
        threshold = "none" if e.threshold is None else f"{e.threshold:.3f}"
        print(f"{e.locale:<7} {e.version:<52} {e.chrf:>5.1f} {e.acceptable:>10.1%} {threshold:>9} {e.coverage:>8.1%}")


def _notes(args, evalset) -> list[str]:
    return [f"Eval set {evalset.root} (sha256 {evalset.digest[:12]}), split {args.split}"
            + (f", first {args.limit} lines" if args.limit else "") + ".",
            (f"A line is acceptable when every critical and functional check passes and it was judged acceptable "
             f"(examples/eval/judged/), or, for an output nobody judged, its chrF against the best reference is at "
             f"least {args.chrf_bar:g}. The threshold is the lowest confidence at which the lines "
             f"the gate ships reach precision {args.target_precision:g}; coverage is the share of all lines it ships.")]


def _recorded(args) -> str:
    if loop.full_eval(args):
        return "thresholds written to the model registry (`adloc models list`)"
    return "not recorded: only an eval of every held-out line (no --limit, --split heldout) calibrates the gate"


def eval_command(args, _beam_args) -> int:
    engine = open_engine(args)
    from adloc.assets_db import registry

    evalset = loop.load_set(args.set)
    locales = loop.pick_locales(evalset, args.locale)
    base_id = loop.base_id(args.model)
    adapters = args.adapters or registry.champion_adapters(registry.versions(engine, locales), base_id)
    evals, paths = loop.run_eval(engine, evalset, locales, args.model, adapters, args, loop.report_folder(args.out, "out/eval"),
                            "Copy model eval", _notes(args, evalset))
    _print_evals(evals)
    print(f"{_recorded(args)}; report: {paths['html']}")
    return 0


def tune_command(args, _beam_args) -> int:
    engine = open_engine(args)
    from adloc.assets_db import registry
    from adloc.evals.tune import TuneSettings, training_pairs, tune

    evalset = loop.load_set(args.set)
    (locale,) = loop.pick_locales(evalset, [args.locale])
    target = (Path(args.out) / locale).resolve()
    champion = registry.champions(engine, [locale]).get(locale)
    if champion and champion.adapter and Path(champion.adapter).resolve() == target:
        raise AdlocError(f"{target} holds the {locale} champion ({champion.version}), which runs use: "
                        f"tune into another folder (--out), then `adloc compare`")
    settings = TuneSettings(rank=args.rank, alpha=2 * args.rank, learning_rate=args.learning_rate, epochs=args.epochs,
                            batch_size=args.batch_size, max_pairs=args.max_pairs, seed=args.seed)
    pairs, counts = training_pairs(engine, evalset, locale, settings.max_pairs, settings.seed)
    print(f"{locale}: {counts['pairs']} pairs ({counts['from_memory']} from the translation memory, "
          f"{counts['from_tune_split']} from the tune split; {counts['held_out_excluded']} held-out lines left out)")
    loop.base_id(args.model)  # the base model must be there before training starts
    try:
        folder, metadata = tune(args.model, locale, pairs, counts, evalset, args.out, settings,
                                progress=sys.stderr.isatty())
    except ValueError as exc:  # e.g. no training pairs
        raise AdlocError(f"tune {locale}: {exc}") from None
    training = metadata["training"]
    print(f"adapter: {folder} ({training['steps']} steps, {training['examples_seen']} examples, "
          f"{training['seconds']:.0f} s on {training['device']}; loss per epoch {training['loss_per_epoch']})")
    if args.no_eval:
        return 0
    evals, paths = loop.run_eval(engine, evalset, [locale], args.model, {locale: str(folder)}, args,
                            loop.report_folder(args.eval_out, "out/eval"), f"Copy model eval: {locale} tuned", _notes(args, evalset))
    _print_evals(evals)
    print(f"{_recorded(args)}; report: {paths['html']}\n"
          f"next: adloc models shadow --locale {locale} --candidate {evals[0].version} --share 0.1 (live evidence "
          f"from the next runs), then adloc compare --locale {locale} --challenger {folder} --promote")
    return 0


def compare_command(args, _beam_args) -> int:
    engine = open_engine(args)
    from adloc.assets_db import registry
    from adloc.evals import eval_report
    from adloc.evals.promotion import judge, with_live

    evalset = loop.load_set(args.set)
    (locale,) = loop.pick_locales(evalset, [args.locale])
    base_id = loop.base_id(args.model)
    challenger = loop.one_adapter(args.challenger, locale)
    if args.champion:
        champion = {} if args.champion == "base" else loop.one_adapter(args.champion, locale)
    else:
        champion = registry.champion_adapters(registry.versions(engine, locale), base_id)
    if args.promote and not loop.full_eval(args):
        raise AdlocError("--promote needs the full held-out eval: drop --limit and --split")
    out = loop.report_folder(args.out, "out/compare")
    notes = _notes(args, evalset)
    old, _ = loop.run_eval(engine, evalset, [locale], args.model, champion, args, out, "champion", notes, stem="champion")
    new, _ = loop.run_eval(engine, evalset, [locale], args.model, challenger, args, out, "challenger", notes,
                      stem="challenger")
    offline = judge(old[0].summary(), new[0].summary())
    from adloc.services.live import shadow_evidence

    evidence = shadow_evidence(engine, locale, old[0].version, new[0].version)
    if evidence is None:
        said_live = (f"no live evidence: the challenger never ran in the champion's shadow (adloc models shadow "
                     f"--locale {locale} --candidate {new[0].version} --share 0.1, then reviewers' decisions)")
    else:
        said_live = "live: " + evidence.said()
    verdict = with_live(offline, evidence.non_inferior if evidence else None, said_live, args.offline_only)
    said = [f"Verdict: {'the challenger wins' if verdict.promote else 'the champion stays'}: "
            + "; ".join(verdict.reasons) + "."]
    paths = eval_report.write(out, f"Champion vs challenger: {locale}", [old[0], new[0]], said + notes, stem="compare")
    _print_evals([old[0], new[0]])
    print(f"verdict: {'the challenger wins' if verdict.promote else 'the champion stays'}")
    for reason in verdict.reasons:
        print(f"  {reason}")
    promoted = False
    if args.promote and verdict.promote:
        current = registry.champions(engine, [locale]).get(locale)
        if current is not None and current.version != old[0].version:
            raise AdlocError(f"the {locale} champion is {current.version}, not {old[0].version} that was compared: "
                            "compare against it (leave out --champion) to promote")
        previous = registry.promote(engine, locale, new[0].version)
        promoted = True
        print(f"promoted {new[0].version} to champion for {locale}" + (f"; {previous} retired" if previous else ""))
    elif verdict.promote:
        print(f"not promoted: add --promote to make {new[0].version} the champion")
    if args.json:
        print(json.dumps({"locale": locale, "champion": old[0].version, "challenger": new[0].version,
                          "promote": verdict.promote, "promoted": promoted, "reasons": verdict.reasons,
                          "offline_win": offline.promote, "live": evidence.to_json() if evidence else None,
                          "report": paths["html"]}))
    print(f"report: {paths['html']}")
    return 0


def _eval_options(parser: argparse.ArgumentParser) -> None:
    from adloc.evals.evaluate import CHRF_BAR, TARGET_PRECISION

    parser.add_argument("--set", default=str(loop.EVAL_SET), help="eval set folder (default: examples/eval)")
    parser.add_argument("--model", default="embedded", help="base copy model: 'embedded', a folder, a hub id or a .gguf")
    parser.add_argument("--split", default="heldout", choices=("heldout", "tune"))
    parser.add_argument("--target-precision", type=probability, default=TARGET_PRECISION,
                        help=f"precision the gate threshold must reach (default {TARGET_PRECISION})")
    parser.add_argument("--chrf-bar", type=float, default=CHRF_BAR,
                        help=f"chrF against the reference a line needs to be acceptable (default {CHRF_BAR:g})")
    parser.add_argument("--limit", type=positive, help="only the first N lines of each locale (a quick look)")
    parser.add_argument("--batch-size", type=positive, default=8)
    add_db(parser)


def register(sub) -> None:
    ev = sub.add_parser("eval", help="score the copy model on the held-out eval set and calibrate the gate")
    ev.add_argument("--locale", action="append", help="a locale of the eval set (repeatable; default all)")
    ev.add_argument("--adapters", metavar="DIR", help="evaluate these LoRA adapters (DIR/<locale>/) "
                    "instead of each locale's champion")
    ev.add_argument("--out", help="folder for eval.html, eval.md, eval.png, eval.json (default: a new "
                    "out/eval/<time>/)")
    _eval_options(ev)
    ev.set_defaults(func=eval_command)

    tu = sub.add_parser("tune", help="LoRA-tune the copy model for one locale on approved memory and the tune split")
    tu.add_argument("--locale", required=True)
    tu.add_argument("--out", default="adapters", help="adapters folder; the adapter goes to OUT/<locale>/")
    tu.add_argument("--epochs", type=positive, default=3)
    tu.add_argument("--rank", type=positive, default=8, help="LoRA rank (alpha is twice the rank)")
    tu.add_argument("--learning-rate", type=float, default=1e-3)
    tu.add_argument("--max-pairs", type=positive, default=500)
    tu.add_argument("--seed", type=int, default=0)
    tu.add_argument("--no-eval", action="store_true", help="skip the held-out eval after training")
    tu.add_argument("--eval-out", help="folder for the eval report after training (default: a new out/eval/<time>/)")
    _eval_options(tu)
    tu.set_defaults(func=tune_command)

    co = sub.add_parser("compare", help="champion vs challenger on the same held-out set; --promote if it wins")
    co.add_argument("--locale", required=True)
    co.add_argument("--challenger", required=True, metavar="ADAPTER", help="adapter folder (DIR or DIR/<locale>)")
    co.add_argument("--champion", metavar="ADAPTER|base",
                    help="default: the locale's champion in the model registry (else the base model)")
    co.add_argument("--promote", action="store_true", help="make the challenger the champion if it wins offline "
                    "and is live non-inferior in the champion's shadow (`adloc models shadow`)")
    co.add_argument("--offline-only", action="store_true",
                    help="decide on the offline eval alone (a locale with no live traffic to shadow yet)")
    co.add_argument("--out", help="folder for the side-by-side report (default: a new out/compare/<time>/)")
    co.add_argument("--json", action="store_true", help="also print the verdict as one JSON object")
    _eval_options(co)
    co.set_defaults(func=compare_command)
