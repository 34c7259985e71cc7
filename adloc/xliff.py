"""XLIFF 2.0 (OASIS Standard, 5 August 2014; https://docs.oasis-open.org/xliff/xliff-core/v2.0/)
for translators: the lines waiting for review go out to a CAT tool and come back.

One document per job and target locale; one `<unit>` per line (an item's slot), its id
`i<item>.<slot>`, the job in `<file original="adloc:job/<id>">`. A line's placeholders (`{price}`)
are inline codes (`<ph>` with its `originalData`, `canDelete="no"`) so a CAT tool protects them;
an ICU MessageFormat line (plural, select) goes as text, its structure kept by the copy checks on
import. Pure format work: no database, no checks (`adloc.services.handoff` does those).

Reading refuses what is not such a document with `XliffError`, naming the file and the unit id.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from adloc import locale, messageformat
from adloc.errors import AdlocError, InvalidFields

NS = "urn:oasis:names:tc:xliff:document:2.0"
_X = f"{{{NS}}}"
_UNIT_ID = re.compile(r"i([1-9][0-9]{0,9})\.([A-Za-z_][A-Za-z0-9_-]*)")
_ORIGINAL = re.compile(r"adloc:job/([1-9][0-9]{0,9})")


class XliffError(AdlocError):
    """A file that is not an XLIFF document adloc wrote, or one changed where it must not be."""


class State(StrEnum):
    """A segment's state (XLIFF 2.0 §4.3.1.34), in the order a line moves through them."""

    INITIAL = "initial"  # not translated yet (no target, or a candidate that needs work)
    TRANSLATED = "translated"
    REVIEWED = "reviewed"
    FINAL = "final"


@dataclass(frozen=True)
class Note:
    category: str  # origin | check | format | reason
    text: str


@dataclass(frozen=True)
class Unit:
    """One line: item `item`'s slot `slot`. `source` and `target` spell placeholders as adloc does
    (`{price}`); `target` is None when the unit has none."""

    item: int
    slot: str
    source: str
    target: str | None
    state: State
    notes: tuple[Note, ...] = ()
    origin: str = ""  # where the target came from: model | memory | approved ("" on read)

    @property
    def id(self) -> str:
        return f"i{self.item}.{self.slot}"


@dataclass(frozen=True)
class Document:
    """A job's lines for one target locale."""

    job: int
    job_name: str
    locale: str
    units: tuple[Unit, ...]
    source_locale: str = "en-US"


def _parts(text: str) -> list[str | tuple[str]]:
    """The text as runs of plain text and (placeholder name,) tuples; an ICU message is one run."""
    return [text] if messageformat.is_message(text) else locale.placeholder_runs(text)


def _fill(element, parts: list, ids: dict[str, list[str]], data: dict[str, str]) -> None:
    """Write `parts` into `element`: text, and each placeholder as a `<ph>` whose id is the next
    of `ids[name]` (the source's ids, in order); a placeholder the source lacks stays text."""
    used: dict[str, int] = {}
    last = None
    for part in parts:
        if isinstance(part, tuple):
            name = part[0]
            n = used.get(name, 0)
            if n < len(ids.get(name, ())):
                used[name] = n + 1
                ph = etree.SubElement(element, _X + "ph", id=ids[name][n], dataRef=data[name], disp=f"{{{name}}}",
                                      equiv=f"{{{name}}}", canDelete="no", type="other", subType="adloc:placeholder")
                last = ph
                continue
            part = f"{{{name}}}"
        if last is None:
            element.text = (element.text or "") + part
        else:
            last.tail = (last.tail or "") + part


def write(doc: Document) -> bytes:
    """The document as XLIFF 2.0 bytes (UTF-8, indented); the same document gives the same bytes."""
    root = etree.Element(_X + "xliff", nsmap={None: NS}, version="2.0", srcLang=doc.source_locale,
                         trgLang=doc.locale)
    file = etree.SubElement(root, _X + "file", id=f"job{doc.job}", original=f"adloc:job/{doc.job}")
    notes = etree.SubElement(file, _X + "notes")
    etree.SubElement(notes, _X + "note", category="job").text = (
        f"adloc job {doc.job} ({doc.job_name}), {doc.locale}: each unit is one line of an ad. Keep each "
        "placeholder; the format note gives the line's budget. Set a unit's state to translated when done; "
        "units still initial are not imported.")
    fills = []  # (element, parts, ids, data): filled after indenting, which must not touch mixed content
    for u in doc.units:
        unit = etree.SubElement(file, _X + "unit", id=u.id, name=u.slot)
        if u.notes:
            un = etree.SubElement(unit, _X + "notes")
            for n in u.notes:
                etree.SubElement(un, _X + "note", category=n.category,
                                 **({"appliesTo": "target"} if n.category in ("check", "format") else {})).text = n.text
        source_parts = _parts(u.source)
        names = [p[0] for p in source_parts if isinstance(p, tuple)]
        data = {name: f"d{i}" for i, name in enumerate(dict.fromkeys(names), 1)}
        if data:
            od = etree.SubElement(unit, _X + "originalData")
            for name, ref in data.items():
                etree.SubElement(od, _X + "data", id=ref).text = f"{{{name}}}"
        ids: dict[str, list[str]] = {}
        for i, name in enumerate(names, 1):
            ids.setdefault(name, []).append(f"ph{i}")
        segment = etree.SubElement(unit, _X + "segment", state=u.state.value,
                                   **({"subState": f"adloc:{u.origin}"} if u.origin else {}))
        fills.append((etree.SubElement(segment, _X + "source"), source_parts, ids, data))
        if u.target is not None:
            fills.append((etree.SubElement(segment, _X + "target"), _parts(u.target), ids, data))
    etree.indent(root, space="  ")
    for element, parts, ids, data in fills:
        _fill(element, parts, ids, data)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def _text(element, codes: dict[str, str], where: str) -> str:
    """The text of a `<source>` or `<target>`, each `<ph>` back as the placeholder its code stands
    for. `codes`: a dataRef or a source ph id -> the placeholder."""
    out = [element.text or ""]
    for child in element:
        tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if tag == "ph":
            text = codes.get(child.get("dataRef") or "") or codes.get(child.get("id") or "")
            if not text:
                raise XliffError(f"{where}: <ph id={child.get('id')!r}> stands for none of the source's placeholders")
            out.append(text)
        elif tag == "cp":
            try:
                out.append(chr(int(child.get("hex") or "", 16)))
            except ValueError:
                raise XliffError(f"{where}: <cp hex={child.get('hex')!r}> is not a code point") from None
        elif tag in ("pc", "mrk"):  # a paired code or an annotation around text: its text
            out.append(_text(child, codes, where))
        elif tag in ("sm", "em", "sc", "ec") or not tag:  # markers and comments carry no text
            pass
        else:
            raise XliffError(f"{where}: <{tag}> is not inline content adloc can read")
        out.append(child.tail or "")
    return "".join(out)


def parse_xml(data: bytes, name: str, error=AdlocError):
    """The root element of untrusted XML: no network, no DTD loaded, no entity expanded; a file that
    declares or uses entities is refused (`error`, naming `name`), never read with them dropped."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise error(f"{name}: not well-formed XML: {exc}") from None
    entity = next(root.iter(etree.Entity), None)
    if entity is not None or root.getroottree().docinfo.internalDTD is not None and \
            len(root.getroottree().docinfo.internalDTD.entities()):
        raise error(f"{name}: declares or uses an XML entity ({entity.text if entity is not None else 'in its DTD'}); "
                    "write the characters themselves")
    return root


def _unit(unit, where: str) -> Unit:
    uid = unit.get("id") or ""
    um = _UNIT_ID.fullmatch(uid)
    if not um or int(um.group(1)) > 2**31 - 1:
        raise XliffError(f"{where}: not a unit adloc wrote (ids are i<item>.<slot>)")
    data = {d.get("id"): d.text or "" for d in unit.iterfind(f"{_X}originalData/{_X}data")}
    codes = dict(data)
    for source in unit.iter(_X + "source"):
        for ph in source.iter(_X + "ph"):
            code = data.get(ph.get("dataRef") or "") or ph.get("equiv") or ph.get("disp")
            if not code:
                raise XliffError(f"{where}: the source's <ph id={ph.get('id')!r}> stands for no placeholder "
                                 "(no originalData, equiv or disp)")
            codes.setdefault(ph.get("id") or "", code)
    sources, targets, states = [], [], []
    for part in unit:
        tag = etree.QName(part).localname if isinstance(part.tag, str) else ""
        if tag not in ("segment", "ignorable"):
            continue
        source, target = part.find(_X + "source"), part.find(_X + "target")
        if source is None:
            raise XliffError(f"{where}: a <{tag}> without its <source>")
        sources.append(_text(source, codes, where))
        if target is not None:
            targets.append(_text(target, codes, where))
        else:  # an ignorable part without a target is its source; a segment without one is untranslated
            targets.append(sources[-1] if tag == "ignorable" else None)
        if tag == "segment":
            try:
                states.append(State(part.get("state") or "initial"))
            except ValueError:
                raise XliffError(f"{where}: state {part.get('state')!r} is not one of "
                                 f"{', '.join(s.value for s in State)}") from None
    target = None if any(t is None for t in targets) else "".join(targets)
    source = "".join(sources)
    if target is not None and not messageformat.is_message(source):
        wanted, got = Counter(locale.placeholders(source)), Counter(locale.placeholders(target))
        missing, extra = sorted((wanted - got).elements()), sorted((got - wanted).elements())
        if missing:
            raise XliffError(f"{where}: the target lacks the placeholder {{{missing[0]}}} ({target!r}); keep "
                             "every placeholder of the source")
        if extra:
            raise XliffError(f"{where}: the target has the placeholder {{{extra[0]}}}, which the source "
                             f"has not (as often) ({target!r})")
    return Unit(int(um.group(1)), um.group(2), source, target,
                min(states, key=list(State).index) if states else State.INITIAL)


def read(data: bytes, name: str) -> Document:
    """An XLIFF 2.0 document adloc wrote and a translator filled in. Units with several segments
    (a CAT tool split the line) are joined back. Raises XliffError naming `name` for what is not
    such a document (another version or namespace, a job adloc did not write, entities), and
    InvalidFields naming each unit id that cannot be taken: an id adloc did not write or one given
    twice, a target lacking a source's placeholder or carrying one the source has not."""
    root = parse_xml(data, name, XliffError)
    if root.tag != _X + "xliff" or not (root.get("version") or "").startswith("2."):
        raise XliffError(f"{name}: not an XLIFF 2.x document (root <{etree.QName(root).localname}>, "
                         f"version {root.get('version')!r}, namespace {etree.QName(root).namespace!r})")
    files = root.findall(_X + "file")
    if len(files) != 1:
        raise XliffError(f"{name}: {len(files)} <file> elements; adloc writes one per document")
    original = files[0].get("original") or ""
    m = _ORIGINAL.fullmatch(original)
    if not m or int(m.group(1)) > 2**31 - 1:
        raise XliffError(f"{name}: file original={original!r} is not an adloc job (adloc:job/N)")
    try:
        target_locale = locale.canonical(root.get("trgLang") or "")
    except ValueError:
        raise XliffError(f"{name}: trgLang {root.get('trgLang')!r} is not a locale") from None
    units, errors, seen = [], [], set()
    for unit in files[0].iter(_X + "unit"):
        where = f"unit {unit.get('id') or ''}"
        if unit.get("id") in seen:
            errors.append(f"{where}: given twice; one unit per line")
            continue
        seen.add(unit.get("id"))
        try:
            units.append(_unit(unit, where))
        except XliffError as exc:
            errors.append(exc.message)
    if errors:
        raise InvalidFields(name, errors)
    if not units:
        raise XliffError(f"{name}: no units")
    return Document(int(m.group(1)), "", target_locale, tuple(units), root.get("srcLang") or "")
