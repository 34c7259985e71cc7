"""The closed loop's steps, for `adloc eval`, `adloc tune` and `adloc compare`: pick the eval set and
its locales, evaluate a model with its adapters and record the result in the model registry (the
asset DB). Errors are `AdlocError`s naming the value to change."""

from __future__ import annotations

import sys
from pathlib import Path

from adloc.errors import AdlocError

EVAL_SET = Path(__file__).resolve().parents[2] / "examples" / "eval"


def load_set(path: str):
    from adloc.evals.evalset import load

    return load(path)


def pick_locales(evalset, wanted: list[str] | None) -> list[str]:
    from adloc import locale as loc

    if not wanted:
        return evalset.locales
    out = []
    for tag in wanted:
        try:
            canonical = loc.canonical(tag)
        except ValueError as exc:
            raise AdlocError(f"locale {tag!r}: {exc}") from None
        if canonical not in evalset.lines:
            raise AdlocError(f"locale {tag}: the eval set {evalset.root} has no references for it "
                            f"(it has {', '.join(evalset.locales)})")
        out.append(canonical)
    return out


def base_id(model: str) -> str:
    from adloc.models.copy_llm import resolve

    return resolve(model)[2]


def copy_handler(model: str, adapters, batch_size: int):
    from adloc.models.copy_llm import CopyModelHandler

    base_id(model)
    return CopyModelHandler(model, batch_size=batch_size, adapters=adapters)


def one_adapter(path: str, locale: str) -> dict[str, str]:
    """An adapter folder given for one locale: DIR/<locale>/ or DIR itself, tuned for `locale`."""
    from adloc.evals.tune import read_metadata

    folder = Path(path)
    if (folder / locale / "adapter_config.json").is_file():
        folder = folder / locale
    if not (folder / "adapter_config.json").is_file():
        raise AdlocError(f"{path}: not a LoRA adapter for {locale} (no adapter_config.json in it or in {locale}/)")
    tuned_for = read_metadata(folder).get("locale") or folder.name
    if tuned_for != locale:
        raise AdlocError(f"{folder}: an adapter for {tuned_for}, not {locale}")
    return {locale: str(folder.resolve())}


def report_folder(out: str | None, default: str) -> str:
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

    handler = copy_handler(model, adapters, args.batch_size)
    adapter_of = handler.adapter_folders()
    for locale, folder in adapter_of.items():
        seen = learnt_from(folder, [line.source for line in evalset.split(locale, args.split)])
        if seen:
            raise AdlocError(f"{folder} was trained on {len(seen)} of the {args.split} lines it would be scored on "
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
