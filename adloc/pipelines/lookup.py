"""Lookup stage: everything a job needs from the asset database, read once per job (eligible
talent per region, translation memory and glossary per locale), so the number of statements does
not grow with the number of items."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import apache_beam as beam

from adloc import locale as loc
from adloc.assets_db.engine import engine_for
from adloc.assets_db.queries import eligible_talent, glossary, translation_memory
from adloc.records import Channel, GlossaryTerm, Talent, TMEntry, WorkItem


@dataclass(frozen=True)
class LookupQuery:
    regions: tuple[str, ...]
    channel: str
    run_date: str
    locales: tuple[str, ...]


@dataclass(frozen=True)
class JobLookup:
    """What the asset database says for one job: plain records, shared with every worker."""

    eligible: dict[str, list[Talent]]  # region -> talent, sorted by id
    memory: dict[str, dict[str, TMEntry]]  # locale -> normalized source -> unit
    glossary: dict[str, tuple[GlossaryTerm, ...]]
    # locale -> sha256 of its memory and glossary, computed once per job: every item's inputs
    # digest (`pipelines.reuse`) includes its locale's, without serializing the memory per item
    language_digest: dict[str, str] = field(default_factory=dict)


def language_digest(memory: dict[str, TMEntry], terms: tuple[GlossaryTerm, ...]) -> str:
    facts = {"memory": sorted((key, entry.source, entry.target) for key, entry in memory.items()),
             "glossary": sorted((t.term, t.kind, t.rendering) for t in terms)}
    return hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def query_for(items: list[WorkItem]) -> LookupQuery:
    channels = {item.channel for item in items}
    run_dates = {item.run_date for item in items}
    if len(channels) > 1 or len(run_dates) > 1:
        raise ValueError(f"one job has one channel and run date, got {sorted(channels)} and {sorted(run_dates)}")
    return LookupQuery(
        regions=tuple(sorted({loc.territory(item.locale) for item in items})),
        channel=next(iter(channels), Channel.SOCIAL), run_date=next(iter(run_dates), date.today().isoformat()),
        locales=tuple(sorted({item.locale for item in items})),
    )


class LoadLookup(beam.DoFn):
    def __init__(self, db_url: str):
        self._db_url = db_url

    def setup(self):
        self._engine = engine_for(self._db_url)

    def process(self, query: LookupQuery):
        on = date.fromisoformat(query.run_date)
        locales = set(query.locales)
        memory, terms = translation_memory(self._engine, locales), glossary(self._engine, locales)
        yield JobLookup(
            eligible=eligible_talent(self._engine, set(query.regions), query.channel, on),
            memory=memory, glossary=terms,
            language_digest={tag: language_digest(memory.get(tag, {}), terms.get(tag, ())) for tag in sorted(locales)},
        )


class LookUp(beam.PTransform):
    """PBegin -> one `JobLookup` for the job's `items` (use it as a singleton side input)."""

    def __init__(self, items: list[WorkItem], db_url: str):
        super().__init__()
        self._query, self._db_url = query_for(items), db_url

    def expand(self, pbegin):
        return (pbegin
                | "LookupQuery" >> beam.Create([self._query], reshuffle=False)
                | "Lookup" >> beam.ParDo(LoadLookup(self._db_url)))
