"""SQLAlchemy 2 schema of the asset database. Alembic migrations (`assets_db/migrations`) create
and evolve it; `tests/test_assets_db.py` checks that the migrations and these models agree."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from adloc.records import Channel, Face, ItemStatus, JobStatus, MemoryOrigin, ReviewDecision

# Named constraints, so migrations can refer to them on every engine.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TALENT_STATUSES = ("active", "revoked")
RIGHT_STATUSES = ("active", "revoked")
CHANNELS = tuple(Channel)
GLOSSARY_KINDS = ("keep", "required", "banned")
ITEM_STATUSES = tuple(ItemStatus)
JOB_STATUSES = tuple(JobStatus)
REVIEW_DECISIONS = tuple(ReviewDecision)
FACES = tuple(Face)
MODEL_STATUSES = ("candidate", "champion", "retired")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TalentRow(Base):
    """A real, licensed person. `status` revoked takes them out of every lookup (takedown)."""

    __tablename__ = "talent"
    __table_args__ = (CheckConstraint(_one_of("status", TALENT_STATUSES), name="status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(2))  # where the talent is from (ISO 3166)
    status: Mapped[str] = mapped_column(String(16), default="active")
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    images: Mapped[list[TalentImageRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TalentImageRow.position")
    tags: Mapped[list[TalentTagRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    rights: Mapped[list[RightRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class TalentImageRow(Base):
    """A normalized photo (8-bit sRGB, alpha kept) in the asset store, by content hash, with the
    matte made for it at import where it had no alpha."""

    __tablename__ = "talent_image"
    __table_args__ = (UniqueConstraint("talent_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    talent_id: Mapped[str] = mapped_column(ForeignKey("talent.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0 is the one the pipeline uses
    uri: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    has_alpha: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(Text, default="")  # the file it was imported from
    # A photo imported without alpha: its matte (an 8-bit greyscale PNG in the store) and the model
    # that made it (`adloc.matte.MATTE_ID`); empty for a cutout that brought its own alpha.
    matte_uri: Mapped[str] = mapped_column(Text, default="", server_default="")
    matte_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    matte_model: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The face found at import, "x,y,width,height" in the photo's pixels ("" when none was found or
    # none was looked for), and the detector that found it (`adloc.models.face.model_id`).
    face: Mapped[str] = mapped_column(String(64), default="", server_default="")
    face_model: Mapped[str] = mapped_column(String(200), default="", server_default="")


class TalentTagRow(Base):
    __tablename__ = "talent_tag"

    talent_id: Mapped[str] = mapped_column(ForeignKey("talent.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class RightRow(Base):
    """A licence to show one talent in one region on one channel during a consent window."""

    __tablename__ = "talent_right"
    __table_args__ = (
        UniqueConstraint("talent_id", "region", "channel", "starts_on"),
        Index("ix_right_lookup", "region", "channel", "status"),
        CheckConstraint(_one_of("status", RIGHT_STATUSES), name="status"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        CheckConstraint("starts_on <= ends_on", name="window"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    talent_id: Mapped[str] = mapped_column(ForeignKey("talent.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    credit: Mapped[str] = mapped_column(String(200), default="")


class TemplateRow(Base):
    __tablename__ = "template"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    image_uri: Mapped[str] = mapped_column(Text)
    image_sha256: Mapped[str] = mapped_column(String(64), default="")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    spec: Mapped[str] = mapped_column(Text)  # the template YAML's slots and prompt, as JSON
    slots: Mapped[list[TemplateSlotRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TemplateSlotRow.name")


class TemplateSlotRow(Base):
    """One slot of a template: the talent slot, or a named text slot."""

    __tablename__ = "template_slot"
    __table_args__ = (CheckConstraint(_one_of("kind", ("talent", "text")), name="kind"),)

    template_id: Mapped[str] = mapped_column(ForeignKey("template.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    x: Mapped[int] = mapped_column(Integer)
    y: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    max_chars: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TMRow(Base):
    """One translation-memory unit: an approved localization of a source line."""

    __tablename__ = "translation_memory"
    __table_args__ = (UniqueConstraint("locale", "source_key"), Index("ix_tm_locale", "locale"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(35))
    source: Mapped[str] = mapped_column(Text)
    source_key: Mapped[str] = mapped_column(String(512))  # normalized source, the exact-hit key
    target: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(32), default=MemoryOrigin.IMPORT.value)


class GlossaryRow(Base):
    __tablename__ = "glossary"
    __table_args__ = (
        UniqueConstraint("locale", "term", "kind"),
        CheckConstraint(_one_of("kind", GLOSSARY_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(35))
    term: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    rendering: Mapped[str] = mapped_column(String(200), default="")


class JobRow(Base):
    """One run of a job spec."""

    __tablename__ = "job"
    __table_args__ = (CheckConstraint(_one_of("status", JOB_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_token: Mapped[str] = mapped_column(String(32), unique=True)  # made by the driver: a retry finds its run
    name: Mapped[str] = mapped_column(String(64), index=True)  # the spec's `job`
    brand: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    run_date: Mapped[date] = mapped_column(Date)
    out_uri: Mapped[str] = mapped_column(Text)
    spec: Mapped[str] = mapped_column(Text)  # the validated spec, as JSON
    status: Mapped[str] = mapped_column(String(16), default="running")  # queued -> running -> done | failed
    approved: Mapped[int] = mapped_column(Integer, default=0)
    review: Mapped[int] = mapped_column(Integer, default=0)
    dead_letter: Mapped[int] = mapped_column(Integer, default=0)
    options: Mapped[str] = mapped_column(Text, default="{}")  # how to run it (models, threshold, ...), JSON
    error: Mapped[str] = mapped_column(Text, default="")  # why a run failed
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    items: Mapped[list[JobItemRow]] = relationship(cascade="all, delete-orphan")


class JobItemRow(Base):
    """What happened to one creative × template × locale in one run."""

    __tablename__ = "job_item"
    __table_args__ = (
        UniqueConstraint("job_id", "creative", "template", "locale"),
        CheckConstraint(_one_of("status", ITEM_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    creative: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    talent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # no FK: lineage outlives rows
    seed: Mapped[int] = mapped_column(BigInteger)  # 63-bit
    record_uri: Mapped[str] = mapped_column(Text, default="")
    # In the audit sample: approved by the gate and shipped, and also shown to reviewers (`adloc.audit`).
    audit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What the gate did with the item's copy (the live report, `adloc models live`): the copy model
    # version and gate that ran, the lines the model made and how many of them the gate passed.
    copy_model: Mapped[str] = mapped_column(String(300), default="", server_default="")
    gate: Mapped[str] = mapped_column(String(64), default="", server_default="")
    model_lines: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gate_passed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A shadow candidate's work on the item (`adloc models shadow`), never shipped, as JSON:
    # {"version", "lines": {slot: {"text", "passed", "champion_passed"}}}; "" when none ran.
    shadow: Mapped[str] = mapped_column(Text, default="", server_default="")


class OutputRow(Base):
    """The lineage of the image now at `uri`: which talent, models and run made it. A rerun that
    writes the same item replaces the row, so `adloc assets usage` lists what is published now."""

    __tablename__ = "output"
    __table_args__ = (UniqueConstraint("uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_item_id: Mapped[int] = mapped_column(ForeignKey("job_item.id", ondelete="CASCADE"), index=True)
    out_uri: Mapped[str] = mapped_column(Text)
    job: Mapped[str] = mapped_column(String(64))
    creative: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(35))
    uri: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    talent_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    talent_image_sha256: Mapped[str] = mapped_column(String(64), default="")
    copy_model: Mapped[str] = mapped_column(Text, default="")
    inpainter: Mapped[str] = mapped_column(Text, default="")
    run_date: Mapped[date] = mapped_column(Date)
    written_at: Mapped[datetime] = mapped_column(DateTime)


class ReviewRow(Base):
    """A reviewer's decision on an output; feeds translation memory and tuning."""

    __tablename__ = "review"
    # One decision per item: a second one for the same revision breaks the unique key (race-safe on
    # both engines). A change of mind is the next revision, linked to the decision it replaces.
    __table_args__ = (CheckConstraint(_one_of("decision", REVIEW_DECISIONS), name="decision"),
                      CheckConstraint(_one_of("face", FACES), name="face"),
                      UniqueConstraint("job_item_id", "revision"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_item_id: Mapped[int] = mapped_column(ForeignKey("job_item.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # 1: the decision; 2, ...: changes of mind
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"), nullable=True)
    decision: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    copy_json: Mapped[str] = mapped_column(Text, default="{}")  # edited copy, slot -> text
    # slot -> {source, path, model[, wrong]}: the English line, how the decided line was made, the
    # model's line if it made one (a rejection's model lines are the eval's labelled negatives), and
    # whether the reviewer said this line was wrong (absent: the reviewer did not say)
    lines_json: Mapped[str] = mapped_column(Text, default="{}")
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    face: Mapped[str] = mapped_column(String(16), default=Face.CLI.value, server_default=Face.CLI.value)  # where


class ModelVersionRow(Base):
    """A copy-model version for one locale (the base model, or the base plus the locale's LoRA
    adapter): its eval results, its calibrated gate threshold, and whether it is the champion that
    runs use. At most one champion per locale; a challenger replaces it only through `adloc compare`."""

    __tablename__ = "model_version"
    __table_args__ = (
        UniqueConstraint("locale", "version"),
        CheckConstraint(_one_of("status", MODEL_STATUSES), name="status"),
        # One champion per locale, whatever writes to the table.
        Index("uq_model_version_champion", "locale", unique=True,
              sqlite_where=text("status = 'champion'"), postgresql_where=text("status = 'champion'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(35), index=True)
    version: Mapped[str] = mapped_column(String(300))  # the id outputs record, e.g. base+lora-pt-PT@hash
    model: Mapped[str] = mapped_column(Text)  # the base model as given: embedded, a folder, a hub id
    adapter: Mapped[str] = mapped_column(Text, default="")  # the adapter folder, or "" for the base model
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    # The gate threshold calibrated on the eval; null when no threshold reaches the target precision
    # (then no line of this model ships without review).
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_precision: Mapped[float | None] = mapped_column(Float, nullable=True)
    eval_json: Mapped[str] = mapped_column(Text, default="{}")  # the latest eval's summary, JSON
    created_at: Mapped[datetime] = mapped_column(DateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # When the latest full eval set the threshold: the live precision counts audits of runs after it.
    calibrated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class GateVersionRow(Base):
    """A learned gate (`adloc gate train`) for one base copy model: its file, its held-out eval, and
    whether it is the champion that runs of that model use. At most one champion per base model; a
    challenger replaces it only through `adloc gate promote`, when it wins on the same eval."""

    __tablename__ = "gate_version"
    __table_args__ = (
        UniqueConstraint("base_model", "version"),
        CheckConstraint(_one_of("status", MODEL_STATUSES), name="status"),
        Index("uq_gate_version_champion", "base_model", unique=True,
              sqlite_where=text("status = 'champion'"), postgresql_where=text("status = 'champion'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    base_model: Mapped[str] = mapped_column(String(300), index=True)  # the model id whose lines it gates
    version: Mapped[str] = mapped_column(String(64))  # gate@<hash of the gate file's contents>
    path: Mapped[str] = mapped_column(Text)  # the gate file
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    eval_json: Mapped[str] = mapped_column(Text, default="{}")  # held-out coverage and precision per locale
    created_at: Mapped[datetime] = mapped_column(DateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ShadowRow(Base):
    """A candidate copy-model or gate version set to run in shadow for a locale on a share of the
    items (`adloc models shadow`): its lines and verdicts are recorded, never rendered or shipped.
    At most one shadow runs per locale; stopping it keeps the row (`stopped_at`)."""

    __tablename__ = "shadow"
    __table_args__ = (
        Index("uq_shadow_running", "locale", unique=True,
              sqlite_where=text("stopped_at IS NULL"), postgresql_where=text("stopped_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(35), index=True)
    candidate: Mapped[str] = mapped_column(String(300))  # a model version of the locale, or a gate@ version
    kind: Mapped[str] = mapped_column(String(8))  # model | gate
    share: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class TighteningRow(Base):
    """A locale's gate tightened to review everything: the live precision of what it shipped fell
    below its target (upper end of the Wilson interval). It holds for that copy-model version and
    gate until a recalibration clears it (`cleared_at`): `adloc eval` of the version (token
    confidence), or the promotion of another gate or version."""

    __tablename__ = "gate_tightening"
    __table_args__ = (  # one in force per locale, version and gate, whichever run sets it first
        Index("uq_gate_tightening_in_force", "locale", "copy_model", "gate", unique=True,
              sqlite_where=text("cleared_at IS NULL"), postgresql_where=text("cleared_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(35), index=True)
    copy_model: Mapped[str] = mapped_column(String(300))
    gate: Mapped[str] = mapped_column(String(64))
    target_precision: Mapped[float] = mapped_column(Float)
    audited: Mapped[int] = mapped_column(Integer)
    confirmed: Mapped[int] = mapped_column(Integer)
    high: Mapped[float] = mapped_column(Float)  # the Wilson 95% upper bound of the live precision
    set_at: Mapped[datetime] = mapped_column(DateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cleared_by: Mapped[str] = mapped_column(Text, default="", server_default="")  # what recalibrated it
