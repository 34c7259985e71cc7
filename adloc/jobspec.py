"""Job spec v1: parse and validate a job YAML, reporting every error with its field path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Union

import yaml
from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic import (
    Tag as Branch,
)

from adloc import locale as loc
from adloc.errors import InvalidFields
from adloc.fields import Strict, Text, text
from adloc.locale import placeholders
from adloc.messageformat import MessageError, arguments, is_message
from adloc.messageformat import parse as parse_message
from adloc.money import Money, is_currency
from adloc.records import Channel, Formality

_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
Id = Annotated[str, StringConstraints(pattern=_ID_PATTERN)]


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


def _currency(code: str) -> str:
    if not is_currency(code):
        raise ValueError("not a currency code: use an ISO 4217 code such as EUR, USD or MXN")
    return code


class MoneyValue(_Strict):
    """A price: `{amount: 4.99, currency: EUR}`, written as each market writes money."""

    amount: Decimal = Field(ge=0, allow_inf_nan=False)
    currency: Annotated[str, AfterValidator(_currency)]

    def money(self) -> Money:
        return Money(self.amount, self.currency)


def _kind(value: object, markets: bool) -> str | None:
    """Which form a placeholder value takes: text, a number, money, or (where `markets`) a mapping
    from locale to each market's own value; None for anything else."""
    if isinstance(value, dict):
        return "<markets>" if markets and not {"amount", "currency"} & set(value) else "<money>"
    if isinstance(value, MoneyValue):
        return "<money>"
    return {str: "<text>", int: "<int>", float: "<float>"}.get(type(value))  # a YAML `yes` is no number


_FORMS = "text, a number, money such as {amount: 4.99, currency: EUR}"


def _value(markets: bool):
    choices = [Annotated[Text, Branch("<text>")], Annotated[int, Branch("<int>")],
               Annotated[float, Branch("<float>")], Annotated[MoneyValue, Branch("<money>")]]
    if markets:
        choices.append(Annotated[dict[LocaleTag, Value], Field(min_length=1), Branch("<markets>")])
    forms = _FORMS + (", or a mapping from locale to one of those" if markets else "")
    kind = Discriminator(lambda v: _kind(v, markets), custom_error_type="value", custom_error_message=f"must be {forms}")
    return Annotated[Union[tuple(choices)], kind]  # noqa: UP007 (a union built from a list)


LocaleTag = Annotated[str, AfterValidator(loc.canonical)]
Value = _value(markets=False)  # text, a number (formatted with the locale's separators) or money
Entry = _value(markets=True)  # a value for every market, or each market's own
# Union branches pydantic names in an error's location: not fields of the spec.
_BRANCHES = {"str", "int", "float", "list[str]"}


class Creative(_Strict):
    id: Id
    template: str | list[str]
    talent: TalentCriteria = Field(default_factory=TalentCriteria)
    copy_: dict[str, Text] = Field(alias="copy", min_length=1)
    values: dict[str, Entry] = Field(default_factory=dict)

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

    def value_for(self, name: str, locale: str) -> str | int | float | Money | None:
        """The placeholder's value in one market (None when the market has none)."""
        entry = self.values.get(name)
        if isinstance(entry, dict):
            entry = entry.get(locale)
        return entry.money() if isinstance(entry, MoneyValue) else entry

    def values_for(self, locale: str) -> dict[str, str | int | float | Money]:
        """Every placeholder value as one market sees it."""
        found = {name: self.value_for(name, locale) for name in self.values}
        return {name: value for name, value in found.items() if value is not None}


class Job(_Strict):
    job: Id
    brand: Text = Field(min_length=1, max_length=200)
    channel: Channel
    locales: list[str] = Field(min_length=1)
    keep_terms: list[text(min_length=1, max_length=200)] = Field(default_factory=list)
    # How the copy addresses its reader, per locale: the prompt asks for it, the register check holds it.
    formality: dict[LocaleTag, Formality] = Field(default_factory=dict)
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
        elif part == "[key]":  # a mapping's key itself is wrong: the path already names it
            continue
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
    if error["type"] == "too_short" and isinstance(error.get("input"), dict):
        return "an empty mapping: give each locale's value (e.g. pt-PT: {amount: 4.99, currency: EUR})"
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") != _ID_PATTERN:
        return f"{_shown(error['input'])} holds a control character: text may hold tabs and newlines only"
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
            path = _path(tuple(p for p in error["loc"]
                               if p not in _BRANCHES and not (isinstance(p, str) and p.startswith("<"))))
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
            names = placeholders(line)
            if is_message(line):
                try:
                    names = list(dict.fromkeys(a["name"] for a in arguments(parse_message(line))))
                except MessageError as exc:
                    errors.append(f"creatives[{i}].copy.{slot}: not valid ICU MessageFormat: {exc}")
                    continue
            for name in names:
                if name not in creative.values:
                    errors.append(
                        f"creatives[{i}].copy.{slot}: placeholder {{{name}}} has no value in "
                        f"creatives[{i}].values"
                    )
                    continue
                missing = [tag for tag in job.locales if creative.value_for(name, tag) is None]
                line = (f"creatives[{i}].values.{name}: no value for {', '.join(missing)}: the copy's "
                        f"{{{name}}} needs one in every locale of the job")
                if missing and line not in errors:
                    errors.append(line)
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
