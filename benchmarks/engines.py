"""The 24-item benchmark job on Beam's local runner and on a Dask cluster of two worker processes
on this machine, side by side in one run: items per second, and the overhead each adds over the
pure model time (the same model loads and calls, outside Beam, timed after the local run:
`benchmarks/pipeline.py`'s replay). The two runs write the same folder in turn and must give the
same bytes.

    .venv/bin/python benchmarks/engines.py [--items 24] [--workers 2]

The cluster (`dask.distributed.LocalCluster`, one thread per worker process; Dask gives each
worker process one BLAS/OpenMP thread) is started before its run is timed: the figure is the job's,
not the cluster's start-up. The Dask run's model time is spent in its workers, so its overhead is
taken against the local run's pure model time. Writes benchmarks/results/engines.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import pipeline  # benchmarks/pipeline.py: the job, its catalog and the timed child run


def tree(folder: Path) -> dict[str, str]:
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=24, help="items of the job (a multiple of 4)")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "engines.json"))
    args = parser.parse_args()
    if args.items % len(pipeline.LOCALES):
        parser.error(f"--items: a multiple of {len(pipeline.LOCALES)} (one item per locale)")
    from dask.distributed import LocalCluster

    creatives = args.items // len(pipeline.LOCALES)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = pipeline.prepare(work)
        local = pipeline.run_child(work, paths, creatives, "out", None, True)
        (work / "out").rename(work / "local")
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            dask = pipeline.run_child(work, paths, creatives, "out", None, False, dask=cluster.scheduler_address)
        same = tree(work / "local") == tree(work / "out")
        shutil.rmtree(work / "local")
    model_seconds = local["direct"]["seconds"]
    result = {
        "benchmark": "engines", "machine": pipeline.machine(), "items": args.items,
        "models": {"copy": "embedded", "inpainter": "tiny random-weight diffusers, mask_crop 32, 20 steps"},
        "pure_model_seconds": model_seconds,
        "local": {**{k: local[k] for k in ("seconds", "items_per_second", "counters")},
                  "overhead": round(local["seconds"] / model_seconds, 3)},
        "dask": {**{k: dask[k] for k in ("seconds", "items_per_second", "counters", "workers")},
                 "worker_processes": args.workers, "overhead": round(dask["seconds"] / model_seconds, 3)},
        "same_bytes": same,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"| runner | wall s | items/s | ÷ pure model time ({model_seconds} s) | copy LLM loads |")
    print("|---|---|---|---|---|")
    for name, r in (("local (FnApiRunner)", result["local"]), (f"Dask, {args.workers} worker processes", result["dask"])):
        print(f"| {name} | {r['seconds']} | {r['items_per_second']} | {r['overhead']}x "
              f"| {r['counters'].get('copy_model_loads')} |")
    print(f"items per Dask worker: {result['dask']['workers']}; same bytes: {same}  ({args.out})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
