"""Talent stage: one query per batch of items for the licensed talent of their regions, then a
deterministic choice per item. Items with no eligible talent go to the dead-letter output."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

import apache_beam as beam
from apache_beam.metrics import Metrics

from adloc import locale as loc
from adloc.assets_db.engine import engine_for
from adloc.assets_db.queries import choose_talent, eligible_talent
from adloc.records import WorkItem


class LookupTalent(beam.DoFn):
    def __init__(self, db_url: str):
        self._db_url = db_url
        self._found = Metrics.counter("adloc", "talent_found")
        self._missing = Metrics.counter("adloc", "talent_missing")

    def setup(self):
        self._engine = engine_for(self._db_url)

    def process(self, batch: list[WorkItem]):
        groups: dict[tuple[str, str], list[WorkItem]] = defaultdict(list)
        for item in batch:
            groups[(item.channel, item.run_date)].append(item)
        for (channel, run_date), items in sorted(groups.items()):
            regions = {loc.territory(item.locale) for item in items}
            eligible = eligible_talent(self._engine, regions, channel, date.fromisoformat(run_date))
            for item in items:
                region = loc.territory(item.locale)
                talent = choose_talent(eligible.get(region, []), item.talent_tags, item.seed)
                if talent is None:
                    tagged = f" tagged {', '.join(item.talent_tags)}" if item.talent_tags else ""
                    self._missing.inc()
                    yield replace(item, dead_letter=(
                        f"no licensed talent{tagged} for region {region}, channel {channel}, on {run_date}"
                    ))
                else:
                    self._found.inc()
                    yield replace(item, talent=talent)
