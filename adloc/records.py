"""Plain records passed between pipeline stages: picklable, no ORM objects, no open handles."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

Box = tuple[int, int, int, int]  # x, y, width, height in template pixels


# Enums are StrEnums: they compare equal to, and serialize as, the strings the records, the
# manifest and the database have always held.


class Channel(StrEnum):
    """Where an ad runs; talent rights are granted per channel."""

    SOCIAL = "social"
    DISPLAY = "display"
    PRINT = "print"
    OOH = "ooh"


class ItemStatus(StrEnum):
    """Where an item ended: shipped, waiting for a person, or failed irrecoverably."""

    PENDING = "pending"  # planned, not written yet
    APPROVED = "approved"
    REVIEW = "review"
    DEAD_LETTER = "dead_letter"


class CopyPath(StrEnum):
    """How a slot's line was made."""

    TM = "tm"  # an exact translation-memory hit
    MODEL = "model"  # the copy model's line, through the gate
    TM_FUZZY = "tm_fuzzy"  # the closest memory line: the old path, for review
    SOURCE = "source"  # the English source kept for a translator, for review


class ImagePath(StrEnum):
    """How an item's image was made."""

    INPAINTED = "inpainted"  # the diffusers inpainter's output passed its checks
    BLEND = "blend"  # the deterministic blend is the configured backend
    BLEND_FALLBACK = "blend_fallback"  # the inpainter's output failed its checks: blend, for review


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    EDITED = "edited"  # approved with lines a reviewer changed


@dataclass(frozen=True)
class TextSlot:
    name: str
    box: Box
    min_size: int
    max_size: int
    color: str = "#ffffff"
    align: str = "start"  # start | center | end (mirrored for right-to-left scripts)
    max_chars: int = 80
    weight: str = "Bold"


@dataclass(frozen=True)
class TalentSlot:
    box: Box
    anchor: str = "bottom"  # bottom | center
    band: int = 12  # width in pixels of the inpainting band around the talent's silhouette


@dataclass(frozen=True)
class Template:
    id: str
    image_uri: str
    width: int
    height: int
    talent_slot: TalentSlot
    text_slots: tuple[TextSlot, ...]
    prompt: str = ""
    locale_hints: tuple[tuple[str, str], ...] = ()
    steps: int = 20
    guidance: float = 7.5
    fill: tuple[Box, ...] = ()  # regions the inpainter repaints besides the band (a placeholder to remove)
    mask_crop: int | None = None  # diffusers' padding_mask_crop: inpaint around the mask at full resolution

    def text_slot(self, name: str) -> TextSlot:
        for slot in self.text_slots:
            if slot.name == name:
                return slot
        raise KeyError(name)

    def prompt_for(self, locale: str) -> str:
        hints = dict(self.locale_hints)
        hint = hints.get(locale) or hints.get(locale.split("-")[0], "")
        return f"{self.prompt}, {hint}" if hint else self.prompt


@dataclass(frozen=True)
class Talent:
    id: str
    name: str
    region: str
    image_uri: str
    tags: tuple[str, ...] = ()
    image_sha256: str = ""  # of the normalized image in the asset store: lineage names it, not a path


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    kind: str  # keep | required | banned
    rendering: str = ""  # the required target rendering of `term`


@dataclass(frozen=True)
class TMEntry:
    source: str
    target: str


@dataclass
class WorkItem:
    """One output: a creative rendered on one template for one locale."""

    job: str
    brand: str
    channel: str
    creative: str
    template: Template
    locale: str
    copy: dict[str, str]
    values: dict[str, str | int | float]
    keep_terms: tuple[str, ...]
    talent_tags: tuple[str, ...]
    run_date: str
    talent: Talent | None = None
    dead_letter: str | None = None
    inputs: str = ""  # a digest of everything the item's output depends on (see pipelines.reuse)

    @property
    def key(self) -> str:
        return f"{self.creative}/{self.template.id}/{self.locale}"

    @property
    def seed(self) -> int:
        return seed_for(self.job, self.creative, self.template.id, self.locale)


def seed_for(*parts: str) -> int:
    """A stable 63-bit seed from the item's identity (never Python's salted hash)."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True)
class CopyRequest:
    """One text slot of one item, to be localized."""

    key: str
    slot: str
    locale: str
    source: str
    brand: str
    max_chars: int
    keep_terms: tuple[str, ...]
    glossary: tuple[GlossaryTerm, ...] = ()
    examples: tuple[TMEntry, ...] = ()  # fuzzy translation-memory hits, best first
    fuzzy: TMEntry | None = None  # best fuzzy hit above the fallback threshold
    fuzzy_score: float = 0.0
    exact: str | None = None  # exact translation-memory hit


@dataclass(frozen=True)
class Generation:
    text: str
    confidence: float
    tokens: int
    error: str = ""  # why the model produced nothing; the line then takes the fallback


@dataclass
class SlotCopy:
    """The localized copy for one slot, with how it was obtained and what the checks said."""

    slot: str
    source: str
    text: str
    path: str  # tm | model | tm_fuzzy | source
    approved: bool
    confidence: float | None = None
    checks: list = field(default_factory=list)
    reason: str = ""
    candidate: str | None = None  # the model's output when it was not used


@dataclass
class ImageOutcome:
    backend: str  # blend | diffusers
    path: str  # inpainted | blend | blend_fallback
    approved: bool
    checks: list = field(default_factory=list)
    reason: str = ""
