"""Plan stage: the run and each item's chosen talent go into the asset DB (lineage) before any file
is written, so a takedown finds every output that may exist, even of a run that died."""

from __future__ import annotations

import apache_beam as beam

from adloc.assets_db.engine import engine_for
from adloc.assets_db.lineage import plan_run
from adloc.records import WorkItem


def plan_lineage(items: list[WorkItem], db_url: str, info: dict, out: str) -> int:
    """Record the run and each item's chosen talent; returns the run id the writers wait for."""
    return plan_run(engine_for(db_url), info, out, [
        {"creative": item.creative, "template": item.template.id, "locale": item.locale,
         "talent": item.talent.id if item.talent else None, "seed": item.seed}
        for item in sorted(items, key=lambda item: item.key)])


class PlanRun(beam.PTransform):
    """WorkItems (talent chosen) -> one element, the run's id in the asset DB: the run and each
    item's talent are recorded before any file is written (the writers take it as a side input)."""

    def __init__(self, db_url: str, info: dict, out: str):
        super().__init__()
        self._db_url, self._info, self._out = db_url, info, out

    def expand(self, items):
        return (items
                | "CollectPlan" >> beam.combiners.ToList()
                | "RecordPlan" >> beam.Map(plan_lineage, self._db_url, self._info, self._out))
