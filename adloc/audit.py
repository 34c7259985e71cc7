"""Audit sampling: which automatically approved items reviewers also see, and the live precision
of what shipped. An audited item ships as usual; a reviewer confirms or corrects it, and a
correction counts as a gate error like any review."""

from __future__ import annotations

from dataclasses import dataclass

from adloc.records import seed_for

AUDIT_SHARE = 0.05  # the default share of automatically approved items that are audited


def drawn(sample: str, job: str, key: str, share: float) -> bool:
    """Whether the item `key` ("creative/template/locale") of `job` is in the `sample` ("audit",
    "shadow"): a uniform draw from a hash of the three (never Python's salted hash), so a rerun
    picks the same items, and over many items about `share` of them. `share` is in [0, 1]; the
    samples are drawn independently of each other."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{sample} share {share!r} is not between 0 and 1")
    return seed_for(sample, job, key) / 2**63 < share


def audited(job: str, key: str, share: float = AUDIT_SHARE) -> bool:
    """Whether the item is in the audit sample (`drawn`)."""
    return drawn("audit", job, key, share)


@dataclass(frozen=True)
class Precision:
    """Confirmed out of audited lines, with the Wilson score interval (95%) around the share.
    Source: E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
    JASA 22 (1927); computed by scipy.stats.binomtest(...).proportion_ci(method="wilson")."""

    confirmed: int
    audited: int
    low: float
    high: float

    @property
    def share(self) -> float | None:
        return self.confirmed / self.audited if self.audited else None


def live_precision(confirmed: int, audited_lines: int, confidence: float = 0.95) -> Precision:
    """The live precision of `audited_lines` reviewed lines of which `confirmed` were kept as
    shipped. No audited line: the interval is [0, 1] (nothing is known yet)."""
    if not 0 <= confirmed <= audited_lines:
        raise ValueError(f"confirmed lines {confirmed} must be between 0 and the audited {audited_lines}")
    if audited_lines == 0:
        return Precision(0, 0, 0.0, 1.0)
    from scipy.stats import binomtest

    interval = binomtest(confirmed, audited_lines).proportion_ci(confidence_level=confidence, method="wilson")
    return Precision(confirmed, audited_lines, float(interval.low), float(interval.high))
