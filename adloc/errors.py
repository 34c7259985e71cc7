"""adloc's one error family.

Every refusal adloc makes of a person's input or request is an `AdlocError` whose message names the
file, field and value and what would be valid (never a command-line flag: the same message reaches
the CLI and the web app). Each face catches the family once: the CLI prints the message and exits 2,
the web app answers `status`. Subclasses exist only where a caller must tell them apart.
"""

from __future__ import annotations


class AdlocError(Exception):
    """Input or a request adloc refuses; `str(exc)` is the message for the person (web: 422)."""

    status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(AdlocError):
    """A job, item, talent or file that is not there (web: 404)."""

    status = 404


class Conflict(AdlocError):
    """A request that contradicts what is already recorded, e.g. a second review decision (web: 409)."""

    status = 409


class Forbidden(AdlocError):
    """A request its person may not make, e.g. a decision outside the reviewer's locales (web: 403)."""

    status = 403


class InvalidFields(AdlocError):
    """Several invalid fields found at once (a job spec, a catalog, an eval set): `errors` holds each
    'field: message'; the message is `source` and every error, one per line."""

    def __init__(self, source: str, errors: list[str]):
        self.source = str(source)
        self.errors = list(errors)
        super().__init__(f"{self.source}:\n" + "\n".join(f"  {e}" for e in self.errors))


class MatteError(AdlocError):
    """A talent photo whose matte cannot be trusted (no person, the whole frame, several people);
    the message names the photo and says why."""
