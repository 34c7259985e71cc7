"""SQLAlchemy 2 schema of the asset database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class TalentRow(Base):
    __tablename__ = "talent"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(2))  # where the talent is from (ISO 3166)
    image_uri: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[TalentTagRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    rights: Mapped[list[RightRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")


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
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    talent_id: Mapped[str] = mapped_column(ForeignKey("talent.id", ondelete="CASCADE"))
    region: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    credit: Mapped[str] = mapped_column(String(200), default="")


class TemplateRow(Base):
    __tablename__ = "template"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    image_uri: Mapped[str] = mapped_column(Text)
    spec: Mapped[str] = mapped_column(Text)  # the template YAML's slots and prompt, as JSON


class TMRow(Base):
    """One translation-memory unit: an approved localization of a source line."""

    __tablename__ = "translation_memory"
    __table_args__ = (UniqueConstraint("locale", "source_key"), Index("ix_tm_locale", "locale"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(35))
    source: Mapped[str] = mapped_column(Text)
    source_key: Mapped[str] = mapped_column(String(512))  # normalized source, the exact-hit key
    target: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(32), default="import")


class GlossaryRow(Base):
    __tablename__ = "glossary"
    __table_args__ = (UniqueConstraint("locale", "term", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    locale: Mapped[str] = mapped_column(String(35))
    term: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # keep | required | banned
    rendering: Mapped[str] = mapped_column(String(200), default="")
