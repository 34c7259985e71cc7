"""SQL statements one job issues against the asset database, by job size and engine.

    .venv/bin/python benchmarks/db_statements.py [--pg postgresql+psycopg2://postgres@127.0.0.1:5432/test]

Runs the same translation-memory-only job (no model generation) with 4, 40 and 400 items on the
local runner and counts every statement the database receives during the run, reads and writes
apart. The count should not depend on the number of items. Also times the job's lookup (eligible
talent for the job's regions, channel and date; translation memory; glossary), which a job runs
once, best of 5. Writes benchmarks/results/db_statements.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def job(creatives: int) -> dict:
    return {
        "job": "statements", "brand": "Acme Coffee", "channel": "social",
        "locales": ["pt-PT", "de-DE", "fr-FR", "es-MX"],
        "creatives": [{"id": f"c{i:03d}", "template": "summer-banner", "copy": {"cta": "Order now for {price}"},
                       "values": {"price": 2.5}} for i in range(creatives)],
    }


def lookup_ms(url: str, spec: Path) -> float:
    """The job's lookup as the pipeline runs it (LoadLookup), best of 5, in milliseconds."""
    import time

    from adloc.jobspec import load_job
    from adloc.pipelines.expand import expand
    from adloc.pipelines.lookup import LoadLookup, query_for

    query = query_for(expand(load_job(spec), str(spec), url, "2026-11-27"))
    lookup = LoadLookup(url)
    lookup.setup()
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        list(lookup.process(query))
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 2)


def measure(url: str, work: Path) -> list[tuple[int, Counter, float]]:
    from adloc.assets_db.catalog import import_catalog
    from adloc.assets_db.engine import engine_for
    from adloc.cli import main

    engine = engine_for(url)
    import_catalog(engine, ROOT / "examples", store=str(work / "store"))
    seen: Counter = Counter()

    def count(_conn, _cursor, statement, *_):
        seen[statement.split()[0].upper()] += 1

    event.listen(engine, "before_cursor_execute", count)
    results = []
    for creatives in (1, 10, 100):
        seen.clear()
        spec = work / f"job{creatives}.yaml"
        spec.write_text(yaml.safe_dump(job(creatives)))
        code = main(["run", str(spec), "--out", str(work / f"out{creatives}"), "--db", url, "--run-date", "2026-11-27"])
        assert code == 0
        results.append((creatives * 4, Counter(seen), lookup_ms(url, spec)))
    event.remove(engine, "before_cursor_execute", count)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="a PostgreSQL URL; a throwaway schema is made in it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engines = {"sqlite": f"sqlite:///{work / 'assets.db'}"}
        schema = f"adloc_bench_{uuid.uuid4().hex[:8]}"
        if args.pg:
            from adloc.assets_db.engine import _new_engine, upgrade

            admin = _new_engine(args.pg)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            engines["postgresql"] = f"{args.pg}?options=-csearch_path%3D{schema}"
            upgrade(_new_engine(engines["postgresql"]))
        rows, results = [], []
        try:
            for name, url in engines.items():
                for items, kinds, ms in measure(url, work / name):
                    reads = kinds["SELECT"]
                    rows.append(f"| {name} | {items} | {sum(kinds.values())} | {reads} | {sum(kinds.values()) - reads} | {ms} |")
                    results.append({"engine": name, "items": items, "statements": sum(kinds.values()),
                                    "reads": reads, "writes": sum(kinds.values()) - reads, "lookup_ms": ms})
        finally:
            if args.pg:
                from adloc.assets_db.engine import engine_for

                engine_for(engines["postgresql"]).dispose()
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        print("| engine | items | statements | reads | writes | job lookup ms |\n|---|---|---|---|---|---|")
        print("\n".join(rows))
        out = ROOT / "benchmarks" / "results" / "db_statements.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"benchmark": "db_statements", "runs": results}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
