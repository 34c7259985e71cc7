"""The HTML adloc writes and serves, from one Jinja environment over `adloc/html/`: a run's
`report.html`, an eval's `eval.html` (and `compare.html`), and the pages of `adloc serve`.

Autoescaping is on for every `.html` template, so text reaches a page escaped unless a template
says otherwise. The folder is not called `templates/`: in adloc a template is a creative's layout."""

from __future__ import annotations

import jinja2


def percent(x: float | None) -> str:
    """A share as a percentage: whole at 0 and 1, one decimal between, a dash when unknown."""
    return "–" if x is None else f"{x:.0%}" if x in (0, 1) else f"{x:.1%}"


environment = jinja2.Environment(
    loader=jinja2.PackageLoader("adloc", "html"),
    autoescape=jinja2.select_autoescape(("html",)),
)
environment.filters["percent"] = percent

# The reports render strictly: a name missing from their context is a bug, not an empty cell. The
# web pages keep the lenient default, since the item records they show may lack optional keys.
_reports = environment.overlay(undefined=jinja2.StrictUndefined, finalize=lambda v: "" if v is None else v)


def render(name: str, **context) -> str:
    """Template `name` (e.g. "report.html") rendered with `context`: a missing name is an error,
    and None prints as nothing (an empty cell)."""
    return _reports.get_template(name).render(**context)
