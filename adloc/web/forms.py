"""The submit form: its fields are named by the job spec's own paths (`brand`,
`creatives[0].copy.headline`, ...), so every validation error lands next to its field."""

from __future__ import annotations

import re

from adloc.records import Channel

CHANNELS = tuple(Channel)
_ROW = re.compile(r"^creatives\[(\d+)\]\.")
MAX_CREATIVES = 50


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def _value(text: str):
    """A typed value: `4.99 EUR` is money (an amount and a currency code), `4.99` a number, anything
    else text."""
    money = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s+([A-Z]{3})", text)
    if money:
        return {"amount": money.group(1), "currency": money.group(2)}
    try:
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text) if re.fullmatch(r"-?\d+\.\d+", text) else text
    except ValueError:
        return text


# `price=4.99 EUR` for every market; `price[es-MX]=89 MXN` for one market's own price.
_PAIR = re.compile(r"^([^=\[\]]+?)\s*(?:\[\s*([A-Za-z0-9-]+)\s*\])?\s*=(.*)$", re.DOTALL)


def creative_rows(form: dict) -> int:
    """How many creative rows the form holds (at least one)."""
    try:
        rows = int(form.get("rows") or 1)
    except ValueError:
        rows = 1
    return max(1, min(rows, MAX_CREATIVES))


def spec_from_form(form: dict, slots: list[str]) -> tuple[dict, dict[str, str]]:
    """The job spec the form describes, and errors the spec cannot express (a malformed value).
    `form`: field name -> value (a list for `locales`); `slots`: the copy fields each row shows.
    Empty rows are left out; empty copy fields are not slots of the creative."""
    errors: dict[str, str] = {}
    creatives = []
    for i in range(creative_rows(form)):
        field = f"creatives[{i}]"
        row = {key.removeprefix(field + "."): (value or "").strip() for key, value in form.items()
               if key.startswith(field + ".") and isinstance(value, str)}
        chosen = templates_of(form, i)
        if not any(row.values()) and not chosen:
            continue
        # One template, or several: one output per template (the spec's list form).
        creative: dict = {"id": row.get("id", ""), "template": chosen[0] if len(chosen) == 1 else chosen}
        copy = {slot: row[f"copy.{slot}"] for slot in slots if row.get(f"copy.{slot}")}
        creative["copy"] = copy
        if row.get("talent"):
            creative["talent"] = {"tags": _split(row["talent"])}
        values: dict = {}
        markets: dict[str, dict] = {}  # name -> {locale: value}: each market's own value
        for pair in [part.strip() for part in re.split(r"[;\n]", row.get("values", "")) if part.strip()]:
            found = _PAIR.match(pair)
            if not found or not found.group(1).strip():
                errors[f"{field}.values"] = (f"{pair!r} is not NAME=VALUE (e.g. price=4.99 EUR; "
                                             "price[es-MX]=89 MXN; date=1 May)")
                break
            name, market, value = found.group(1).strip(), found.group(2), _value(found.group(3).strip())
            if market is None:
                values[name] = value
            else:
                markets.setdefault(name, {})[market] = value
        both = sorted(set(values) & set(markets))
        if both:
            errors[f"{field}.values"] = (f"{both[0]} has one value for every market and one for "
                                         f"{next(iter(markets[both[0]]))}: give one or the other")
        values.update(markets)
        if values:
            creative["values"] = values
        creatives.append(creative)
    spec = {
        "job": (form.get("job") or "").strip(), "brand": (form.get("brand") or "").strip(),
        "channel": (form.get("channel") or "").strip(), "locales": list(form.get("locales") or []),
        "creatives": creatives,
    }
    keep = _split(form.get("keep_terms", ""))
    if keep:
        spec["keep_terms"] = keep
    # The register each ticked locale's copy must use (du/Sie, tu/vous), where one is chosen.
    formality = {tag: form.get(f"formality.{tag}") for tag in spec["locales"] if form.get(f"formality.{tag}")}
    if formality:
        spec["formality"] = formality
    return spec, errors


def field_errors(lines: list[str], rows_used: list[int]) -> dict[str, str]:
    """'path: message' lines -> {form field: message}. `rows_used[k]` is the form row of the
    spec's k-th creative (empty rows are left out of the spec, so the numbers can differ)."""
    errors: dict[str, str] = {}
    for line in lines:
        path, sep, message = line.partition(": ")
        if not sep:
            path, message = "", line
        found = _ROW.match(path)
        if found and int(found.group(1)) < len(rows_used):
            path = f"creatives[{rows_used[int(found.group(1))]}]." + path[found.end():]
        path = re.sub(r"^(creatives\[\d+\]\.(?:template|talent|values))(?:\[\d+\]|\..*)$", r"\1", path)
        path = re.sub(r"^(locales|keep_terms)\[\d+\]$", r"\1", path)
        path = re.sub(r"^formality\..*$", "formality", path)
        errors.setdefault(path, message)
    return errors


def templates_of(form: dict, row: int) -> list[str]:
    """The templates ticked in a creative row."""
    chosen = form.get(f"creatives[{row}].template") or []
    chosen = [chosen] if isinstance(chosen, str) else chosen
    return [t.strip() for t in chosen if isinstance(t, str) and t.strip()]


def used_rows(form: dict) -> list[int]:
    """The form rows that hold anything, in order: the spec's creatives."""
    rows = []
    for i in range(creative_rows(form)):
        prefix = f"creatives[{i}]."
        if templates_of(form, i) or any(isinstance(v, str) and v.strip() for k, v in form.items() if k.startswith(prefix)):
            rows.append(i)
    return rows
