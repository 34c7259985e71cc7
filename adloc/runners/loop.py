"""The closed loop from the command line: `adloc eval`, `adloc tune`, `adloc compare` and
`adloc models list`. Every result lands in the model registry (the asset DB)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EVAL_SET = Path(__file__).resolve().parents[2] / "examples" / "eval"


class LoopError(Exception):
    """A loop command that cannot go on; the message is for the person who ran it (exit 2)."""


def _evalset(path: str):
    from adloc.evals.evalset import EvalSetError, load

    try:
        return load(path)
    except EvalSetError as exc:
        raise LoopError(str(exc)) from None


def _locales(evalset, wanted: list[str] | None) -> list[str]:
    from adloc import locale as loc

    if not wanted:
        return evalset.locales
    out = []
    for tag in wanted:
        try:
            canonical = loc.canonical(tag)
        except ValueError as exc:
            raise LoopError(f"--locale {tag!r}: {exc}") from None
        if canonical not in evalset.lines:
            raise LoopError(f"--locale {tag}: the eval set {evalset.root} has no references for it "
                            f"(it has {', '.join(evalset.locales)})")
        out.append(canonical)
    return out


def _base_id(model: str) -> str:
    from adloc.models.copy_llm import resolve

    try:
        return resolve(model)[2]
    except FileNotFoundError as exc:
        raise LoopError(str(exc)) from None


def _handler(model: str, adapters, batch_size: int):
    from adloc.models.copy_llm import AdapterError, CopyModelHandler

    _base_id(model)
    try:
        return CopyModelHandler(model, batch_size=batch_size, adapters=adapters)
    except AdapterError as exc:
        raise LoopError(str(exc)) from None


def _one_adapter(path: str, locale: str) -> dict[str, str]:
    """An adapter folder given for one locale: DIR/<locale>/ or DIR itself, tuned for `locale`."""
    from adloc.evals.tune import read_metadata

    folder = Path(path)
    if (folder / locale / "adapter_config.json").is_file():
        folder = folder / locale
    if not (folder / "adapter_config.json").is_file():
        raise LoopError(f"{path}: not a LoRA adapter for {locale} (no adapter_config.json in it or in {locale}/)")
    tuned_for = read_metadata(folder).get("locale") or folder.name
    if tuned_for != locale:
        raise LoopError(f"{folder}: an adapter for {tuned_for}, not {locale}")
    return {locale: str(folder.resolve())}


def _out(out: str | None, default: str) -> str:
    """The report folder: as given, else a new one per run under `default` (reports the model
    registry links to are never overwritten by a later eval)."""
    from datetime import UTC, datetime

    out = out or str(Path(default) / datetime.now(UTC).strftime("%Y%m%d-%H%M%S"))
    return out if "://" in out else str(Path(out).resolve())


def full_eval(args) -> bool:
    """Only an eval of every held-out line calibrates the gate and goes into the registry."""
    return args.split == "heldout" and not args.limit


def run_eval(engine, evalset, locales: list[str], model: str, adapters, args, out: str, title: str,
             notes: list[str], stem: str = "eval") -> tuple[list, dict]:
    """Evaluate one model (with its per-locale adapters) on each locale and write the report into
    `out`. A full held-out eval records each version's results and calibrated threshold in the
    registry (one transaction) and in its adapter's metadata."""
    from adloc.assets_db import registry
    from adloc.assets_db.queries import translation_memory
    from adloc.assets_db.review import rejected_model_lines
    from adloc.evals import eval_report
    from adloc.evals.evaluate import evaluate
    from adloc.evals.tune import learnt_from, write_eval_metadata

    handler = _handler(model, adapters, args.batch_size)
    adapter_of = handler.adapter_folders()
    for locale, folder in adapter_of.items():
        seen = learnt_from(folder, [line.source for line in evalset.split(locale, args.split)])
        if seen:
            raise LoopError(f"{folder} was trained on {len(seen)} of the {args.split} lines it would be scored on "
                            f"(e.g. {seen[0]!r}): the eval set's split changed since; tune it again")
    lm = handler.load_model()
    memory = translation_memory(engine, set(locales))
    evals = [evaluate(evalset, locale, handler, lm, args.split, args.chrf_bar, args.target_precision, args.limit,
                      progress=sys.stderr.isatty(), rejected=rejected_model_lines(engine, locale),
                      memory=memory[locale])
             for locale in locales]
    paths = eval_report.write(out, title, evals, notes, stem)
    if full_eval(args):
        summaries = {e.locale: {**e.summary(), "report": paths["html"]} for e in evals}
        registry.record_evals(engine, [registry.EvalRecord(e.locale, e.version, model, adapter_of.get(e.locale, ""),
                                                           e.threshold, e.target_precision, summaries[e.locale])
                                       for e in evals])
        for locale, folder in adapter_of.items():
            write_eval_metadata(folder, summaries[locale])
    return evals, paths


def _print_evals(evals) -> None:
    print(f"{'locale':<7} {'version':<52} {'chrF':>5} {'acceptable':>10} {'threshold':>9} {'coverage':>8}")
    for e in evals:
        threshold = "none" if e.threshold is None else f"{e.threshold:.3f}"
        print(f"{e.locale:<7} {e.version:<52} {e.chrf:>5.1f} {e.acceptable:>10.1%} {threshold:>9} {e.coverage:>8.1%}")


def _notes(args, evalset) -> list[str]:
    return [f"Eval set {evalset.root} (sha256 {evalset.digest[:12]}), split {args.split}"
            + (f", first {args.limit} lines" if args.limit else "") + ".",
            (f"A line is acceptable when every critical and functional check passes and its chrF against the "
             f"reference is at least {args.chrf_bar:g}. The threshold is the lowest confidence at which the lines "
             f"the gate ships reach precision {args.target_precision:g}; coverage is the share of all lines it ships.")]


def _recorded(args) -> str:
    if full_eval(args):
        return "thresholds written to the model registry (`adloc models list`)"
    return "not recorded: only an eval of every held-out line (no --limit, --split heldout) calibrates the gate"


def cmd_eval(args, engine) -> int:
    from adloc.assets_db import registry

    evalset = _evalset(args.set)
    locales = _locales(evalset, args.locale)
    base_id = _base_id(args.model)
    adapters = args.adapters or registry.champion_adapters(registry.versions(engine, locales), base_id)
    evals, paths = run_eval(engine, evalset, locales, args.model, adapters, args, _out(args.out, "out/eval"),
                            "Copy model eval", _notes(args, evalset))
    _print_evals(evals)
    print(f"{_recorded(args)}; report: {paths['html']}")
    return 0


def cmd_tune(args, engine) -> int:
    from adloc.assets_db import registry
    from adloc.evals.tune import TuneSettings, training_pairs, tune

    evalset = _evalset(args.set)
    (locale,) = _locales(evalset, [args.locale])
    target = (Path(args.out) / locale).resolve()
    champion = registry.champions(engine, [locale]).get(locale)
    if champion and champion.adapter and Path(champion.adapter).resolve() == target:
        raise LoopError(f"{target} holds the {locale} champion ({champion.version}), which runs use: "
                        f"tune into another folder (--out), then `adloc compare`")
    settings = TuneSettings(rank=args.rank, alpha=2 * args.rank, learning_rate=args.learning_rate, epochs=args.epochs,
                            batch_size=args.batch_size, max_pairs=args.max_pairs, seed=args.seed)
    pairs, counts = training_pairs(engine, evalset, locale, settings.max_pairs, settings.seed)
    print(f"{locale}: {counts['pairs']} pairs ({counts['from_memory']} from the translation memory, "
          f"{counts['from_tune_split']} from the tune split; {counts['held_out_excluded']} held-out lines left out)")
    _base_id(args.model)  # the base model must be there before training starts
    try:
        folder, metadata = tune(args.model, locale, pairs, counts, evalset, args.out, settings,
                                progress=sys.stderr.isatty())
    except ValueError as exc:
        raise LoopError(str(exc)) from None
    training = metadata["training"]
    print(f"adapter: {folder} ({training['steps']} steps, {training['examples_seen']} examples, "
          f"{training['seconds']:.0f} s on {training['device']}; loss per epoch {training['loss_per_epoch']})")
    if args.no_eval:
        return 0
    evals, paths = run_eval(engine, evalset, [locale], args.model, {locale: str(folder)}, args,
                            _out(args.eval_out, "out/eval"), f"Copy model eval: {locale} tuned", _notes(args, evalset))
    _print_evals(evals)
    print(f"{_recorded(args)}; report: {paths['html']}\n"
          f"next: adloc compare --locale {locale} --challenger {folder} --promote")
    return 0


def cmd_compare(args, engine) -> int:
    from adloc.assets_db import registry
    from adloc.evals import eval_report
    from adloc.evals.promotion import judge

    evalset = _evalset(args.set)
    (locale,) = _locales(evalset, [args.locale])
    base_id = _base_id(args.model)
    challenger = _one_adapter(args.challenger, locale)
    if args.champion:
        champion = {} if args.champion == "base" else _one_adapter(args.champion, locale)
    else:
        champion = registry.champion_adapters(registry.versions(engine, locale), base_id)
    if args.promote and not full_eval(args):
        raise LoopError("--promote needs the full held-out eval: drop --limit and --split")
    out = _out(args.out, "out/compare")
    notes = _notes(args, evalset)
    old, _ = run_eval(engine, evalset, [locale], args.model, champion, args, out, "champion", notes, stem="champion")
    new, _ = run_eval(engine, evalset, [locale], args.model, challenger, args, out, "challenger", notes,
                      stem="challenger")
    verdict = judge(old[0].summary(), new[0].summary())
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
            raise LoopError(f"the {locale} champion is {current.version}, not {old[0].version} that was compared: "
                            "compare against it (leave out --champion) to promote")
        try:
            previous = registry.promote(engine, locale, new[0].version)
        except registry.RegistryError as exc:
            raise LoopError(str(exc)) from None
        promoted = True
        print(f"promoted {new[0].version} to champion for {locale}" + (f"; {previous} retired" if previous else ""))
    elif verdict.promote:
        print(f"not promoted: add --promote to make {new[0].version} the champion")
    if args.json:
        print(json.dumps({"locale": locale, "champion": old[0].version, "challenger": new[0].version,
                          "promote": verdict.promote, "promoted": promoted, "reasons": verdict.reasons,
                          "report": paths["html"]}))
    print(f"report: {paths['html']}")
    return 0


def cmd_models_list(args, engine) -> int:
    from adloc.assets_db import registry

    rows = registry.versions(engine, args.locale)
    if args.json:
        print(json.dumps([{"locale": v.locale, "version": v.version, "status": v.status, "adapter": v.adapter,
                           "threshold": v.threshold, "target_precision": v.target_precision,
                           "coverage": v.eval.get("coverage"), "chrf": v.eval.get("chrf"),
                           "report": v.eval.get("report")} for v in rows], indent=2))
        return 0
    for v in rows:
        threshold = "none" if v.threshold is None else f"{v.threshold:.3f}"
        print(f"{v.locale:<7} {v.status:<9} {v.version:<52} threshold {threshold:<6} "
              f"coverage {v.eval.get('coverage', 0):.1%} chrF {v.eval.get('chrf', 0):.1f}")
    if not rows:
        print("no model versions yet: run `adloc eval`")
    return 0


def _eval_options(parser: argparse.ArgumentParser, db_help: str, probability, positive) -> None:
    from adloc.evals.evaluate import CHRF_BAR, TARGET_PRECISION

    parser.add_argument("--set", default=str(EVAL_SET), help="eval set folder (default: examples/eval)")
    parser.add_argument("--model", default="embedded", help="base copy model: 'embedded', a folder, a hub id or a .gguf")
    parser.add_argument("--split", default="heldout", choices=("heldout", "tune"))
    parser.add_argument("--target-precision", type=probability, default=TARGET_PRECISION,
                        help=f"precision the gate threshold must reach (default {TARGET_PRECISION})")
    parser.add_argument("--chrf-bar", type=float, default=CHRF_BAR,
                        help=f"chrF against the reference a line needs to be acceptable (default {CHRF_BAR:g})")
    parser.add_argument("--limit", type=positive, help="only the first N lines of each locale (a quick look)")
    parser.add_argument("--batch-size", type=positive, default=8)
    parser.add_argument("--db", help=db_help)


def add_parsers(sub, db_help: str, probability, positive, func) -> None:
    ev = sub.add_parser("eval", help="score the copy model on the held-out eval set and calibrate the gate")
    ev.add_argument("--locale", action="append", help="a locale of the eval set (repeatable; default all)")
    ev.add_argument("--adapters", metavar="DIR", help="evaluate these LoRA adapters (DIR/<locale>/) "
                    "instead of each locale's champion")
    ev.add_argument("--out", help="folder for eval.html, eval.md, eval.png, eval.json (default: a new "
                    "out/eval/<time>/)")
    _eval_options(ev, db_help, probability, positive)
    ev.set_defaults(loop=cmd_eval, func=func)

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
    _eval_options(tu, db_help, probability, positive)
    tu.set_defaults(loop=cmd_tune, func=func)

    co = sub.add_parser("compare", help="champion vs challenger on the same held-out set; --promote if it wins")
    co.add_argument("--locale", required=True)
    co.add_argument("--challenger", required=True, metavar="ADAPTER", help="adapter folder (DIR or DIR/<locale>)")
    co.add_argument("--champion", metavar="ADAPTER|base",
                    help="default: the locale's champion in the model registry (else the base model)")
    co.add_argument("--promote", action="store_true", help="make the challenger the champion if it wins")
    co.add_argument("--out", help="folder for the side-by-side report (default: a new out/compare/<time>/)")
    co.add_argument("--json", action="store_true", help="also print the verdict as one JSON object")
    _eval_options(co, db_help, probability, positive)
    co.set_defaults(loop=cmd_compare, func=func)


def add_models_list(models_sub, db_help: str, func) -> None:
    ls = models_sub.add_parser("list", help="copy-model versions per locale: champion, candidates, thresholds")
    ls.add_argument("--locale")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--db", help=db_help)
    ls.set_defaults(loop=cmd_models_list, func=func)
