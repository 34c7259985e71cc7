"""The gate: a model output ships only if no blocking check failed and its confidence clears the
locale's threshold. Below it, the pipeline says "not sure" and takes the old path.

Thresholds come from `adloc eval` (the lowest confidence reaching the target precision on the
held-out set); a locale whose eval found no such threshold has None: nothing of the model's ships
without review there. Locales never evaluated use the default."""

from __future__ import annotations

from dataclasses import dataclass, field

from adloc.checks.base import CheckResult, blocking_failures


@dataclass(frozen=True)
class Gate:
    default_threshold: float = 0.5
    thresholds: dict[str, float | None] = field(default_factory=dict)

    def threshold(self, locale: str) -> float | None:
        return self.thresholds.get(locale, self.default_threshold)

    def decide(self, checks: list[CheckResult], confidence: float, locale: str) -> tuple[bool, str]:
        """(passed, reason); the reason names the failed checks or the confidence shortfall."""
        failed = blocking_failures(checks)
        if failed:
            return False, "failed " + ", ".join(f"{c.name} ({c.detail})" for c in failed)
        threshold = self.threshold(locale)
        if threshold is None:
            return False, (f"confidence {confidence:.2f}, but no {locale} threshold reaches the target precision "
                           "on the eval: every line of this model goes to review")
        if confidence < threshold:
            return False, f"confidence {confidence:.2f} below the {locale} threshold {threshold:.2f}"
        return True, f"all checks passed, confidence {confidence:.2f}"
