"""The live evaluation of what shipped: per copy model version, gate and locale, the audited lines
reviewers decided and the share confirmed (live precision, with its Wilson 95% interval), the
coverage (the share of the model's lines the gate let ship), and the same per week. The CLI's
`adloc models live` and the web app's live page both show `report`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine

from adloc.assets_db import live
from adloc.audit import Precision, live_precision


@dataclass(frozen=True)
class WeekFigures:
    week: str  # ISO week of the runs, e.g. 2027-W09
    precision: Precision


@dataclass(frozen=True)
class LiveFigures:
    """One copy model version and gate in one locale."""

    copy_model: str
    gate: str
    locale: str
    precision: Precision  # audited lines confirmed as they shipped
    model_lines: int  # lines the model made in the runs counted
    gate_passed: int  # of them, shipped without review
    weeks: tuple[WeekFigures, ...] = field(default=())

    @property
    def coverage(self) -> float | None:
        return self.gate_passed / self.model_lines if self.model_lines else None

    def to_json(self) -> dict:
        p = self.precision
        return {"copy_model": self.copy_model, "gate": self.gate, "locale": self.locale, "audited": p.audited,
                "confirmed": p.confirmed, "precision": p.share, "low": round(p.low, 4), "high": round(p.high, 4),
                "model_lines": self.model_lines, "gate_passed": self.gate_passed, "coverage": self.coverage,
                "weeks": [{"week": w.week, "audited": w.precision.audited, "confirmed": w.precision.confirmed,
                           "precision": w.precision.share} for w in self.weeks]}


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def report(engine: Engine, locale: str | None = None, since: date | None = None) -> list[LiveFigures]:
    """The live figures of every (copy model, gate, locale) with lines in runs on or after `since`,
    sorted by locale, copy model and gate."""
    lines = live.audited_lines(engine, locale, since)
    coverage = {(c["copy_model"], c["gate"], c["locale"]): c for c in live.gate_coverage(engine, locale, since)}
    audited: dict[tuple, list[bool]] = defaultdict(list)
    weekly: dict[tuple, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for line in lines:
        key = (line["copy_model"], line["gate"], line["locale"])
        audited[key].append(line["confirmed"])
        weekly[key][iso_week(line["run_date"])].append(line["confirmed"])
    out = []
    for key in sorted(set(audited) | set(coverage), key=lambda k: (k[2], k[0], k[1])):
        found, counted = audited.get(key, []), coverage.get(key, {})
        out.append(LiveFigures(
            copy_model=key[0], gate=key[1], locale=key[2], precision=live_precision(sum(found), len(found)),
            model_lines=counted.get("model_lines", 0), gate_passed=counted.get("gate_passed", 0),
            weeks=tuple(WeekFigures(week, live_precision(sum(v), len(v))) for week, v in sorted(weekly[key].items()))))
    return out
