"""Talent stage: a deterministic choice per item among the talent the job's lookup found eligible
(`pipelines.lookup`). An item with no eligible talent goes to the dead-letter output with the
reason, never to a substitute."""

from __future__ import annotations

from dataclasses import replace

import apache_beam as beam
from apache_beam.metrics import Metrics

from adloc import locale as loc
from adloc.assets_db.queries import choose_talent
from adloc.records import WorkItem


class PickTalent(beam.DoFn):
    """A seeded choice among the eligible talent with the item's tags; none: a dead letter."""

    def __init__(self):
        self._found = Metrics.counter("adloc", "talent_found")
        self._missing = Metrics.counter("adloc", "talent_missing")

    def process(self, item: WorkItem, lookup):  # lookup: the job's JobLookup
        region = loc.territory(item.locale)
        talent = choose_talent(lookup.eligible.get(region, []), item.talent_tags, item.seed)
        if talent is None:
            tagged = f" tagged {', '.join(item.talent_tags)}" if item.talent_tags else ""
            self._missing.inc()
            yield replace(item, dead_letter=(
                f"no licensed talent{tagged} for region {region}, channel {item.channel}, on {item.run_date}"))
        else:
            self._found.inc()
            yield replace(item, talent=talent)


class ChooseTalent(beam.PTransform):
    """WorkItems -> the same items with their talent, or with the dead-letter reason."""

    def __init__(self, lookup):
        super().__init__()
        self._lookup = lookup

    def expand(self, items):
        return items | "PickTalent" >> beam.ParDo(PickTalent(), beam.pvalue.AsSingleton(self._lookup))

