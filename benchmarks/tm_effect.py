"""Translation-memory effect: a job whose lines are half exact memory hits against the same job
with none, side by side in one process, on the embedded model.

    .venv/bin/python benchmarks/tm_effect.py [--creatives 12]

The job has N creatives (an eval-set headline and call to action each) in pt-PT and de-DE. The
first run has none of its lines in the translation memory; before the second, the references of
every headline are added to it, so half the lines are exact hits that skip the model. Reports each
run's wall time, the lines and tokens the model generated and the time spent inside the model, and
compares the share of time saved with the share of model calls (and tokens) skipped.
Writes benchmarks/results/tm_effect.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOCALES = ["pt-PT", "de-DE"]


def job(evalset, creatives: int, known: set[str]) -> dict:
    """`known`: memory keys already in the catalog (those lines would hit in both runs)."""
    from adloc.translation_memory import tm_key

    lines = [x for x in evalset.lines["pt-PT"] if "{" not in x.source and tm_key(x.source) not in known]
    headlines = [x for x in lines if x.slot == "headline" and len(x.source) <= 40]
    ctas = [x for x in lines if x.slot == "cta"]
    return {
        "job": "tm-effect", "brand": evalset.brand, "channel": "social", "locales": LOCALES,
        "keep_terms": list(evalset.keep_terms),
        "creatives": [{"id": f"c{i:03d}", "template": "morning-square",
                       "copy": {"headline": headlines[i].source, "cta": ctas[i].source}} for i in range(creatives)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creatives", type=int, default=12)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "tm_effect.json"))
    args = parser.parse_args()

    from sqlalchemy.orm import Session

    from adloc.assets_db.catalog import import_catalog
    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.queries import translation_memory
    from adloc.assets_db.schema import TMRow
    from adloc.cli import main as adloc
    from adloc.evals.evalset import load
    from adloc.models.copy_llm import CopyModelHandler
    from adloc.translation_memory import tm_key

    evalset = load(ROOT / "examples" / "eval")
    calls = {"lines": 0, "seconds": 0.0, "tokens": 0}
    original = CopyModelHandler.run_inference

    def timed(self, batch, model, inference_args=None):
        started = time.perf_counter()
        out = list(original(self, batch, model, inference_args))
        calls["seconds"] += time.perf_counter() - started
        calls["lines"] += len(batch)
        calls["tokens"] += sum(r.inference.tokens for r in out)
        return out

    CopyModelHandler.run_inference = timed
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'assets.db'}"
        engine = engine_for(url)
        import_catalog(engine, ROOT / "examples", store=str(work / "store"))
        memory = translation_memory(engine, set(LOCALES))
        spec = job(evalset, args.creatives, {key for units in memory.values() for key in units})
        path = work / "job.yaml"
        path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        by_source = {(locale, x.source): x.reference for locale in LOCALES for x in evalset.lines[locale]}
        for name in ("no hits", "half hits"):
            if name == "half hits":
                with Session(engine) as session, session.begin():
                    for creative in spec["creatives"]:
                        for locale in LOCALES:
                            source = creative["copy"]["headline"]
                            session.add(TMRow(locale=locale, source=source, source_key=tm_key(source),
                                              target=by_source[(locale, source)], origin="bench"))
            calls.update(lines=0, seconds=0.0, tokens=0)
            started = time.perf_counter()
            code = adloc(["run", str(path), "--out", str(work / name.replace(" ", "-")), "--db", url])
            if code != 0:
                print(f"error: the {name} run failed ({code})", file=sys.stderr)
                return 1
            runs[name] = {"seconds": round(time.perf_counter() - started, 2), "model_lines": calls["lines"],
                          "model_tokens": calls["tokens"], "model_seconds": round(calls["seconds"], 2)}
    lines = 2 * len(LOCALES) * args.creatives
    none, half = runs["no hits"], runs["half hits"]
    result = {
        "benchmark": "tm_effect", "items": len(LOCALES) * args.creatives, "lines": lines, "runs": runs,
        "model_calls_skipped": round(1 - half["model_lines"] / none["model_lines"], 3),
        "model_tokens_skipped": round(1 - half["model_tokens"] / none["model_tokens"], 3),
        "time_saved": round(1 - half["seconds"] / none["seconds"], 3),
        "model_time_saved": round(1 - half["model_seconds"] / none["model_seconds"], 3),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print("| run | wall s | model lines | tokens generated | s in the model |\n|---|---|---|---|---|")
    for name, r in runs.items():
        print(f"| {name} | {r['seconds']} | {r['model_lines']} | {r['model_tokens']} | {r['model_seconds']} |")
    print(f"model calls skipped {result['model_calls_skipped']:.0%}, tokens {result['model_tokens_skipped']:.0%}; "
          f"wall time saved {result['time_saved']:.0%}, model time saved {result['model_time_saved']:.0%}  ({args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
