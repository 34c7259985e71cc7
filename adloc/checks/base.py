"""The shape every check returns, and what makes a failure block an output."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Severity(str, Enum):
    CRITICAL = "critical"  # the output is wrong: a changed price, a dropped placeholder
    FUNCTIONAL = "functional"  # the output does not do its job: wrong language, over budget
    COSMETIC = "cosmetic"  # worth a look, never blocks: stray whitespace, punctuation


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    score: float
    detail: str
    severity: Severity = Severity.FUNCTIONAL

    def to_json(self) -> dict:
        out = asdict(self)
        out["severity"] = self.severity.value
        out["score"] = round(self.score, 4)
        return out


def blocking_failures(results: list[CheckResult]) -> list[CheckResult]:
    """The failed checks that stop an output from shipping: critical and functional ones."""
    return [r for r in results if not r.passed and r.severity is not Severity.COSMETIC]
