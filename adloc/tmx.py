"""TMX 1.4b (Translation Memory eXchange, LISA OSCAR, 2004; https://www.gala-global.org/tmx-14b):
translation memory in and out of a translation-management system.

One `<tu>` per English source line, its `<tuv>`s the source (`xml:lang` the header's `srclang`) and
one per locale holding a line for it; where the line came from (a catalog import, a reviewer)
travels as `<prop type="x-adloc-origin">`. Placeholders (`{price}`) are `<ph>` codes so the
system protects them. Written sorted, without dates: the same memory gives the same bytes.
Pure format work: no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from adloc import locale as loc
from adloc import messageformat
from adloc.errors import AdlocError, InvalidFields
from adloc.translation_memory import tm_key

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ORIGIN = "x-adloc-origin"
_CODES = ("ph", "bpt", "ept", "it", "ut")  # native codes: their content is the code's text


@dataclass(frozen=True, order=True)
class Entry:
    """One memory line: `target` is `locale`'s rendering of the English `source`."""

    source: str
    locale: str
    target: str
    origin: str = ""  # import | review ("" when the file does not say)


def _numbers(source: str) -> dict[str, int]:
    """Each placeholder of the source line -> its `x`, the number that pairs its codes across tuvs."""
    names = [] if messageformat.is_message(source) else loc.placeholders(source)
    return {name: i for i, name in enumerate(dict.fromkeys(names), 1)}


def _seg(parent, text: str, numbers: dict[str, int]) -> None:
    seg = etree.SubElement(parent, "seg")
    if messageformat.is_message(text):
        seg.text = text
        return
    last = None
    for part in loc.placeholder_runs(text):
        if isinstance(part, tuple):  # a placeholder: numbered as in the source, so a reordered line pairs right
            x = numbers.setdefault(part[0], len(numbers) + 1)
            last = etree.SubElement(seg, "ph", x=str(x), type="x-placeholder")
            last.text = f"{{{part[0]}}}"
        elif last is None:
            seg.text = part
        else:
            last.tail = part


def write(entries: list[Entry], source_locale: str = "en-US", version: str = "") -> bytes:
    """The entries as TMX 1.4b bytes (UTF-8): one tu per source line, sorted by source then locale."""
    root = etree.Element("tmx", version="1.4")
    etree.SubElement(root, "header", creationtool="adloc", creationtoolversion=version or "0", segtype="sentence",
                     adminlang="en-US", srclang=source_locale, datatype="plaintext",
                     **{"o-tmf": "adloc"})
    body = etree.SubElement(root, "body")
    by_source: dict[str, list[Entry]] = {}
    for e in sorted(entries):
        by_source.setdefault(e.source, []).append(e)
    for source, found in by_source.items():
        tu = etree.SubElement(body, "tu")
        tuv = etree.SubElement(tu, "tuv", {XML_LANG: source_locale})
        _seg(tuv, source, _numbers(source))
        for e in found:
            tuv = etree.SubElement(tu, "tuv", {XML_LANG: e.locale})
            if e.origin:
                etree.SubElement(tuv, "prop", type=ORIGIN).text = e.origin
            _seg(tuv, e.target, _numbers(source))
    # Indent the structure only: a seg's mixed content keeps its exact text.
    segs = [(s, s.text, [(c, c.tail) for c in s]) for s in root.iter("seg")]
    etree.indent(root, space="  ")
    for seg, text, tails in segs:
        seg.text = text
        for child, tail in tails:
            child.tail = tail
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def _text(seg) -> str:
    """A seg's text with each code's own text (a placeholder written as `<ph>{price}</ph>`);
    a `<sub>` (a code's translatable sub-flow) is no part of the line."""
    out = [seg.text or ""]
    for child in seg:
        if isinstance(child.tag, str):
            if child.tag in _CODES:
                out.append("".join(t for t in [child.text or ""] + [c.tail or "" for c in child]))
            elif child.tag == "hi":
                out.append(_text(child))
        out.append(child.tail or "")
    return "".join(out)


def _tag(tuv) -> str:
    return tuv.get(XML_LANG) or tuv.get("lang") or ""  # TMX 1.1 spelt it lang


def read(data: bytes, name: str, locales: frozenset[str] | None = None) -> list[Entry]:
    """The entries of a TMX 1.x file: for each tu, its source line (the tuv in the header's srclang,
    English: the memory maps English lines; or English when srclang is *all*) and each other tuv's
    line in that locale (canonical, with a region: the memory is per locale); only `locales` when
    given, the others not even checked. Raises InvalidFields naming each tu (by number and tuid)
    that cannot be read, and AdlocError for a file that is not TMX or not from English."""
    from adloc.xliff import parse_xml

    root = parse_xml(data, name)
    header = root.find("header")
    if root.tag != "tmx" or header is None:
        raise AdlocError(f"{name}: not a TMX document (root <{root.tag}>, expected <tmx> with a <header>)")
    srclang = header.get("srclang") or ""
    if srclang.lower() != "*all*" and srclang.lower().replace("_", "-").split("-")[0] != "en":
        raise AdlocError(f"{name}: header srclang {srclang!r}: the memory maps English source lines; export the "
                         "memory with English as the source language")
    entries, errors = [], []
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    for n, tu in enumerate(root.iterfind("body/tu"), 1):
        where = f"tu {n}" + (f" (tuid {tu.get('tuid')})" if tu.get("tuid") else "")
        tuvs = tu.findall("tuv")
        if srclang.lower() == "*all*":
            sources = [t for t in tuvs if _tag(t).lower().split("-")[0] == "en"]
        else:
            sources = [t for t in tuvs if _tag(t).lower() == srclang.lower()]
        if len(sources) != 1:
            errors.append(f"{where}: {len(sources)} tuvs in the source language {srclang}; expected one")
            continue
        source_seg = sources[0].find("seg")
        source = _text(source_seg).strip() if source_seg is not None else ""
        if not source or len(source) > 2000 or len(tm_key(source)) > 512:
            errors.append(f"{where}: the source line is {'empty' if not source else 'too long (2000 characters, 512 normalized)'}")
            continue
        for tuv in tuvs:
            if tuv is sources[0]:
                continue
            raw = _tag(tuv)
            if locales is not None and raw.lower().replace("_", "-").split("-")[0] not in {t.split("-")[0].lower() for t in locales}:
                continue
            try:
                tag = loc.canonical(raw)
                loc.territory(tag)
            except ValueError as exc:
                errors.append(f"{where}: xml:lang {raw!r}: {exc} (the memory is per locale with a region, e.g. fr-FR)")
                continue
            if locales is not None and tag not in locales:
                continue
            seg = tuv.find("seg")
            target = _text(seg).strip() if seg is not None else ""
            if not target or len(target) > 2000:
                errors.append(f"{where}: {tag}: the line is {'empty' if not target else 'over 2000 characters'}")
                continue
            prop = next((p.text or "" for p in tuv.iterfind("prop") if p.get("type") == ORIGIN), "")
            key = (tag, tm_key(source))
            if key in seen and seen[key][1] != target:
                errors.append(f"{where}: {tag}: a second line for {source!r} (tu {seen[key][0]} has {seen[key][1]!r}); "
                              "keep one")
                continue
            seen.setdefault(key, (n, target))
            entries.append(Entry(source, tag, target, prop))
    if errors:
        raise InvalidFields(name, errors)
    return entries
