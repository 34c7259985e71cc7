"""The gate: a model output ships only if no blocking check failed and its score clears the
locale's threshold. Below it, the pipeline says "not sure" and takes the old path.

The score is the learned gate's probability that the line is acceptable (`models.acceptability`,
trained by `adloc gate train` for one base model), or, without a learned gate, the line's token
confidence. Thresholds are calibrated per locale at a target precision (the learned gate's own, or
the registry's from `adloc eval`); a locale without a calibrated threshold sends every model line to
review: nothing is trusted that was never measured. `--threshold` (`fixed`) is the explicit override
for every locale. A locale whose gate the live precision tightened (`registry.tighten`) sends every
model line to review until it is recalibrated, whatever its threshold."""

from __future__ import annotations

from dataclasses import dataclass, field

from adloc.checks.base import CheckResult, blocking_failures
from adloc.models import acceptability, similarity
from adloc.records import Generation


@dataclass(frozen=True)
class Gate:
    thresholds: dict[str, float | None] = field(default_factory=dict)  # locale -> calibrated threshold
    fixed: float | None = None  # --threshold: this threshold in every locale
    model: acceptability.GateModel | None = None  # the learned gate; None: the score is token confidence
    # The locales the learned gate scores (those running the base model it was trained on); a locale
    # running a tuned adapter is scored by token confidence, against its `adloc eval` threshold.
    learned: frozenset[str] = frozenset()
    # locale -> why its gate is tightened (`registry.Tightening.said`): the live precision of what it
    # shipped fell below the target, so every model line there goes to review, whatever the threshold.
    tightened: dict[str, str] = field(default_factory=dict)

    def key(self) -> dict:
        """What decides a line's fate, for the inputs digest of `pipelines.reuse`."""
        return {"thresholds": self.thresholds, "fixed": self.fixed, "learned": sorted(self.learned),
                "model": self.model.version if self.model else None, "tightened": sorted(self.tightened)}

    def learns(self, locale: str) -> bool:
        return self.model is not None and locale in self.learned

    def score_name(self, locale: str) -> str:
        return "acceptability" if self.learns(locale) else "confidence"

    def threshold(self, locale: str) -> float | None:
        """The locale's threshold; None: nothing of the model ships there without review."""
        return self.fixed if self.fixed is not None else self.thresholds.get(locale)

    def score(self, source: str, generation: Generation, checks: list[CheckResult], max_chars: int | None,
              locale: str) -> tuple[float, dict | None]:
        """What the threshold applies to: the learned gate's P(acceptable), else token confidence;
        and, with a learned gate, its view of the line ({version, base_model, features}: the
        features it used), which the item's record keeps for the next gate's training."""
        if not self.learns(locale):
            return generation.confidence, None
        encoder = None if self.model.encoder == "auto" else self.model.encoder
        (sim,) = similarity.similarity([source], [generation.text or " "], locale, encoder)
        values = acceptability.features(source, generation.text, generation, checks, max_chars, sim)
        used = {name: round(values[name], 6) for name in self.model.features}
        return (round(self.model.probability(values), 4),
                {"version": self.model.version, "base_model": self.model.base_model, "features": used})

    def decide(self, checks: list[CheckResult], score: float, locale: str) -> tuple[bool, str]:
        """(passed, reason); the reason names the failed checks or the score's shortfall."""
        failed = blocking_failures(checks)
        if failed:
            return False, "failed " + ", ".join(f"{c.name} ({c.detail})" for c in failed)
        if locale in self.tightened:
            return False, self.tightened[locale]
        threshold = self.threshold(locale)
        name = self.score_name(locale)
        if threshold is None:
            return False, (f"{name} {score:.2f}, but the gate has no {locale} threshold reaching the target "
                           "precision (not calibrated for this model there): every line of the model goes to review")
        if score < threshold:
            return False, f"{name} {score:.2f} below the {locale} threshold {threshold:.2f}"
        return True, f"all checks passed, {name} {score:.2f}"
