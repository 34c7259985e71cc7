"""Which sentence encoder tells a right localization from a wrong one: USE multilingual v3 against
multilingual-e5-small, on the eval set.

    .venv/bin/python benchmarks/similarity.py [--outputs FILE.jsonl]

Per encoder: ROC-AUC of source-reference similarity against source-(another line's reference)
similarity, per locale (a wrong line that is fluent and on topic); ROC-AUC on the labelled set's good
against bad lines (bad in the ways the checks name); with --outputs (of `adloc gate collect`), ROC-AUC
on the judged model outputs, acceptable against unacceptable (the case the gate faces); and
milliseconds per line. Writes benchmarks/results/similarity.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def auc(good: list[float], bad: list[float]) -> float | None:
    from sklearn.metrics import roc_auc_score

    if not good or not bad:
        return None
    return round(float(roc_auc_score([1] * len(good) + [0] * len(bad), good + bad)), 4)


def main() -> int:
    from adloc.evals.evalset import load
    from adloc.evals.gate_train import read_outputs
    from adloc.models import similarity

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", help="JSONL of `adloc gate collect`, judged in examples/eval/judged/")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "similarity.json"))
    args = parser.parse_args()
    evalset = load(ROOT / "examples" / "eval")
    outputs = read_outputs(Path(args.outputs)) if args.outputs else []
    result: dict = {"benchmark": "similarity", "encoders": {}}
    for encoder in similarity.ENCODERS:
        row: dict = {"shuffled_reference_auc": {}, "judged_auc": {}}
        similarity.embed(["warm-up"], encoder)
        started, count = time.perf_counter(), 0
        for locale in evalset.locales:
            lines = evalset.lines[locale]
            sources, refs = [x.source for x in lines], [x.reference for x in lines]
            good = similarity.similarity(sources, refs, locale, encoder)
            bad = similarity.similarity(sources, refs[7:] + refs[:7], locale, encoder)
            count += 3 * len(lines)
            row["shuffled_reference_auc"][locale] = auc(good, bad)
        row["ms_per_line"] = round((time.perf_counter() - started) * 1000 / count, 2)
        labelled = [(x, similarity.similarity([x.source], [x.target], x.locale, encoder)[0]) for x in evalset.labelled]
        row["labelled_auc"] = auc([s for x, s in labelled if x.expect == "good"],
                                  [s for x, s in labelled if x.expect != "good"])
        for locale in sorted({o.locale for o in outputs}):
            mine = [(o, evalset.judgement(locale, o.id, o.text)) for o in outputs if o.locale == locale]
            mine = [(o, j) for o, j in mine if j is not None and o.text]
            sims = similarity.similarity([o.source for o, _ in mine], [o.text for o, _ in mine], locale, encoder)
            row["judged_auc"][locale] = auc([s for s, (_, j) in zip(sims, mine) if j.acceptable],
                                            [s for s, (_, j) in zip(sims, mine) if not j.acceptable])
        result["encoders"][encoder] = row
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    locales = evalset.locales
    print("| encoder | ms/line | labelled good vs bad | " + " | ".join(f"{x} shuffled" for x in locales)
          + (" | " + " | ".join(f"{x} judged" for x in locales) if outputs else "") + " |")
    print("|---" * (3 + len(locales) * (2 if outputs else 1)) + "|")
    for encoder, row in result["encoders"].items():
        cells = [encoder, row["ms_per_line"], row["labelled_auc"], *row["shuffled_reference_auc"].values()]
        if outputs:
            cells += [row["judged_auc"].get(x) for x in locales]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
