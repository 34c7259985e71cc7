"""Copy stage: translation memory first; the copy model only for lines the memory lacks; every
line checked; a model line ships only through the gate, else the old path (fuzzy TM, or the source
line for a translator) and the item goes to review."""

from __future__ import annotations

from dataclasses import dataclass

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import RunInference

from adloc.assets_db.engine import engine_for
from adloc.checks import blocking_failures
from adloc.checks.copy import check_copy
from adloc.models import acceptability
from adloc.models.acceptability import GATES, GateModel
from adloc.models.copy_llm import AdapterError, CopyModelHandler, model_id
from adloc.pipelines.gate import Gate
from adloc.pipelines.runner import RunSettings
from adloc.records import CopyPath, CopyRequest, Generation, SlotCopy, WorkItem
from adloc.translation_memory import copy_request


def prepare_copy(item: WorkItem, lookup):
    """One request per text slot, with the memory's exact hit, fuzzy hits and glossary attached.
    `lookup` is the job's `JobLookup` (a side input)."""
    memory = lookup.memory.get(item.locale, {})
    for slot, source in sorted(item.copy.items()):
        yield copy_request(key=item.key, slot=slot, locale=item.locale, source=source, brand=item.brand,
                           max_chars=item.template.text_slot(slot).max_chars, keep_terms=item.keep_terms,
                           glossary=lookup.glossary.get(item.locale, ()), memory=memory, formality=item.formality)


def _checks(request: CopyRequest, target: str) -> list:
    return check_copy(request.source, target, request.locale, request.keep_terms, request.max_chars,
                      request.glossary, request.examples, request.formality)


def from_memory(request: CopyRequest) -> SlotCopy:
    """An exact translation-memory hit: a human-approved line, still checked against this slot."""
    assert request.exact is not None
    checks = _checks(request, request.exact)
    failed = blocking_failures(checks)
    reason = "translation memory exact hit" + (
        "; fails " + ", ".join(c.name for c in failed) if failed else ""
    )
    return SlotCopy(request.slot, request.source, request.exact, CopyPath.TM, not failed, None, checks, reason)


def fallback(request: CopyRequest, why: str, candidate: Generation | None = None,
             candidate_checks: list | None = None, score: float | None = None, gate: dict | None = None) -> SlotCopy:
    """The old path, always for review: the closest translation-memory line if it passes the checks
    against this source, else the source line for a translator. Without a memory line, the checks
    shown are the rejected candidate's: they say why. `score` is the gate's score of the candidate,
    `gate` the learned gate's view of it (`Gate.score`)."""
    text = candidate.text if candidate else None
    confidence = score if score is not None else candidate.confidence if candidate else None
    if request.fuzzy is not None:
        # No `not_copied` here: a memory line is, by design, an example's target.
        checks = check_copy(request.source, request.fuzzy.target, request.locale, request.keep_terms,
                            request.max_chars, request.glossary, (), request.formality)
        failed = blocking_failures(checks)
        if not failed:
            return SlotCopy(
                request.slot, request.source, request.fuzzy.target, CopyPath.TM_FUZZY, False, confidence, checks,
                f"{why}; used a {request.fuzzy_score:.0%} translation-memory match, needs review", text, gate,
            )
        why += (f"; the {request.fuzzy_score:.0%} translation-memory match fails "
                + ", ".join(c.name for c in failed))
    checks = candidate_checks if candidate_checks is not None else _checks(request, request.source)
    return SlotCopy(request.slot, request.source, request.source, CopyPath.SOURCE, False, confidence, checks,
                    f"{why}; no usable translation-memory match, needs a translator", text, gate)


class GateCopy(beam.DoFn):
    """Checks and gate on each model output; the fallback when it does not pass."""

    def __init__(self, gate: Gate):
        self._gate = gate
        self._passed = Metrics.counter("adloc", "copy_gate_passed")
        self._fallbacks = Metrics.counter("adloc", "copy_fallbacks")

    def process(self, result):
        request: CopyRequest = result.example
        generation: Generation = result.inference
        if generation.error:
            self._fallbacks.inc()
            yield request.key, fallback(request, generation.error)
            return
        checks = _checks(request, generation.text)
        score, view = self._gate.score(request.source, generation, checks, request.max_chars, request.locale)
        passed, reason = self._gate.decide(checks, score, request.locale)
        if passed:
            self._passed.inc()
            yield request.key, SlotCopy(request.slot, request.source, generation.text, CopyPath.MODEL, True,
                                        score, checks, reason, gate=view)
            return
        self._fallbacks.inc()
        yield request.key, fallback(request, f"model output {reason}", generation, checks, score, view)


def merge_copy(element) -> tuple[str, tuple[WorkItem, dict[str, SlotCopy]]]:
    """(key, {'item': [item], 'copy': [SlotCopy...]}) -> (key, (item, copies by slot))."""
    key, grouped = element
    copies = {slot.slot: slot for slot in sorted(grouped["copy"], key=lambda s: s.slot)}
    return key, (grouped["item"][0], copies)


@dataclass(frozen=True)
class CopyModels:
    """What runs the copy for each locale, resolved from the settings and the model registry."""

    handler: CopyModelHandler
    base_id: str
    versions: dict[str, str]  # locale -> the version id its outputs record
    gate: Gate
    known: tuple = ()  # the registry's versions of the job's locales (for the report)


def copy_models(settings: RunSettings, locales: list[str], threads: int | None = None) -> CopyModels:
    """The copy handler, each locale's version and the gate: explicit settings first, else the
    registry's champions and calibrated thresholds (one query). A champion whose adapter folder
    changed since it was promoted is refused: a run never uses weights nobody evaluated."""
    from adloc.assets_db import registry

    known = registry.versions(engine_for(settings.db_url), locales)
    base_id = model_id(settings.copy_model, settings.copy_dtype)
    champion_adapters = registry.champion_adapters(known, base_id) if settings.adapters is None else {}
    learned = learned_gate(settings.gate, base_id, settings.db_url)
    try:
        handler = CopyModelHandler(settings.copy_model, batch_size=settings.batch_size,
                                   adapters=settings.adapters or champion_adapters or None, threads=threads,
                                   dtype=settings.copy_dtype,
                                   round_trip=bool(learned and any(f.startswith("back_") for f in learned.features)))
    except AdapterError as exc:
        if not champion_adapters:
            raise
        raise AdapterError(f"a champion adapter in the model registry cannot be loaded: {exc}") from None
    champions = {v.locale: v.version for v in known if v.status == "champion"}
    for locale, folder in sorted(champion_adapters.items()):
        found = handler.model_id_for(locale, base_id)
        if found != champions[locale]:
            raise AdapterError(
                f"the {locale} champion is {champions[locale]}, but {folder} now holds "
                f"{found}: restore the folder, or evaluate and promote the new adapter (`adloc compare`)")
    versions = {locale: handler.model_id_for(locale, base_id) for locale in locales}
    # The learned gate scores the locales that run the base model it was trained on; a locale running
    # a tuned adapter keeps token confidence and the threshold `adloc eval` calibrated for it.
    scored = frozenset(locale for locale in locales if versions[locale] == base_id) if learned else frozenset()
    thresholds = {locale: t for locale, t in registry.thresholds(known, versions).items() if locale not in scored}
    thresholds.update({locale: learned.threshold(locale) for locale in scored if locale in learned.thresholds})
    gate = Gate(thresholds=thresholds, fixed=settings.threshold, model=learned, learned=scored)
    return CopyModels(handler, base_id, versions, gate, tuple(known))


def learned_gate(spec: str, base_id: str, db_url: str | None = None) -> GateModel | None:
    """The learned gate a run uses: "none"; "auto": the base model's champion gate in the model
    registry, else the gate shipped for it (`adloc/gates/<model id>.json`), else none; or a gate
    file, which must have been trained for this base model. A registry champion whose file changed
    since it was recorded is refused: a run never uses a gate nobody evaluated."""
    from adloc.assets_db import registry

    if spec == "none":
        return None
    path = spec
    if spec == "auto":
        champion = registry.champion_gate(engine_for(db_url), base_id) if db_url else None
        shipped = GATES / f"{base_id}.json"
        if champion is None and not shipped.is_file():
            return None
        path = champion.path if champion else str(shipped)
        gate = acceptability.load(path)
        if champion and gate.version != champion.version:
            raise acceptability.GateFileError(
                f"the champion gate of {base_id} is {champion.version}, but {champion.path} now holds "
                f"{gate.version}: restore the file, or record the new one (`adloc gate train`)")
    else:
        gate = acceptability.load(path)
    if gate.base_model != base_id:  # whatever its source: a gate scores only the lines it was trained on
        raise acceptability.GateFileError(f"gate file {path} was trained on the lines of {gate.base_model}, "
                                          f"but this run's copy model is {base_id}")
    return gate


class LocalizeCopy(beam.PTransform):
    """Live WorkItems -> (key, (item, {slot: SlotCopy})): the memory's exact hits first, the copy
    model (batched, `RunInference`) for the lines it lacks, every model line through the checks and
    the gate, the old path for what does not pass."""

    def __init__(self, models: CopyModels, lookup):
        super().__init__()
        self._models, self._lookup = models, lookup

    def expand(self, items):
        requests = items | "PrepareCopy" >> beam.FlatMap(prepare_copy, beam.pvalue.AsSingleton(self._lookup))
        memory_lines = (
            requests
            | "ExactHits" >> beam.Filter(lambda r: r.exact is not None)
            | "FromMemory" >> beam.Map(lambda r: (r.key, from_memory(r)))
        )
        model_lines = (
            requests
            | "Misses" >> beam.Filter(lambda r: r.exact is None)
            | "RewriteCopy" >> RunInference(self._models.handler)
            | "GateCopy" >> beam.ParDo(GateCopy(self._models.gate))
        )
        copies = (memory_lines, model_lines) | "AllCopy" >> beam.Flatten()
        return (
            {"item": items | "KeyItems" >> beam.Map(lambda item: (item.key, item)), "copy": copies}
            | "JoinCopy" >> beam.CoGroupByKey()
            | "MergeCopy" >> beam.Map(merge_copy)
        )

