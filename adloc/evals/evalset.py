"""The copy eval set (`examples/eval/`): en-US ad lines with a reference localization per locale,
split into tune and held-out parts, and a labelled set of known-good and known-bad localizations.
Every row is validated; an error names the file, the row and the field."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, TypeAdapter, ValidationError

from adloc import locale as loc
from adloc.errors import AdlocError
from adloc.fields import Strict, text
from adloc.records import Formality, GlossaryTerm

SPLITS = ("tune", "heldout")
# The checks a labelled bad line can name (the copy checks of `adloc check-copy`).
LABELS = ("good", "placeholders", "markup", "icu", "urls", "numbers", "quantities", "number_format", "percent",
          "currency", "keep_terms", "glossary_required", "glossary_banned", "length", "language", "untranslated",
          "register", "repetition", "doubled_words", "added_content", "punctuation_spacing", "quotes")


class _SetFile(Strict):
    brand: text(1, 200, strip=True)
    keep_terms: tuple[text(1, 200, strip=True), ...] = ()
    glossary: text(1) | None = None
    formality: dict[str, Formality] = Field(default_factory=dict)  # the register of each locale's references


class _Line(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    split: Literal["tune", "heldout"]
    slot: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    max_chars: int = Field(gt=0, le=10000)
    source: text(1, 2000)


class _Reference(Strict):
    id: str
    reference: text(1, 2000)
    alternative: text(0, 2000) = ""  # the same line in the other register (du/Sie, tu/vous), if it differs


class _Labelled(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    locale: str
    expect: Literal[LABELS]  # type: ignore[valid-type]
    max_chars: int = Field(gt=0, le=10000)
    source: text(1, 2000)
    target: text(1, 2000)
    note: text(0, 500) = ""


CATEGORIES = ("accuracy", "fluency", "terminology", "locale", "register")  # judged.md defines them


class _Judged(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    model: text(1, 200, strip=True)
    output: text(0, 2000)
    verdict: Literal["acceptable", "unacceptable"]
    category: Literal["", *CATEGORIES]  # type: ignore[valid-type]
    note: text(0, 500) = ""


@dataclass(frozen=True)
class Judgement:
    """A person's verdict on one model output for one line (judged/<locale>.tsv)."""

    id: str
    locale: str
    model: str
    output: str
    acceptable: bool
    category: str  # why it is not acceptable ("" when it is)
    note: str = ""


@dataclass(frozen=True)
class EvalLine:
    id: str
    split: str
    slot: str
    max_chars: int
    source: str
    reference: str
    alternative: str = ""  # a second reference in the other register, or ""

    @property
    def references(self) -> tuple[str, ...]:
        return (self.reference, self.alternative) if self.alternative else (self.reference,)


@dataclass(frozen=True)
class LabelledLine:
    id: str
    locale: str
    expect: str  # "good", or the check that must catch it
    max_chars: int
    source: str
    target: str
    note: str = ""


@dataclass(frozen=True)
class EvalSet:
    root: str
    brand: str
    keep_terms: tuple[str, ...]
    glossary: dict[str, tuple[GlossaryTerm, ...]]
    lines: dict[str, tuple[EvalLine, ...]]  # locale -> every line with its reference
    labelled: tuple[LabelledLine, ...]
    digest: str = field(default="")  # sha256 of the files: results are comparable only on the same set
    judged: dict[tuple[str, str, str], Judgement] = field(default_factory=dict)  # (locale, id, output) -> verdict
    formality: dict[str, Formality] = field(default_factory=dict)  # locale -> the references' register

    def judgement(self, locale: str, line_id: str, output: str) -> Judgement | None:
        """The judged verdict on exactly this output of this line, if the judged set has it."""
        return self.judged.get((locale, line_id, output.strip()))

    @property
    def locales(self) -> list[str]:
        return sorted(self.lines)

    def split(self, locale: str, split: str) -> tuple[EvalLine, ...]:
        if locale not in self.lines:
            raise AdlocError(f"{self.root}: no references for {locale} (the set has {', '.join(self.locales)})")
        return tuple(line for line in self.lines[locale] if line.split == split)


def _rows(path: Path, model) -> list:
    """Rows of a tab-separated file with a header, validated with `model`."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            raw = [(reader.line_num, row) for row in reader]  # line numbers as an editor shows them
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError) as exc:
        raise AdlocError(f"{path}: cannot read it: {exc}") from None
    wanted = list(model.model_fields)
    missing = [name for name in wanted if name not in header and model.model_fields[name].is_required()]
    if missing:
        raise AdlocError(f"{path}: the header lacks {', '.join(missing)} (expected: {' '.join(wanted)})")
    out = []
    for number, row in raw:
        if None in row:
            raise AdlocError(f"{path}, line {number}: more fields than the header names (a tab inside a field?)")
        try:
            out.append((number, model.model_validate({k: v for k, v in row.items() if v is not None})))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise AdlocError(f"{path}, line {number}, field {where}: {error['msg']} "
                               f"(value {error.get('input')!r})") from None
    return out


def _unique(path: Path, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise AdlocError(f"{path}: id {i!r} appears twice")
        seen.add(i)


def load(root: str | Path) -> EvalSet:
    """The eval set in `root` (set.yaml, lines.tsv, one <locale>.tsv per locale, labelled.tsv)."""
    from adloc.assets_db.catalog import CatalogError, load_glossary

    root = Path(root)
    spec_path = root / "set.yaml"
    if not spec_path.is_file():
        raise AdlocError(f"{root}: no set.yaml (is this an eval set folder, such as examples/eval?)")
    try:
        spec = TypeAdapter(_SetFile).validate_python(yaml.safe_load(spec_path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        error = exc.errors()[0]
        raise AdlocError(f"{spec_path}, field {'.'.join(str(p) for p in error['loc'])}: {error['msg']}") from None
    except yaml.YAMLError as exc:
        raise AdlocError(f"{spec_path}: not valid YAML: {exc}") from None
    glossary_path = (root / spec.glossary).resolve() if spec.glossary else None
    digest = hashlib.sha256()  # the glossary too: it changes the prompts and the checks
    for path in [*sorted(root.glob("*.tsv")), *sorted(root.glob("judged/*.tsv")), spec_path, *([glossary_path] if glossary_path else [])]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())

    lines_path = root / "lines.tsv"
    sources = [row for _, row in _rows(lines_path, _Line)]
    _unique(lines_path, [s.id for s in sources])
    by_locale: dict[str, tuple[EvalLine, ...]] = {}
    for path in sorted(root.glob("*-*.tsv")):
        try:
            locale = loc.canonical(path.stem)
            loc.territory(locale)
        except ValueError as exc:
            raise AdlocError(f"{path}: a reference file is named by its locale, such as pt-PT.tsv: {exc}") from None
        refs = [row for _, row in _rows(path, _Reference)]
        _unique(path, [r.id for r in refs])
        known = {r.id: r for r in refs}
        unknown = sorted(set(known) - {s.id for s in sources})
        if unknown:
            raise AdlocError(f"{path}: ids {', '.join(unknown[:5])} are not in {lines_path.name}")
        lacking = [s.id for s in sources if s.id not in known]
        if lacking:
            raise AdlocError(f"{path}: no reference for {', '.join(lacking[:5])}"
                               + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""))
        by_locale[locale] = tuple(EvalLine(s.id, s.split, s.slot, s.max_chars, s.source, known[s.id].reference,
                                           known[s.id].alternative) for s in sources)

    labelled: list[LabelledLine] = []
    labelled_path = root / "labelled.tsv"
    if labelled_path.is_file():
        rows = _rows(labelled_path, _Labelled)
        _unique(labelled_path, [r.id for _, r in rows])
        for number, row in rows:
            try:
                locale = loc.canonical(row.locale)
            except ValueError as exc:
                raise AdlocError(f"{labelled_path}, line {number}, field locale: {exc}") from None
            labelled.append(LabelledLine(row.id, locale, row.expect, row.max_chars, row.source, row.target, row.note))

    judged: dict[tuple[str, str, str], Judgement] = {}
    for path in sorted((root / "judged").glob("*.tsv")):
        try:
            locale = loc.canonical(path.stem)
        except ValueError as exc:
            raise AdlocError(f"{path}: a judged file is named by its locale, such as pt-PT.tsv: {exc}") from None
        if locale not in by_locale:
            raise AdlocError(f"{path}: no {locale}.tsv references beside it")
        ids = {line.id for line in by_locale[locale]}
        for number, row in _rows(path, _Judged):
            if row.id not in ids:
                raise AdlocError(f"{path}, line {number}, field id: {row.id!r} is not in {lines_path.name}")
            if (row.verdict == "unacceptable") != bool(row.category):
                raise AdlocError(f"{path}, line {number}, field category: an unacceptable output names its "
                                 f"category ({', '.join(CATEGORIES)}), an acceptable one none (value {row.category!r})")
            key = (locale, row.id, row.output.strip())
            judgement = Judgement(row.id, locale, row.model, row.output.strip(), row.verdict == "acceptable",
                                  row.category, row.note)
            if key in judged and judged[key].acceptable != judgement.acceptable:
                raise AdlocError(f"{path}, line {number}: output {row.output!r} of {row.id} is judged both ways")
            judged.setdefault(key, judgement)

    glossary: dict[str, tuple[GlossaryTerm, ...]] = {}
    if glossary_path:
        try:
            for locale in sorted(set(by_locale) | {x.locale for x in labelled}):
                glossary[locale] = load_glossary(glossary_path, locale)
        except CatalogError as exc:
            raise AdlocError(f"{spec_path}, field glossary: {exc}") from None
    try:
        formality = {loc.canonical(tag): register for tag, register in spec.formality.items()}
    except ValueError as exc:
        raise AdlocError(f"{spec_path}, field formality: {exc}") from None
    return EvalSet(str(root), spec.brand, tuple(spec.keep_terms), glossary, by_locale, tuple(labelled),
                   digest.hexdigest(), judged, formality)
