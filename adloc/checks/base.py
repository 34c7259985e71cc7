"""What makes a failed check block an output, and the pieces of text every copy check reads alike.
The shape every check returns (`CheckResult`, with its `Severity`) is a shared record: `adloc.records`."""

from __future__ import annotations

import re

from adloc.records import CheckResult, Severity

__all__ = ["PLACEHOLDER", "SPACES", "WORD", "CheckResult", "Severity", "blocking_failures"]

# Named ({price}), positional ({0}, as ICU writes them) and printf-style placeholders.
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|\{[0-9]+\}|%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif]")
# The plain, no-break and narrow no-break spaces: one space wherever a locale spaces (`20 %`, `12 000`).
SPACES = " \u00a0\u202f"
# A word: letters, joined by an apostrophe or a hyphen (`aujourd’hui`, `Gratis-Kaffee`).
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


def blocking_failures(results: list[CheckResult]) -> list[CheckResult]:
    """The failed checks that stop an output from shipping: critical and functional ones."""
    return [r for r in results if not r.passed and r.severity is not Severity.COSMETIC]
