"""What makes a failed check block an output. The shape every check returns (`CheckResult`, with
its `Severity`) is a shared record: `adloc.records`."""

from __future__ import annotations

from adloc.records import CheckResult, Severity

__all__ = ["CheckResult", "Severity", "blocking_failures"]


def blocking_failures(results: list[CheckResult]) -> list[CheckResult]:
    """The failed checks that stop an output from shipping: critical and functional ones."""
    return [r for r in results if not r.passed and r.severity is not Severity.COSMETIC]
