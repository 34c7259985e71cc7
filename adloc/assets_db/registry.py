"""Model versions: every copy-model version evaluated for a locale, its eval summary and calibrated
gate threshold, and which one is the locale's champion (the version runs use by default).

The first evaluated base model of a locale becomes its champion; a tuned adapter starts as a
candidate and replaces the champion only through `promote`, which `adloc compare --promote` calls
when the challenger wins.

Learned gates (`adloc gate train`) are versioned the same way, per base model: the first becomes the
champion; a later one replaces it through `promote_gate` (`adloc gate promote`) when it wins on the
same held-out eval."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from adloc.assets_db.lineage import _now
from adloc.assets_db.schema import GateVersionRow, ModelVersionRow
from adloc.errors import NotFound

STATUS_ORDER = {"champion": 0, "candidate": 1, "retired": 2}  # how listings sort a model's versions


@dataclass(frozen=True)
class ModelVersion:
    locale: str
    version: str  # the id every output of this version records
    model: str  # the base model as given to the run (embedded, a folder, a hub id)
    adapter: str  # the LoRA adapter folder, or "" for the base model
    status: str  # candidate | champion | retired
    threshold: float | None  # calibrated gate threshold; None: nothing reaches the target precision
    target_precision: float | None
    eval: dict = field(default_factory=dict)
    created_at: datetime | None = None
    promoted_at: datetime | None = None


@dataclass(frozen=True)
class EvalRecord:
    """One version's eval, as `record_evals` stores it."""

    locale: str
    version: str
    model: str
    adapter: str
    threshold: float | None
    target_precision: float
    summary: dict


def _version(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion(row.locale, row.version, row.model, row.adapter, row.status, row.threshold,
                        row.target_precision, json.loads(row.eval_json), row.created_at, row.promoted_at)


def record_evals(engine: Engine, records: list[EvalRecord]) -> list[ModelVersion]:
    """Store versions' latest evals and calibrated thresholds (their gate config), all or none.
    A new base model with no champion for its locale becomes the champion; anything else keeps its
    status or starts as a candidate."""
    out = []
    with Session(engine) as session, session.begin():
        for r in records:
            row = session.scalars(select(ModelVersionRow).where(
                ModelVersionRow.locale == r.locale, ModelVersionRow.version == r.version)).one_or_none()
            if row is None:
                has_champion = session.scalars(select(ModelVersionRow.id).where(
                    ModelVersionRow.locale == r.locale, ModelVersionRow.status == "champion")).first() is not None
                first = not has_champion and not r.adapter
                row = ModelVersionRow(locale=r.locale, version=r.version, status="champion" if first else "candidate",
                                      created_at=_now(), promoted_at=_now() if first else None)
                session.add(row)
            row.model, row.adapter = r.model, r.adapter
            row.threshold, row.target_precision = r.threshold, r.target_precision
            row.eval_json = json.dumps(r.summary, sort_keys=True, ensure_ascii=False)
            session.flush()
            out.append(_version(row))
    return out


def champions(engine: Engine, locales: list[str] | None = None) -> dict[str, ModelVersion]:
    """locale -> its champion (locales without one are absent)."""
    stmt = select(ModelVersionRow).where(ModelVersionRow.status == "champion")
    if locales is not None:
        stmt = stmt.where(ModelVersionRow.locale.in_(sorted(set(locales))))
    with Session(engine) as session:
        return {row.locale: _version(row) for row in session.scalars(stmt)}


def versions(engine: Engine, locales: list[str] | str | None = None) -> list[ModelVersion]:
    """Every version of these locales (all locales by default), in one query: champion first."""
    stmt = select(ModelVersionRow)
    if locales:
        stmt = stmt.where(ModelVersionRow.locale.in_(sorted({locales} if isinstance(locales, str) else set(locales))))
    with Session(engine) as session:
        rows = [_version(r) for r in session.scalars(stmt)]
    return sorted(rows, key=lambda v: (v.locale, STATUS_ORDER[v.status], v.version))


def promote(engine: Engine, locale: str, version: str) -> str | None:
    """Make `version` the locale's champion and retire the previous one (returned), in one
    transaction. The version must have been evaluated (`record_eval`)."""
    return _promote(engine, ModelVersionRow.locale, locale, version,
                    f"{locale}: no evaluated model version {version} (run `adloc eval` on it first)")


def _promote(engine: Engine, key, value: str, version: str, missing: str) -> str | None:
    """Crown `version` among the rows whose `key` column is `value`, all locked for the transaction;
    NotFound(`missing`) when it is not among them."""
    with Session(engine) as session, session.begin():
        rows = {r.version: r for r in session.scalars(
            select(key.class_).where(key == value).with_for_update())}
        if version not in rows:
            raise NotFound(missing)
        return _crown(session, rows, version)


def _crown(session: Session, rows: dict, version: str) -> str | None:
    """Make rows[version] the champion among `rows` (version -> row, locked), retiring the one
    before (returned; None when `version` already was)."""
    previous = next((v for v, r in rows.items() if r.status == "champion"), None)
    if previous == version:
        return None
    if previous is not None:
        rows[previous].status = "retired"
        session.flush()  # one champion at a time: the unique index sees the retirement first
    rows[version].status, rows[version].promoted_at = "champion", _now()
    return previous


def _of_base(version: str, base_id: str) -> bool:
    return version == base_id or version.startswith(base_id + "+")


def champion_adapters(known: list[ModelVersion], base_id: str) -> dict[str, str]:
    """locale -> adapter folder, for the locales whose champion (among `known`, from `versions`)
    is an adapter of this base model."""
    return {v.locale: v.adapter for v in known
            if v.status == "champion" and v.adapter and _of_base(v.version, base_id)}


def thresholds(known: list[ModelVersion], versions: dict[str, str]) -> dict[str, float | None]:
    """locale -> calibrated threshold of the version that runs there (`versions`: locale ->
    version id), where an eval calibrated it; a None value means no threshold reached the target
    precision: nothing ships without review."""
    return {v.locale: v.threshold for v in known
            if versions.get(v.locale) == v.version and v.target_precision is not None}


# --- learned gates ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GateVersion:
    base_model: str  # the model id whose lines it gates
    version: str  # gate@<hash>
    path: str  # the gate file
    status: str  # candidate | champion | retired
    eval: dict = field(default_factory=dict)  # held-out coverage and precision per locale, the set digest
    created_at: datetime | None = None
    promoted_at: datetime | None = None


def _gate(row: GateVersionRow) -> GateVersion:
    return GateVersion(row.base_model, row.version, row.path, row.status, json.loads(row.eval_json),
                       row.created_at, row.promoted_at)


def record_gate(engine: Engine, base_model: str, version: str, path: str, evaluation: dict,
                champion_if_first: bool = True) -> GateVersion:
    """Store a trained gate and its held-out eval. The first gate of a base model becomes its
    champion (unless `champion_if_first` is False: a gate ships for the model, and the new one must
    win against it); later ones start as candidates (`promote_gate`). Recording a version again
    updates its file and eval and keeps its status."""
    with Session(engine) as session, session.begin():
        rows = list(session.scalars(select(GateVersionRow).where(GateVersionRow.base_model == base_model)))
        row = next((r for r in rows if r.version == version), None)
        if row is None:
            first = champion_if_first and not any(r.status == "champion" for r in rows)
            row = GateVersionRow(base_model=base_model, version=version, status="champion" if first else "candidate",
                                 created_at=_now(), promoted_at=_now() if first else None)
            session.add(row)
        row.path, row.eval_json = path, json.dumps(evaluation, sort_keys=True, ensure_ascii=False)
        session.flush()
        return _gate(row)


def gate_versions(engine: Engine, base_model: str | None = None) -> list[GateVersion]:
    """Every recorded gate (of one base model), champion first."""
    stmt = select(GateVersionRow)
    if base_model is not None:
        stmt = stmt.where(GateVersionRow.base_model == base_model)
    with Session(engine) as session:
        rows = [_gate(r) for r in session.scalars(stmt)]
    return sorted(rows, key=lambda g: (g.base_model, STATUS_ORDER[g.status], g.version))


def champion_gate(engine: Engine, base_model: str) -> GateVersion | None:
    return next((g for g in gate_versions(engine, base_model) if g.status == "champion"), None)


def promote_gate(engine: Engine, base_model: str, version: str) -> str | None:
    """Make `version` the base model's champion gate and retire the previous one (returned)."""
    return _promote(engine, GateVersionRow.base_model, base_model, version,
                    f"{base_model}: no recorded gate {version} (train one with `adloc gate train`)")
