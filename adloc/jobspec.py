"""Job spec v1: parse and validate a job YAML, reporting every error with its field path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from adloc import locale as loc
from adloc.errors import InvalidFields
from adloc.fields import Strict, Text, text
from adloc.locale import placeholders
from adloc.records import Channel

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class JobSpecError(InvalidFields):
    """An invalid job spec; `errors` holds one 'field.path: message' line per problem."""

    def __init__(self, source: str, errors: list[str]):
        super().__init__(source, errors)
        self.message = f"{source}: invalid job spec\n" + "\n".join(f"  {e}" for e in errors)


class _Strict(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True)


Tag = text(min_length=1, max_length=64, strip=True)


class TalentCriteria(_Strict):
    tags: list[Tag] = Field(default_factory=list)


class Creative(_Strict):
    id: Id
    template: str | list[str]
    talent: TalentCriteria = Field(default_factory=TalentCriteria)
    copy_: dict[str, Text] = Field(alias="copy", min_length=1)
    values: dict[str, Text | int | float] = Field(default_factory=dict)

    @property
    def templates(self) -> list[str]:
        return [self.template] if isinstance(self.template, str) else list(self.template)

    @field_validator("template")
    @classmethod
    def _templates_not_empty(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not value:
            raise ValueError("must name at least one template")
        if isinstance(value, list) and len(set(value)) != len(value):
            raise ValueError("names a template more than once")
        return value


class Job(_Strict):
    job: Id
    brand: Text = Field(min_length=1, max_length=200)
    channel: Channel
    locales: list[str] = Field(min_length=1)
    keep_terms: list[text(min_length=1, max_length=200)] = Field(default_factory=list)
    creatives: list[Creative] = Field(min_length=1)

    @field_validator("locales")
    @classmethod
    def _known_locales(cls, value: list[str]) -> list[str]:
        canonical = []
        for tag in value:
            loc.territory(tag)  # raises with the tag and what is expected
            canonical.append(loc.canonical(tag))
        repeated = sorted({t for t in canonical if canonical.count(t) > 1})
        if repeated:
            raise ValueError(f"locales must not repeat: {', '.join(repeated)}")
        return canonical


def _path(location: tuple) -> str:
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = "copy" if part == "copy_" else part
            out += f".{part}" if out else str(part)
    return out


def _shown(value: object) -> str:
    """A value as an error shows it: at most about 100 characters, however large or nested (a
    YAML file's aliases can make a small document a huge value)."""
    import reprlib

    shown = reprlib.Repr()
    shown.maxlevel, shown.maxlist, shown.maxdict, shown.maxstring, shown.maxother = 2, 4, 4, 80, 80
    text = shown.repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _message(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "string_pattern_mismatch":
        return f"{_shown(error['input'])} is not a valid id: use lower-case letters, digits and '-', up to 64"
    if error["type"] in ("literal_error", "enum"):
        return f"{_shown(error['input'])} is not one of: {error['ctx']['expected']}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{message} (got {_shown(error['input'])})" if "input" in error else message


def parse_job(data: object, source: str = "<job>") -> Job:
    """Validate a loaded job document; raises JobSpecError listing every problem at once."""
    if not isinstance(data, dict):
        raise JobSpecError(source, ["the job spec must be a mapping of fields"])
    try:
        job = Job.model_validate(data)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            # A `template: str | list` union reports each branch; one line per field is enough.
            path = _path(tuple(p for p in error["loc"] if p not in ("str", "list[str]")))
            line = f"{path}: {_message(error)}"
            if line not in errors and not any(e.startswith(f"{path}:") for e in errors):
                errors.append(line)
        raise JobSpecError(source, errors) from None
    errors = []
    seen: set[str] = set()
    for i, creative in enumerate(job.creatives):
        if creative.id in seen:
            errors.append(f"creatives[{i}].id: {creative.id!r} is used by another creative")
        seen.add(creative.id)
        for slot, line in creative.copy_.items():
            for name in placeholders(line):
                if name not in creative.values:
                    errors.append(
                        f"creatives[{i}].copy.{slot}: placeholder {{{name}}} has no value in "
                        f"creatives[{i}].values"
                    )
    if errors:
        raise JobSpecError(source, errors)
    return job


def load_job(path: str | Path) -> Job:
    """Read and validate a job YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JobSpecError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise JobSpecError(str(path), [f"not valid YAML: {exc}"]) from None
    return parse_job(data, str(path))
