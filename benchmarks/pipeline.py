"""The whole pipeline as the job grows: items per second, overhead against the models' own time,
peak memory, model loads, and 1 against 2 local worker processes.

    .venv/bin/python benchmarks/pipeline.py [--sizes 24 96] [--scaling-items 24]

Every item runs both models: the job's lines are eval-set headlines and calls to action that are
not in the translation memory (no exact hits), in pt-PT, de-DE, fr-FR and es-MX, and the inpainter
is the tiny random-weight diffusers checkpoint (tests/tiny_inpainter.py; its noise fails the image checks,
so every item also takes the blend fallback) on the 1080 px morning-square template, 20 steps on a
crop around the band at the model's resolution (`mask_crop`). Each run is a fresh process, so its peak resident memory is its own:

- for each size, the job runs on Beam's local runner in that process, recording every batch the
  two model handlers were given; then the models are loaded again and the same batches run
  directly (the handlers' `run_inference`, outside Beam), timed: the pipeline's wall time over
  that pure model time (loads and calls) is its overhead (benchmark 2). Module imports are done
  before either is timed. Model loads are counted from RunInference's metrics (once per worker
  process is right).
- scaling: the smaller job once more with `--direct_running_mode=multi_processing` and 1, then 2,
  worker processes.

Writes benchmarks/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the tiny random-weight inpainter fixture

LOCALES = ["pt-PT", "de-DE", "fr-FR", "es-MX"]
RUN_DATE = "2027-03-01"
TEMPLATE = "bench-square"


def machine() -> dict:
    """The CPU, and the GPU the models ran on, if any."""
    import torch

    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "device": torch.cuda.get_device_name() + " (float16)" if torch.cuda.is_available() else "cpu (float32)"}


def prepare(work: Path) -> dict:
    """A catalog (the sample one, plus morning-square inpainted at the model's resolution), its
    SQLite DB, the tiny inpainter."""
    from tiny_inpainter import save_tiny_inpainter

    from adloc.assets_db.catalog import import_catalog
    from adloc.assets_db.engine import engine_for

    catalog = work / "catalog"
    shutil.copytree(ROOT / "examples", catalog, ignore=shutil.ignore_patterns("eval", "jobs", "*.py"))
    spec = yaml.safe_load((catalog / "templates" / "morning-square.yaml").read_text(encoding="utf-8"))
    spec.update(id=TEMPLATE, mask_crop=32)
    (catalog / "templates" / f"{TEMPLATE}.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    url = f"sqlite:///{work / 'assets.db'}"
    import_catalog(engine_for(url), catalog, store=str(work / "store"))
    return {"db": url, "inpainter": str(save_tiny_inpainter(work / "models"))}


def job_spec(creatives: int, db_url: str) -> dict:
    """`creatives` × 4 locales items; no line is in any locale's translation memory."""
    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.queries import translation_memory
    from adloc.evals.evalset import load
    from adloc.translation_memory import tm_key

    evalset = load(ROOT / "examples" / "eval")
    known = {key for units in translation_memory(engine_for(db_url), set(LOCALES)).values() for key in units}
    lines = [x for x in evalset.lines["pt-PT"] if "{" not in x.source and tm_key(x.source) not in known]
    headlines = [x.source for x in lines if x.slot == "headline" and len(x.source) <= 40]
    ctas = [x.source for x in lines if x.slot == "cta"]
    if creatives > min(len(headlines), len(ctas)):
        raise SystemExit(f"error: the eval set has lines for {min(len(headlines), len(ctas))} creatives, not {creatives}")
    return {
        "job": f"bench-{creatives * len(LOCALES)}", "brand": evalset.brand, "channel": "social", "locales": LOCALES,
        "keep_terms": list(evalset.keep_terms),
        "creatives": [{"id": f"c{i:03d}", "template": TEMPLATE,
                       "copy": {"headline": headlines[i], "cta": ctas[i]}} for i in range(creatives)],
    }


def warm_imports() -> None:
    """The modules any process running these models imports (seconds, once): paid before either
    side is timed, so the comparison is between the pipeline and the models, not import order."""
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner  # noqa: F401
    from diffusers import StableDiffusionInpaintPipeline  # noqa: F401
    from transformers import AutoTokenizer, LlamaForCausalLM  # noqa: F401

    from adloc.pipelines import job  # noqa: F401


def child(args) -> int:
    """One job in this process; prints one JSON line."""
    warm_imports()
    from adloc.jobspec import load_job
    from adloc.models.copy_llm import CopyModelHandler
    from adloc.models.inpaint import InpaintModelHandler
    from adloc.pipelines import job as job_pipeline

    # Every batch the handlers get is spooled to a file (kept in memory, the inpainting requests
    # of a large job would be what the peak measures); the time spent spooling is not the run's.
    spool = open(args.out + ".batches", "wb")  # noqa: SIM115 - read back by replay
    spooled = {"seconds": 0.0}
    originals = {"copy": CopyModelHandler.run_inference, "inpaint": InpaintModelHandler.run_inference}
    for name, cls in (("copy", CopyModelHandler), ("inpaint", InpaintModelHandler)):
        def recording(self, batch, model, inference_args=None, _name=name):
            started = time.perf_counter()
            pickle.dump((_name, list(batch)), spool, protocol=pickle.HIGHEST_PROTOCOL)
            spooled["seconds"] += time.perf_counter() - started
            return originals[_name](self, batch, model, inference_args)

        cls.run_inference = recording

    job = load_job(args.job)
    settings = job_pipeline.RunSettings(db_url=args.db, out=args.out, inpainter=args.inpainter, run_date=RUN_DATE)
    beam_args = [] if not args.workers else [
        "--direct_running_mode=multi_processing", f"--direct_num_workers={args.workers}"]
    if args.dask:  # a Dask cluster's workers run the models: this process records no batches
        from adloc.cli.presets import dask_options

        beam_args = dask_options(args.dask)
    started = time.perf_counter()
    finished = job_pipeline.run(job, args.job, settings, beam_args)
    items, counts = finished.items, finished.counts
    wall = time.perf_counter() - started - spooled["seconds"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    spool.close()
    result = {"items": len(items), "seconds": round(wall, 2), "items_per_second": round(len(items) / wall, 3),
              "peak_rss_mb": round(peak_mb, 1), "spooling_seconds_excluded": round(spooled["seconds"], 2),
              "counters": counts, "workers": finished.workers}
    if args.replay:
        CopyModelHandler.run_inference, InpaintModelHandler.run_inference = originals["copy"], originals["inpaint"]
        result["direct"] = replay(args.out + ".batches", settings)
        result["overhead"] = round(wall / result["direct"]["seconds"], 3)  # against loads + calls
        result["overhead_calls_only"] = round(wall / result["direct"]["calls_seconds"], 3)
        direct = result["direct"]
        if direct["inpaint_seconds"]:
            result["inpaint_images_per_second"] = round(direct["inpaint_rows"] / direct["inpaint_seconds"], 3)
    import torch

    if torch.cuda.is_available():  # benchmarks/gpu.sh: the models' peak on the device, both runs
        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def spooled_batches(path: str):
    with open(path, "rb") as spool:
        while True:
            try:
                yield pickle.load(spool)
            except EOFError:
                return


def replay(path: str, settings) -> dict:
    """The spooled batches through freshly loaded handlers, outside Beam: the pure model time."""
    from adloc.models.inpaint import InpaintModelHandler
    from adloc.pipelines.copy import copy_models

    handlers = {"copy": copy_models(settings, LOCALES).handler,
                "inpaint": InpaintModelHandler(settings.inpainter, batch_size=settings.inpaint_batch_size)}
    out, models = {}, {}
    for name, handler in handlers.items():
        started = time.perf_counter()
        models[name] = handler.load_model()
        out[f"{name}_load_seconds"] = round(time.perf_counter() - started, 2)
        out[f"{name}_seconds"], out[f"{name}_batches"], out[f"{name}_rows"] = 0.0, 0, 0
    for name, batch in spooled_batches(path):
        started = time.perf_counter()
        list(handlers[name].run_inference(batch, models[name]))
        out[f"{name}_seconds"] += time.perf_counter() - started
        out[f"{name}_batches"] += 1
        out[f"{name}_rows"] += len(batch)
    for name in handlers:
        out[f"{name}_seconds"] = round(out[f"{name}_seconds"], 2)
    out["calls_seconds"] = round(out["copy_seconds"] + out["inpaint_seconds"], 2)
    out["seconds"] = round(out["calls_seconds"] + out["copy_load_seconds"] + out["inpaint_load_seconds"], 2)
    return out


def run_child(work: Path, paths: dict, creatives: int, name: str, workers: int | None, replay: bool,
              dask: str | None = None) -> dict:
    job = work / f"{name}.yaml"
    job.write_text(yaml.safe_dump(job_spec(creatives, paths["db"]), allow_unicode=True), encoding="utf-8")
    command = [sys.executable, __file__, "--child", "--job", str(job), "--out", str(work / name),
               "--db", paths["db"], "--inpainter", paths["inpainter"]]
    command += ["--workers", str(workers)] if workers else []
    command += ["--replay"] if replay else []
    command += ["--dask", dask] if dask else []
    print(f"{name}: {creatives * len(LOCALES)} items ...", flush=True)
    done = subprocess.run(command, check=False, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    found = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not found:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-6000:])
        raise SystemExit(f"error: the {name} run failed ({done.returncode})")
    return json.loads(found[-1].removeprefix("RESULT "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[24, 96], help="items per job (a multiple of 4)")
    parser.add_argument("--scaling-items", type=int, default=24, help="items of the 1 against 2 workers job")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1 against 2 worker processes runs")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pipeline.json"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--inpainter", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--replay", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dask", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if any(size % len(LOCALES) for size in [*args.sizes, args.scaling_items]):
        parser.error(f"--sizes and --scaling-items: each must be a multiple of {len(LOCALES)} (one item per locale)")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = prepare(work)
        sizes = {size: run_child(work, paths, size // len(LOCALES), f"size-{size}", None, True) for size in args.sizes}
        scaling = {} if args.no_scaling else {
            workers: run_child(work, paths, args.scaling_items // len(LOCALES), f"workers-{workers}", workers, False)
            for workers in (1, 2)}
    small, large = sizes[min(sizes)], sizes[max(sizes)]
    result = {
        "benchmark": "pipeline",
        "machine": machine(),
        "models": {"copy": "embedded", "inpainter": "tiny random-weight diffusers, mask_crop 32, 20 steps"},
        "sizes": {str(k): v for k, v in sizes.items()},
        "scaling": {str(k): v for k, v in scaling.items()},
        "peak_rss_growth": round(large["peak_rss_mb"] / small["peak_rss_mb"] - 1, 3),
        "throughput_ratio": round(large["items_per_second"] / small["items_per_second"], 3),
    }
    if scaling:
        result["two_workers_speedup"] = round(scaling[2]["items_per_second"] / scaling[1]["items_per_second"], 3)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print("| items | wall s | items/s | pure model s | overhead | peak RSS MB | copy LLM loads | inpainter loads |")
    print("|---|---|---|---|---|---|---|---|")
    for size, r in sizes.items():
        c = r["counters"]
        print(f"| {size} | {r['seconds']} | {r['items_per_second']} | {r['direct']['seconds']} | {r['overhead']}x "
              f"| {r['peak_rss_mb']} | {c.get('copy_model_loads')} | {c.get('inpainter_loads')} |")
    for workers, r in scaling.items():
        c = r["counters"]
        print(f"{workers} worker process(es), {r['items']} items: {r['seconds']} s, {r['items_per_second']} items/s, "
              f"loads: copy {c.get('copy_model_loads')}, inpainter {c.get('inpainter_loads')}")
    print(f"peak RSS growth {result['peak_rss_growth']:.1%}; 2 workers / 1: {result.get('two_workers_speedup')}x  ({args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
