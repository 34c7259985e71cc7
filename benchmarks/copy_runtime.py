"""How the copy model runs on a CPU: float32, bfloat16 and dynamic int8, side by side in one run.

    .venv/bin/python benchmarks/copy_runtime.py [--model embedded] [--locale de-DE] [--lines 73]
        [--dtypes float32,bfloat16,int8]

For each runtime, in its own process (so that its peak memory is its own): load time, generated
tokens per second unbatched (batch 1) and batched (batch 8) on the held-out lines, the process's
peak resident memory, and the eval's corpus chrF and acceptable share on those lines (the batched
outputs, scored as `adloc eval` scores them). Writes benchmarks/results/copy_runtime.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one(model: str, dtype: str, locale: str, lines: int, unbatched: int) -> dict:
    from adloc.evals.evalset import load
    from adloc.evals.evaluate import generate, requests_for, score
    from adloc.models.copy_llm import CopyModelHandler

    evalset = load(ROOT / "examples" / "eval")
    eval_lines = evalset.split(locale, "heldout")[:lines]
    requests = requests_for(evalset, locale, eval_lines)
    out: dict = {"dtype": dtype}
    started = time.perf_counter()
    batched = CopyModelHandler(model, batch_size=8, dtype=dtype)
    lm = batched.load_model()
    out["load_seconds"] = round(time.perf_counter() - started, 1)
    single = CopyModelHandler(model, batch_size=1, dtype=dtype)
    generate(single, lm, requests[:1])  # warm-up
    started = time.perf_counter()
    gens = generate(single, lm, requests[:unbatched])
    seconds = time.perf_counter() - started
    out["unbatched"] = {"lines": len(gens), "tokens": sum(g.tokens for g in gens), "seconds": round(seconds, 1),
                        "tokens_per_second": round(sum(g.tokens for g in gens) / seconds, 2)}
    started = time.perf_counter()
    gens = generate(batched, lm, requests)
    seconds = time.perf_counter() - started
    out["batched"] = {"lines": len(gens), "tokens": sum(g.tokens for g in gens), "seconds": round(seconds, 1),
                      "tokens_per_second": round(sum(g.tokens for g in gens) / seconds, 2)}
    result = score(evalset, locale, batched.model_id_for(locale, lm.model_id), eval_lines, gens)
    out.update(model_id=result.version, chrf=result.chrf, acceptable=result.acceptable,
               peak_rss_gb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
               texts=[g.text for g in gens])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--locale", default="de-DE")
    parser.add_argument("--lines", type=int, default=73)
    parser.add_argument("--unbatched", type=int, default=8, help="lines generated one at a time")
    parser.add_argument("--dtypes", default="float32,bfloat16,int8")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process: one runtime
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "copy_runtime.json"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.model, args.one, args.locale, args.lines, args.unbatched)))
        return 0

    rows = []
    for dtype in args.dtypes.split(","):
        done = subprocess.run([sys.executable, __file__, "--one", dtype, "--model", args.model, "--locale", args.locale,
                               "--lines", str(args.lines), "--unbatched", str(args.unbatched)],
                              capture_output=True, text=True, check=False)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{dtype}: done", file=sys.stderr)
    reference = rows[0]["texts"]
    for row in rows:
        row["same_lines_as_" + rows[0]["dtype"]] = sum(a == b for a, b in zip(row.pop("texts"), reference, strict=True))
    result = {"benchmark": "copy_runtime", "model": args.model, "locale": args.locale, "lines": args.lines,
              "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
              "runtimes": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print("| runtime | load s | tokens/s batch 1 | tokens/s batch 8 | peak RSS GB | chrF | acceptable | same lines |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dtype']} | {r['load_seconds']} | {r['unbatched']['tokens_per_second']} | "
              f"{r['batched']['tokens_per_second']} | {r['peak_rss_gb']} | {r['chrf']} | {r['acceptable']:.1%} | "
              f"{r['same_lines_as_' + rows[0]['dtype']]}/{args.lines} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
