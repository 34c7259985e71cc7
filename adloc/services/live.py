"""The live evaluation of what shipped: per copy model version, gate and locale, the audited lines
reviewers decided and the share confirmed (live precision, with its Wilson 95% interval), the
coverage (the share of the model's lines the gate let ship), and the same per week. The CLI's
`adloc models live` and the web app's live page both show `report`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine

from adloc.assets_db import live, registry
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


@dataclass(frozen=True)
class VersionLive:
    """One side of a shadow comparison, scored against reviewers' final lines on the shadow's
    decided items."""

    version: str
    decided: int  # lines reviewers decided that this version made
    agreed: int  # of them, the final line reads as this version's
    shipped_corrected: int  # its gate passed the line, and the reviewer changed or rejected it
    held_fine: int  # its gate held the line, and the reviewer kept it as it reads
    precision: Precision  # of the decided lines its gate passed, the share kept (Wilson 95%)
    lines: int  # every line of the shadow's items in the runs counted
    passed: int  # of them, passed by this version's gate

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.decided if self.decided else None

    @property
    def coverage(self) -> float | None:
        return self.passed / self.lines if self.lines else None

    def to_json(self) -> dict:
        p = self.precision
        return {"version": self.version, "decided": self.decided, "agreed": self.agreed, "agreement": self.agreement,
                "shipped_corrected": self.shipped_corrected, "held_fine": self.held_fine,
                "precision": p.share, "confirmed": p.confirmed, "shipped": p.audited,
                "low": round(p.low, 4), "high": round(p.high, 4),
                "lines": self.lines, "passed": self.passed, "coverage": self.coverage}


@dataclass(frozen=True)
class ShadowFigures:
    """A candidate against the champion it ran beside, in one locale."""

    locale: str
    gate: str  # the champion's gate
    champion: VersionLive
    candidate: VersionLive

    @property
    def non_inferior(self) -> bool | None:
        """Live non-inferiority: the champion's live precision is not better than the candidate's
        by more than the candidate's interval (the champion's share is at most the upper end of the
        candidate's Wilson 95% interval). None when either has no decided line its gate passed."""
        old, new = self.champion.precision, self.candidate.precision
        if not old.audited or not new.audited:
            return None
        return old.share <= new.high

    def said(self) -> str:
        """One line for a verdict: the two live precisions and what they mean."""
        old, new = self.champion.precision, self.candidate.precision
        if self.non_inferior is None:
            return (f"live evidence too thin: {old.audited} champion and {new.audited} candidate lines shipped and "
                    "were decided in the shadow's items")
        head = (f"live precision {old.share:.1%} ({old.confirmed}/{old.audited}) champion vs {new.share:.1%} "
                f"({new.confirmed}/{new.audited}, Wilson 95% up to {new.high:.1%}) candidate")
        return head + (": non-inferior" if self.non_inferior else ": the champion is better by more than the interval")

    def to_json(self) -> dict:
        return {"locale": self.locale, "gate": self.gate, "champion": self.champion.to_json(),
                "candidate": self.candidate.to_json(), "non_inferior": self.non_inferior}


def _side(version: str, lines: list[dict], side: str, counted: dict) -> VersionLive:
    known = [line for line in lines if line[f"{side}_ok"] is not None]
    shipped = [line[f"{side}_ok"] for line in known if line[f"{side}_passed"]]
    return VersionLive(
        version=version, decided=len(known), agreed=sum(line[f"{side}_ok"] for line in known),
        shipped_corrected=sum(not ok for ok in shipped),
        held_fine=sum(line[f"{side}_ok"] and not line[f"{side}_passed"] for line in known),
        precision=live_precision(sum(shipped), len(shipped)),
        lines=counted.get("lines", 0), passed=counted.get(f"{side}_passed", 0))


def shadow_report(engine: Engine, locale: str | None = None, since: date | None = None) -> list[ShadowFigures]:
    """Every candidate that ran in a shadow (runs on or after `since`), against its champion:
    agreement with the final lines, gate errors both ways, live precision and coverage."""
    lines: dict[tuple, list[dict]] = defaultdict(list)
    for line in live.shadow_lines(engine, locale, since):
        lines[(line["locale"], line["champion"], line["gate"], line["candidate"])].append(line)
    coverage = {(c["locale"], c["champion"], c["gate"], c["candidate"]): c
                for c in live.shadow_coverage(engine, locale, since)}
    return [ShadowFigures(key[0], key[2], _side(key[1], lines.get(key, []), "champion", coverage.get(key, {})),
                          _side(key[3], lines.get(key, []), "candidate", coverage.get(key, {})))
            for key in sorted(set(lines) | set(coverage))]


def shadow_evidence(engine: Engine, locale: str, champion: str, candidate: str) -> ShadowFigures | None:
    """The live evidence for promoting `candidate` over `champion` in `locale` (None: it never ran
    in their shadow), pooled over the gates the champion ran with."""
    def ours(row: dict) -> bool:
        return row["champion"] == champion and row["candidate"] == candidate

    lines = [line for line in live.shadow_lines(engine, locale) if ours(line)]
    covered = [c for c in live.shadow_coverage(engine, locale) if ours(c)]
    if not lines and not covered:
        return None
    counted = {key: sum(c[key] for c in covered) for key in ("lines", "champion_passed", "candidate_passed")}
    gates = "+".join(sorted({row["gate"] for row in lines + covered}))
    return ShadowFigures(locale, gates, _side(champion, lines, "champion", counted),
                         _side(candidate, lines, "candidate", counted))


def tightened(engine: Engine, locale: str | None = None) -> list[registry.Tightening]:
    """The gate tightenings in force (of one locale), oldest first."""
    return registry.tightenings(engine, [locale] if locale else None)
