"""Field types shared by the job spec and the imports."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class Strict(BaseModel):
    """A spec model: an unknown key is an error (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


# Text without control characters (tab and newline allowed): a NUL byte cannot be stored in
# PostgreSQL, and nothing else of that range belongs in ad copy, names or terms.
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Text = Annotated[str, StringConstraints(pattern=_NO_CONTROL)]


def text(min_length: int = 0, max_length: int | None = None, strip: bool = False):
    return Annotated[str, StringConstraints(pattern=_NO_CONTROL, min_length=min_length, max_length=max_length,
                                            strip_whitespace=strip)]


def has_control(value: str) -> bool:
    return any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in value)
