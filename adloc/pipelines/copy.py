"""Copy stage: translation memory first; the copy model only for lines the memory lacks; every
line checked; a model line ships only through the gate, else the old path (fuzzy TM, or the source
line for a translator) and the item goes to review."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import RunInference

from adloc.assets_db.engine import engine_for
from adloc.audit import drawn
from adloc.checks import blocking_failures
from adloc.checks.copy import check_copy
from adloc.errors import AdlocError
from adloc.models import acceptability
from adloc.models.acceptability import GATES, GateModel
from adloc.models.copy_llm import AdapterError, CopyModelHandler, find_adapters, model_id
from adloc.pipelines.gate import Gate
from adloc.pipelines.runner import RunSettings
from adloc.records import CopyPath, CopyRequest, Generation, ShadowLine, SlotCopy, WorkItem
from adloc.translation_memory import copy_request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShadowPlan:
    """A candidate in a locale's shadow, as a run uses it: a copy-model version ("model": its own
    line for each request in the sample) or a learned gate ("gate": its verdict on the champion's
    line), and the gate that judges the candidate's work there."""

    version: str
    kind: str  # model | gate
    share: float
    gate: Gate


def prepare_copy(item: WorkItem, lookup, shadows: dict[str, ShadowPlan] | None = None):
    """One request per text slot, with the memory's exact hit, fuzzy hits and glossary attached.
    `lookup` is the job's `JobLookup` (a side input). An item in its locale's shadow sample
    (`audit.drawn`) marks each request the model will write: a model candidate gets its own copy
    of the request, a gate candidate judges the champion's line."""
    memory = lookup.memory.get(item.locale, {})
    plan = (shadows or {}).get(item.locale)
    shadowed = plan is not None and drawn("shadow", item.job, item.key, plan.share)
    for slot, source in sorted(item.copy.items()):
        request = copy_request(key=item.key, slot=slot, locale=item.locale, source=source, brand=item.brand,
                               max_chars=item.template.text_slot(slot).max_chars, keep_terms=item.keep_terms,
                               glossary=lookup.glossary.get(item.locale, ()), memory=memory,
                               formality=item.formality)
        if not shadowed or request.exact is not None:
            yield request
        elif plan.kind == "model":
            yield request
            yield replace(request, shadow=plan.version)
        else:
            yield replace(request, shadow=plan.version)


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


def _verdict(gate: Gate, request: CopyRequest, generation: Generation):
    """The checks on a model line and `gate`'s score and verdict: (checks, score, view, passed, reason)."""
    checks = _checks(request, generation.text)
    score, view = gate.score(request.source, generation, checks, request.max_chars, request.locale)
    passed, reason = gate.decide(checks, score, request.locale)
    return checks, score, view, passed, reason


def judge(gate: Gate, request: CopyRequest, generation: Generation, version: str) -> ShadowLine:
    """A shadow candidate's verdict on a line: checked and gated like the champion's, never shipped."""
    if generation.error:
        return ShadowLine(version, generation.text, False, None, generation.error)
    _, score, _, passed, reason = _verdict(gate, request, generation)
    return ShadowLine(version, generation.text, passed, score, reason)


class GateCopy(beam.DoFn):
    """Checks and gate on each model output; the fallback when it does not pass. A shadow
    candidate's lines and verdicts go to the `shadow` output: (key, (slot, ShadowLine))."""

    SHADOW = "shadow"

    def __init__(self, gate: Gate, shadows: dict[str, ShadowPlan] | None = None):
        self._gate = gate
        self._shadows = shadows or {}
        self._passed = Metrics.counter("adloc", "copy_gate_passed")
        self._fallbacks = Metrics.counter("adloc", "copy_fallbacks")

    def process(self, result):
        request: CopyRequest = result.example
        generation: Generation = result.inference
        plan = self._shadows.get(request.locale) if request.shadow else None
        if plan is not None and plan.kind == "model":  # the candidate's own line: recorded only
            yield beam.pvalue.TaggedOutput(self.SHADOW, (request.key, (request.slot, judge(
                plan.gate, request, generation, plan.version))))
            return
        copy = self._champion(request, generation)
        if plan is not None:  # a gate candidate's verdict on the champion's line
            copy.shadow = judge(plan.gate, request, generation, plan.version).to_json()
        yield request.key, copy

    def _champion(self, request: CopyRequest, generation: Generation) -> SlotCopy:
        if generation.error:
            self._fallbacks.inc()
            return fallback(request, generation.error)
        checks, score, view, passed, reason = _verdict(self._gate, request, generation)
        if passed:
            self._passed.inc()
            return SlotCopy(request.slot, request.source, generation.text, CopyPath.MODEL, True,
                            score, checks, reason, gate=view)
        self._fallbacks.inc()
        return fallback(request, f"model output {reason}", generation, checks, score, view)


def merge_copy(element) -> tuple[str, tuple[WorkItem, dict[str, SlotCopy]]]:
    """(key, {'item': [item], 'copy': [SlotCopy...], 'shadow': [(slot, ShadowLine)...]}) -> (key,
    (item, copies by slot)), each shadow line kept with its slot's copy."""
    key, grouped = element
    copies = {slot.slot: slot for slot in sorted(grouped["copy"], key=lambda s: s.slot)}
    for slot, line in grouped.get("shadow", ()):
        if slot in copies:
            copies[slot] = replace(copies[slot], shadow=line.to_json())
    return key, (grouped["item"][0], copies)


@dataclass(frozen=True)
class CopyModels:
    """What runs the copy for each locale, resolved from the settings and the model registry."""

    handler: CopyModelHandler
    base_id: str
    versions: dict[str, str]  # locale -> the version id its outputs record
    gate: Gate
    known: tuple = ()  # the registry's versions of the job's locales (for the report)
    shadows: dict[str, ShadowPlan] = field(default_factory=dict)  # locale -> the candidate in its shadow
    tightenings: tuple = ()  # the `registry.Tightening`s in force for what runs (for the report)
    shadows_not_run: dict[str, str] = field(default_factory=dict)  # locale -> why its shadow did not run


def copy_models(settings: RunSettings, locales: list[str], threads: int | None = None) -> CopyModels:
    """The copy handler, each locale's version and the gate: explicit settings first, else the
    registry's champions and calibrated thresholds (one query). A champion whose adapter folder
    changed since it was promoted is refused: a run never uses weights nobody evaluated."""
    from adloc.assets_db import registry

    engine = engine_for(settings.db_url)
    known = registry.versions(engine, locales)
    base_id = model_id(settings.copy_model, settings.copy_dtype)
    champion_adapters = registry.champion_adapters(known, base_id) if settings.adapters is None else {}
    learned = learned_gate(settings.gate, base_id, settings.db_url)
    in_shadow, not_run = _shadows_of(registry.shadows(engine, locales), base_id) if settings.shadow else ({}, {})
    round_trip = any(gate is not None and any(f.startswith("back_") for f in gate.features)  # a gate feature
                     for gate in (learned, *(candidate for _, candidate in in_shadow.values())))
    try:
        handler = CopyModelHandler(settings.copy_model, batch_size=settings.batch_size,
                                   adapters=settings.adapters or champion_adapters or None, threads=threads,
                                   dtype=settings.copy_dtype, round_trip=round_trip,
                                   shadow={s.locale: s.path for s, _ in in_shadow.values() if s.kind == "model"})
    except AdapterError as exc:
        if not champion_adapters:
            raise
        raise AdapterError(f"an adapter in the model registry (a locale's champion) cannot be loaded: {exc}") from None
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
    tightenings = () if settings.threshold is not None else tuple(  # a --threshold run sets its own gate
        t for t in registry.tightenings(engine, locales)
        if t.copy_model == versions[t.locale] and t.gate == gate_id(learned, scored, t.locale))
    gate = Gate(thresholds=thresholds, fixed=settings.threshold, model=learned, learned=scored,
                tightened={t.locale: t.said() for t in tightenings})
    shadows = {}
    for locale, (shadow, candidate) in sorted(in_shadow.items()):
        running = versions[locale] if shadow.kind == "model" else gate_id(learned, scored, locale)
        if shadow.candidate == running:  # promoted since it was set: nothing to compare
            not_run[locale] = f"the shadow candidate {shadow.candidate} is what the locale runs now"
        elif shadow.kind == "model":
            judged = Gate(thresholds=registry.thresholds(known, {locale: shadow.candidate}), fixed=settings.threshold)
            shadows[locale] = ShadowPlan(shadow.candidate, shadow.kind, shadow.share, judged)
        elif versions[locale] != base_id:  # a learned gate scores only its base model's lines
            not_run[locale] = (f"the shadow gate {shadow.candidate} gates the lines of {base_id}, but the locale runs "
                               f"{versions[locale]}")
        else:
            judged = Gate(thresholds={locale: candidate.threshold(locale)} if locale in candidate.thresholds else {},
                          fixed=settings.threshold, model=candidate, learned=frozenset({locale}))
            shadows[locale] = ShadowPlan(shadow.candidate, shadow.kind, shadow.share, judged)
    for locale, why in sorted(not_run.items()):
        log.warning("%s: shadow not run: %s", locale, why)
    return CopyModels(handler, base_id, versions, gate, tuple(known), shadows, tightenings, not_run)


def tighten(models: CopyModels, settings: RunSettings) -> CopyModels:
    """Tighten each locale's gate whose live precision fell below its target: the Wilson 95% upper
    bound of the audited lines the running copy-model version and gate shipped, in runs started
    since its last recalibration (`adloc.audit`, `assets_db.live`), is under the target precision
    its threshold was calibrated for. Records the new tightenings (`registry.tighten`) and returns
    `models` with them in force: every model line of those locales goes to review. A locale with no
    calibrated threshold already sends them there, and a --threshold run has no target."""
    from adloc.assets_db import live, registry
    from adloc.audit import live_precision

    engine = engine_for(settings.db_url)
    found = list(models.tightenings)
    known = {(v.locale, v.version): v for v in models.known}
    for locale in sorted(set(models.versions) - {t.locale for t in found}):
        if models.gate.fixed is not None or models.gate.threshold(locale) is None:
            continue
        version, gate = models.versions[locale], gate_id(models.gate.model, models.gate.learned, locale)
        learned = models.gate.learns(locale)
        target = models.gate.model.target_precision if learned else getattr(known.get((locale, version)),
                                                                             "target_precision", None)
        if target is None:
            continue
        # Audits count from the latest recalibration: a cleared tightening, or (token confidence)
        # the eval that set the threshold; a learned gate's version is its calibration.
        calibrated = None if learned else getattr(known.get((locale, version)), "calibrated_at", None)
        after = max(filter(None, (registry.last_cleared(engine, locale, version, gate), calibrated)), default=None)
        lines = [line["confirmed"] for line in live.audited_lines(engine, locale, after=after)
                 if line["copy_model"] == version and line["gate"] == gate]
        precision = live_precision(sum(lines), len(lines))
        if lines and precision.high < target:
            found.append(registry.tighten(engine, registry.Tightening(
                locale, version, gate, target, precision.audited, precision.confirmed, precision.high)))
    if len(found) == len(models.tightenings):
        return models
    return replace(models, gate=replace(models.gate, tightened={t.locale: t.said() for t in found}),
                   tightenings=tuple(found))


def gate_id(learned: GateModel | None, scored: frozenset[str], locale: str) -> str:
    """The id item records give the gate that judges `locale` (`ItemRecord.gate_id`)."""
    return learned.version if learned is not None and locale in scored else "confidence"


def _shadows_of(found: dict, base_id: str) -> tuple[dict[str, tuple], dict[str, str]]:
    """The registry's shadows (`registry.Shadow`) a run of `base_id` can run, as locale -> (shadow,
    its loaded gate for a gate candidate, else None): model candidates of this base model whose
    adapter folder still holds the version that was set, gates trained on it that load; and why
    each other one cannot: a shadow never stops a run, it is left out and the report says why."""
    from adloc.assets_db.registry import _of_base

    out, not_run = {}, {}
    for locale, shadow in found.items():
        try:
            if shadow.kind == "model":
                if not _of_base(shadow.candidate, base_id):
                    raise AdlocError(f"the shadow candidate {shadow.candidate} is not a version of {base_id}")
                held = f"{base_id}+{find_adapters({locale: shadow.path})[locale][1]}" if shadow.path else base_id
                if held != shadow.candidate:
                    raise AdlocError(f"the shadow candidate is {shadow.candidate}, but {shadow.path} now holds {held}: "
                                     "restore the folder, or evaluate the new adapter and set it in shadow again")
                out[locale] = (shadow, None)
            else:
                gate = acceptability.load(shadow.path)
                if gate.version != shadow.candidate:
                    raise AdlocError(f"the shadow gate is {shadow.candidate}, but {shadow.path} now holds "
                                     f"{gate.version}")
                if gate.base_model != base_id:
                    raise AdlocError(f"the shadow gate {shadow.candidate} was trained for {gate.base_model}, "
                                     f"not {base_id}")
                out[locale] = (shadow, gate)
        except AdlocError as exc:  # AdapterError, GateFileError: a folder or file gone or changed
            not_run[locale] = exc.message
    return out, not_run


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
        requests = items | "PrepareCopy" >> beam.FlatMap(prepare_copy, beam.pvalue.AsSingleton(self._lookup),
                                                          self._models.shadows)
        memory_lines = (
            requests
            | "ExactHits" >> beam.Filter(lambda r: r.exact is not None)
            | "FromMemory" >> beam.Map(lambda r: (r.key, from_memory(r)))
        )
        gated = (
            requests
            | "Misses" >> beam.Filter(lambda r: r.exact is None)
            | "RewriteCopy" >> RunInference(self._models.handler)
            | "GateCopy" >> beam.ParDo(GateCopy(self._models.gate, self._models.shadows)).with_outputs(
                GateCopy.SHADOW, main="copy")
        )
        copies = (memory_lines, gated.copy) | "AllCopy" >> beam.Flatten()
        return (
            {"item": items | "KeyItems" >> beam.Map(lambda item: (item.key, item)), "copy": copies,
             "shadow": gated[GateCopy.SHADOW]}
            | "JoinCopy" >> beam.CoGroupByKey()
            | "MergeCopy" >> beam.Map(merge_copy)
        )

