"""Deterministic checks: pure functions returning CheckResult. No Beam, no models."""

from adloc.checks.base import CheckResult, Severity, blocking_failures

__all__ = ["CheckResult", "Severity", "blocking_failures"]
