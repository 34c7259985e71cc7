"""Reuse: an item whose inputs have not changed since a finished run wrote it is not made again.

Each item gets a digest of everything its output depends on: the spec's lines for it, the
template (its spec and its image, both content-addressed), the talent chosen (and their image),
the locale's translation memory and glossary (digested once per job), the models and the gate. A record already in the
output with the same digest, and its image beside it, is the item's result: a rerun of a finished
job writes nothing new and skips the models. Any change to the inputs makes the item again."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from adloc.errors import AdlocError
from adloc.files import read_bytes
from adloc.pipelines.progress import tick
from adloc.pipelines.write import item_path, thumbnail_of_png
from adloc.records import ItemRecord, ItemStatus, WorkItem


def inputs_digest(item: WorkItem, lookup, settings_key: str) -> str:
    facts = {
        "item": [item.job, item.brand, item.channel, item.creative, item.locale, item.run_date,
                 sorted(item.copy.items()), sorted((k, str(v)) for k, v in item.values.items()),
                 list(item.keep_terms), list(item.talent_tags), item.formality],
        "template": asdict(item.template),
        "talent": asdict(item.talent) if item.talent else None,
        "memory and glossary": lookup.language_digest[item.locale],
        "settings": settings_key,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class FindFinished(beam.DoFn):
    """Main output: items to make (with their digest). `DEAD`: items that are dead letters already.
    `REUSED`: records of items already made."""

    DEAD = "dead"
    REUSED = "reused"

    def __init__(self, out: str, settings_key: str, progress: tuple[str, int] | None = None):
        self._out = out
        self._settings_key = settings_key
        self._progress = progress
        self._reused = Metrics.counter("adloc", "items_reused")

    def process(self, item: WorkItem, lookup):
        if item.dead_letter is not None:
            yield beam.pvalue.TaggedOutput(self.DEAD, item)
            return
        item = replace(item, inputs=inputs_digest(item, lookup, self._settings_key))
        record = self._finished(item)
        if record is None:
            yield item
        else:
            self._reused.inc()
            if self._progress:
                tick(*self._progress, record.status, 0)
            yield beam.pvalue.TaggedOutput(self.REUSED, record)

    def _finished(self, item: WorkItem) -> ItemRecord | None:
        for folder in (ItemStatus.APPROVED, ItemStatus.REVIEW):
            meta, png = item_path(self._out, folder, item, ".json"), item_path(self._out, folder, item, ".png")
            if not FileSystems.exists(meta):
                continue
            try:
                record = ItemRecord.from_json(read_bytes(meta), meta)
                if record.inputs != item.inputs or not FileSystems.exists(png):
                    return None
                data = read_bytes(png)
            except (OSError, AdlocError):
                return None  # unreadable: make it again
            if hashlib.sha256(data).hexdigest() != record.sha256:
                return None
            return replace(record, thumbnail=thumbnail_of_png(data), reused=True)
        return None


class Reuse(beam.PTransform):
    """WorkItems (talent chosen) -> a tuple with `.todo` (items to make, with their inputs digest),
    `.dead` (dead letters to write) and `.reused` (`ItemRecord`s of items a finished run already made
    from the same inputs)."""

    def __init__(self, out: str, settings_key: str, lookup, progress: tuple[str, int] | None = None):
        super().__init__()
        self._find = FindFinished(out, settings_key, progress)
        self._lookup = lookup

    def expand(self, items):
        return items | "FindFinished" >> beam.ParDo(self._find, beam.pvalue.AsSingleton(self._lookup)).with_outputs(
            FindFinished.DEAD, FindFinished.REUSED, main="todo")

