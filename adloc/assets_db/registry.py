"""Model versions: every copy-model version evaluated for a locale, its eval summary and calibrated
gate threshold, and which one is the locale's champion (the version runs use by default).

The first evaluated base model of a locale becomes its champion; a tuned adapter starts as a
candidate and replaces the champion only through `promote`, which `adloc compare --promote` calls
when the challenger wins.

Learned gates (`adloc gate train`) are versioned the same way, per base model: the first becomes the
champion; a later one replaces it through `promote_gate` (`adloc gate promote`) when it wins on the
same held-out eval.

Live evaluation keeps two more things here: the candidate running in a locale's shadow (`set_shadow`)
and the gate tightenings the live precision set off (`tighten`), which last until a recalibration
(`record_evals`) or a promotion clears them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adloc.assets_db.lineage import shown, utc_now
from adloc.assets_db.schema import GateVersionRow, ModelVersionRow, ShadowRow, TighteningRow
from adloc.errors import AdlocError, NotFound

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
    calibrated_at: datetime | None = None  # when the latest full eval set the threshold


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
                        row.target_precision, json.loads(row.eval_json), row.created_at, row.promoted_at,
                        row.calibrated_at)


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
                                      created_at=utc_now(), promoted_at=utc_now() if first else None)
                session.add(row)
            row.model, row.adapter = r.model, r.adapter
            row.threshold, row.target_precision, row.calibrated_at = r.threshold, r.target_precision, utc_now()
            row.eval_json = json.dumps(r.summary, sort_keys=True, ensure_ascii=False)
            session.flush()
            _clear(session, f"adloc eval of {r.version}", TighteningRow.locale == r.locale,
                   TighteningRow.copy_model == r.version, TighteningRow.gate == "confidence")
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
    NotFound(`missing`) when it is not among them. The retired one's tightenings are cleared (what
    they judged no longer runs), and a shadow of the new champion stops (it has nothing to run beside)."""
    with Session(engine) as session, session.begin():
        rows = {r.version: r for r in session.scalars(
            select(key.class_).where(key == value).with_for_update())}
        if version not in rows:
            raise NotFound(missing)
        previous = _crown(session, rows, version)
        model = key.class_ is ModelVersionRow
        _clear(session, f"promotion of {version}", *(
            (TighteningRow.locale == value, TighteningRow.copy_model != version) if model else
            (TighteningRow.copy_model == value, TighteningRow.gate != "confidence", TighteningRow.gate != version)))
        for shadow in session.scalars(select(ShadowRow).where(
                ShadowRow.candidate == version, ShadowRow.stopped_at.is_(None),
                *((ShadowRow.locale == value,) if model else ()))):
            shadow.stopped_at = utc_now()
        return previous


def _crown(session: Session, rows: dict, version: str) -> str | None:
    """Make rows[version] the champion among `rows` (version -> row, locked), retiring the one
    before (returned; None when `version` already was)."""
    previous = next((v for v, r in rows.items() if r.status == "champion"), None)
    if previous == version:
        return None
    if previous is not None:
        rows[previous].status = "retired"
        session.flush()  # one champion at a time: the unique index sees the retirement first
    rows[version].status, rows[version].promoted_at = "champion", utc_now()
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
                                 created_at=utc_now(), promoted_at=utc_now() if first else None)
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


# --- shadow candidates -----------------------------------------------------------------------

@dataclass(frozen=True)
class Shadow:
    """A candidate running in a locale's shadow on `share` of its items."""

    locale: str
    candidate: str  # a model version of the locale, or a learned gate's version (gate@...)
    kind: str  # model | gate
    share: float
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    path: str = ""  # the candidate's adapter folder ("" for a base model) or gate file


def set_shadow(engine: Engine, locale: str, candidate: str, share: float) -> Shadow:
    """Run `candidate` in the shadow of `locale`'s champion on `share` of its items from the next
    run on, replacing the shadow running there, if any. The candidate is a copy-model version the
    registry holds for the locale (`adloc eval`), not its champion, or a recorded learned gate
    (`adloc gate train`) that is not its base model's champion. NotFound / InvalidFields otherwise."""
    if not 0.0 < share <= 1.0:
        raise AdlocError(f"share {share!r}: the share of items a shadow runs on must be more than 0 and at most 1")
    with Session(engine) as session, session.begin():
        model = session.scalars(select(ModelVersionRow).where(
            ModelVersionRow.locale == locale, ModelVersionRow.version == candidate)).one_or_none()
        gate = None if model else session.scalars(select(GateVersionRow).where(
            GateVersionRow.version == candidate)).first()
        if model is None and gate is None:
            raise NotFound(f"{locale}: no evaluated model version or recorded gate {candidate} "
                           "(`adloc models list`, `adloc gate list`)")
        if (model or gate).status == "champion":
            raise AdlocError(f"{candidate} is already the champion" + (f" for {locale}" if model else "")
                                + ": a shadow runs a candidate beside it")
        for running in session.scalars(select(ShadowRow).where(ShadowRow.locale == locale,
                                                               ShadowRow.stopped_at.is_(None))):
            running.stopped_at = utc_now()
        session.flush()
        row = ShadowRow(locale=locale, candidate=candidate, kind="model" if model else "gate", share=share,
                        started_at=utc_now())
        session.add(row)
        session.flush()
        return _shadow(row, model.adapter if model else gate.path)


def stop_shadow(engine: Engine, locale: str) -> Shadow | None:
    """Stop the locale's shadow (returned), or None when none was running."""
    with Session(engine) as session, session.begin():
        row = session.scalars(select(ShadowRow).where(ShadowRow.locale == locale,
                                                      ShadowRow.stopped_at.is_(None))).one_or_none()
        if row is None:
            return None
        row.stopped_at = utc_now()
        return _shadow(row)


def shadows(engine: Engine, locales: list[str] | None = None) -> dict[str, Shadow]:
    """locale -> the shadow running there, with its adapter folder or gate file (`path`)."""
    stmt = select(ShadowRow).where(ShadowRow.stopped_at.is_(None))
    if locales is not None:
        stmt = stmt.where(ShadowRow.locale.in_(sorted(set(locales))))
    with Session(engine) as session:
        out = {}
        for row in session.scalars(stmt):
            if row.kind == "model":
                path = session.scalar(select(ModelVersionRow.adapter).where(
                    ModelVersionRow.locale == row.locale, ModelVersionRow.version == row.candidate)) or ""
            else:
                path = session.scalar(select(GateVersionRow.path).where(
                    GateVersionRow.version == row.candidate)) or ""
            out[row.locale] = _shadow(row, path)
        return out


def _shadow(row: ShadowRow, path: str = "") -> Shadow:
    return Shadow(row.locale, row.candidate, row.kind, row.share, row.started_at, row.stopped_at, path)


# --- gate tightenings ------------------------------------------------------------------------

@dataclass(frozen=True)
class Tightening:
    """A locale's gate sending every model line to review: the live precision of the lines this
    copy-model version and gate shipped (`confirmed` of `audited`, Wilson upper bound `high`) fell
    below `target_precision`."""

    locale: str
    copy_model: str
    gate: str
    target_precision: float
    audited: int
    confirmed: int
    high: float
    set_at: datetime | None = None
    cleared_at: datetime | None = None
    cleared_by: str = ""

    def to_json(self) -> dict:
        return {"locale": self.locale, "copy_model": self.copy_model, "gate": self.gate, "audited": self.audited,
                "confirmed": self.confirmed, "high": self.high, "target_precision": self.target_precision,
                "set_at": shown(self.set_at)}

    def said(self) -> str:
        """For the run report and the item's reason."""
        return (f"the {self.locale} gate is tightened: {self.confirmed} of {self.audited} audited lines were "
                f"confirmed, live precision at most {self.high:.0%} (Wilson 95%), below the target "
                f"{self.target_precision:.0%}; every model line goes to review until it is recalibrated "
                f"({'adloc eval' if self.gate == 'confidence' else 'a new gate: adloc gate train --promote'})")


def _tightening(row: TighteningRow) -> Tightening:
    return Tightening(row.locale, row.copy_model, row.gate, row.target_precision, row.audited, row.confirmed,
                      row.high, row.set_at, row.cleared_at, row.cleared_by)


def tighten(engine: Engine, found: Tightening) -> Tightening:
    """Record a tightening (returned with its time); one already in force for the same locale,
    copy-model version and gate is kept and returned instead (the database holds the rule: of two
    runs tightening at the same moment, the second finds the first's)."""
    in_force = (TighteningRow.locale == found.locale, TighteningRow.copy_model == found.copy_model,
                TighteningRow.gate == found.gate, TighteningRow.cleared_at.is_(None))
    try:
        with Session(engine) as session, session.begin():
            row = session.scalars(select(TighteningRow).where(*in_force)).first()
            if row is None:
                row = TighteningRow(locale=found.locale, copy_model=found.copy_model, gate=found.gate,
                                    target_precision=found.target_precision, audited=found.audited,
                                    confirmed=found.confirmed, high=found.high, set_at=utc_now())
                session.add(row)
                session.flush()
            return _tightening(row)
    except IntegrityError:
        with Session(engine) as session:
            return _tightening(session.scalars(select(TighteningRow).where(*in_force)).one())


def tightenings(engine: Engine, locales: list[str] | None = None, in_force: bool = True) -> list[Tightening]:
    """The tightenings in force (or, with `in_force` False, every one ever set), oldest first."""
    stmt = select(TighteningRow).order_by(TighteningRow.id)
    if in_force:
        stmt = stmt.where(TighteningRow.cleared_at.is_(None))
    if locales is not None:
        stmt = stmt.where(TighteningRow.locale.in_(sorted(set(locales))))
    with Session(engine) as session:
        return [_tightening(r) for r in session.scalars(stmt)]


def last_cleared(engine: Engine, locale: str, copy_model: str, gate: str) -> datetime | None:
    """When a recalibration last cleared a tightening of this locale, version and gate: the live
    evidence before it judged the gate as it was, not as it is."""
    with Session(engine) as session:
        return session.scalar(select(TighteningRow.cleared_at).where(
            TighteningRow.locale == locale, TighteningRow.copy_model == copy_model, TighteningRow.gate == gate,
            TighteningRow.cleared_at.is_not(None)).order_by(TighteningRow.cleared_at.desc()).limit(1))


def _clear(session: Session, by: str, *where) -> None:
    for row in session.scalars(select(TighteningRow).where(TighteningRow.cleared_at.is_(None), *where)):
        row.cleared_at, row.cleared_by = utc_now(), by
