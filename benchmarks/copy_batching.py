"""Batched against unbatched copy generation: tokens per second of the pipeline's copy handler.

    .venv/bin/python benchmarks/copy_batching.py [--lines 32] [--batch 8] [--locale pt-PT]

Runs the same held-out eval lines through `CopyModelHandler` (the embedded model, the prompt and
stop rules of a run) once with batches of 1 and once with batches of N, in one process, and reports
generated tokens per second for each and their ratio, and how many lines came out the same (a
fixed batch size makes a line independent of its companions; a different batch size may change
float rounding, and so a greedy choice). Writes benchmarks/results/copy_batching.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adloc.evals.evalset import load
from adloc.evals.evaluate import generate, requests_for
from adloc.models.copy_llm import CopyModelHandler


def measure(batch: int, requests: list, model: str) -> dict:
    handler = CopyModelHandler(model, batch_size=batch)
    lm = handler.load_model()
    generate(handler, lm, requests[:batch])  # warm-up: first calls allocate
    started = time.perf_counter()
    out = generate(handler, lm, requests)  # the rows of a pipeline call, grouped into batches by shape
    seconds = time.perf_counter() - started
    tokens = sum(g.tokens for g in out)
    return {"batch": batch, "device": f"{lm.model.device} ({str(lm.model.dtype).removeprefix('torch.')})",
            "lines": len(requests), "tokens": tokens, "seconds": round(seconds, 2),
            "tokens_per_second": round(tokens / seconds, 2), "texts": [g.text for g in out]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=32)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--locale", default="pt-PT")
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "copy_batching.json"))
    args = parser.parse_args()

    evalset = load(ROOT / "examples" / "eval")
    requests = requests_for(evalset, args.locale, evalset.split(args.locale, "heldout")[: args.lines])
    single = measure(1, requests, args.model)
    batched = measure(args.batch, requests, args.model)
    same = sum(a == b for a, b in zip(single["texts"], batched["texts"], strict=True))
    result = {
        "benchmark": "copy_batching", "model": args.model, "locale": args.locale,
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "device": single["device"]},
        "unbatched": {k: v for k, v in single.items() if k not in ("texts", "device")},
        "batched": {k: v for k, v in batched.items() if k not in ("texts", "device")},
        "ratio": round(batched["tokens_per_second"] / single["tokens_per_second"], 2),
        "same_lines": same,
    }
    import torch

    if torch.cuda.is_available():  # benchmarks/gpu.sh
        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print("| generation | lines | tokens | seconds | tokens/s |\n|---|---|---|---|---|")
    for name, r in (("batch 1", single), (f"batch {args.batch}", batched)):
        print(f"| {name} | {r['lines']} | {r['tokens']} | {r['seconds']} | {r['tokens_per_second']} |")
    print(f"batched / unbatched: {result['ratio']}x; {same} of {len(requests)} lines identical  ({args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
