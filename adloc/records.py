"""Plain records passed between pipeline stages: picklable, no ORM objects, no open handles."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum

from adloc.errors import AdlocError
from adloc.money import Money

Box = tuple[int, int, int, int]  # x, y, width, height in template pixels


# Enums are StrEnums: they compare equal to, and serialize as, the strings the records, the
# manifest and the database have always held.


class Channel(StrEnum):
    """Where an ad runs; talent rights are granted per channel."""

    SOCIAL = "social"
    DISPLAY = "display"
    PRINT = "print"
    OOH = "ooh"


class Formality(StrEnum):
    """How copy addresses its reader, where a language tells the two apart (du/Sie, tu/vous)."""

    FORMAL = "formal"
    INFORMAL = "informal"


class ItemStatus(StrEnum):
    """Where an item ended: shipped, waiting for a person, turned down by one, or failed
    irrecoverably. A status is also its folder's name in the output."""

    PENDING = "pending"  # planned, not written yet
    APPROVED = "approved"
    REVIEW = "review"
    DEAD_LETTER = "dead_letter"
    REJECTED = "rejected"  # a reviewer's rejection: the record (with the reason) in rejected/, no image


class CopyPath(StrEnum):
    """How a slot's line was made."""

    TM = "tm"  # an exact translation-memory hit
    MODEL = "model"  # the copy model's line, through the gate
    TM_FUZZY = "tm_fuzzy"  # the closest memory line: the old path, for review
    SOURCE = "source"  # the English source kept for a translator, for review
    REVIEWED = "reviewed"  # the line a reviewer approved (as the run made it, or edited)


FALLBACK_PATHS = frozenset({CopyPath.TM_FUZZY, CopyPath.SOURCE})  # the old path: a line for review


class Compositing(StrEnum):
    """How the blend joins the talent to the template across the band (chosen per template)."""

    FEATHER = "feather"  # an alpha ramp across the band
    SEAMLESS = "seamless"  # a Poisson solve over the band: no seam, both sides keep their texture
    MATCH = "match"  # the talent's rim takes the scene's colour and light, then the feather


class FillRepair(StrEnum):
    """The classical inpainting that repairs a template's fill boxes without a model (OpenCV)."""

    TELEA = "telea"  # A. Telea, "An Image Inpainting Technique Based on the Fast Marching Method", 2004
    NAVIER_STOKES = "navier-stokes"  # M. Bertalmio, A. Bertozzi, G. Sapiro, CVPR 2001


class ImagePath(StrEnum):
    """How an item's image was made."""

    INPAINTED = "inpainted"  # the diffusers inpainter's output passed its checks
    BLEND = "blend"  # the deterministic blend is the configured backend
    BLEND_FALLBACK = "blend_fallback"  # the inpainter's output failed its checks: blend, for review


class JobStatus(StrEnum):
    """A queued job's way through the worker: queued -> running -> done | failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class MemoryOrigin(StrEnum):
    """Where a translation-memory line came from."""

    IMPORT = "import"  # a catalog's memory file
    REVIEW = "review"  # a reviewer's approval


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    EDITED = "edited"  # approved with lines a reviewer changed


class Face(StrEnum):
    """Where a review decision was taken."""

    CLI = "cli"  # adloc review approve | reject | change
    WEB = "web"  # the web app's review form
    XLIFF = "xliff"  # a translator's file, through adloc review import


class Severity(StrEnum):
    CRITICAL = "critical"  # the output is wrong: a changed price, a dropped placeholder
    FUNCTIONAL = "functional"  # the output does not do its job: wrong language, over budget
    COSMETIC = "cosmetic"  # worth a look, never blocks: stray whitespace, punctuation


@dataclass(frozen=True)
class CheckResult:
    """What a check says of one output: its `name`, whether it `passed`, a `score` in [0, 1], a
    `detail` for people, and how much a failure matters (`severity`)."""

    name: str
    passed: bool
    score: float
    detail: str
    severity: Severity = Severity.FUNCTIONAL

    def to_json(self) -> dict:
        out = asdict(self)
        out["severity"] = self.severity.value
        out["score"] = round(self.score, 4)
        return out

    @classmethod
    def from_json(cls, data: dict) -> CheckResult:
        return cls(str(data["name"]), bool(data["passed"]), float(data["score"]), str(data["detail"]),
                   Severity(data["severity"]))


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
    compositing: Compositing = Compositing.FEATHER  # how the blend crosses the band


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
    mirror_for_rtl: bool = False  # right-to-left locales get the layout mirrored (`template.for_locale`)
    mirror_image: bool = False  # ... and the image flipped with it (its background may be)
    mirrored: bool = False  # this is the mirrored layout: read the image flipped when mirror_image
    fill_repair: FillRepair = FillRepair.TELEA  # how the blend repairs the fill boxes
    logo: Box | None = None  # where the brand's logo sits in the picture: the talent's face keeps clear of it

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
    matte_uri: str = ""  # a photo imported without alpha: the matte made for it (`adloc.matte`)
    matte_sha256: str = ""
    face: Box | None = None  # the face found at import, in the photo's pixels (`adloc.models.face`)


@dataclass(frozen=True)
class KeepClear:
    """What the layout keeps clear of an item's talent: its face as placed (None: none was found at
    import), the photo's placed edges (the crop), and the template's logo box; template pixels."""

    face: Box | None
    frame: Box | None = None
    logo: Box | None = None


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
    values: dict[str, str | int | float | Money]  # as this item's market sees them
    keep_terms: tuple[str, ...]
    talent_tags: tuple[str, ...]
    run_date: str
    talent: Talent | None = None
    dead_letter: str | None = None
    formality: Formality | None = None  # the register the job asks for in this item's locale
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
    formality: Formality | None = None  # the register the job asks for in this locale, if any
    shadow: str = ""  # the shadow candidate's version, for its copy of a request (never shipped)


@dataclass(frozen=True)
class Generation:
    text: str
    confidence: float
    tokens: int
    error: str = ""  # why the model produced nothing; the line then takes the fallback
    logprobs: tuple[float, ...] = ()  # natural-log probability of each generated token
    margins: tuple[float, ...] = ()  # each token's log-probability lead over the runner-up (greedy: >= 0)
    # Round trip: the log-probability of each token of the source line when the model is asked to
    # translate this line back into English (forced decoding, no generation).
    back_logprobs: tuple[float, ...] = ()


@dataclass
class SlotCopy:
    """The localized copy for one slot, with how it was obtained and what the checks said."""

    slot: str
    source: str
    text: str
    path: CopyPath
    approved: bool
    confidence: float | None = None  # the gate's score of the model's line (Gate.score), if the model made one
    checks: list = field(default_factory=list)
    reason: str = ""
    candidate: str | None = None  # the model's output when it was not used
    gate: dict | None = None  # the learned gate's view of the model's line: {version, base_model, features}
    shadow: dict | None = None  # the shadow candidate's line and verdict (`ShadowLine.to_json`), never shipped


@dataclass(frozen=True)
class ShadowLine:
    """What the candidate running in the shadow (`adloc models shadow`) made of a slot: its line (a
    gate candidate judges the champion's), its gate score and verdict. Recorded, never rendered."""

    version: str
    text: str
    passed: bool
    score: float | None
    reason: str

    def to_json(self) -> dict:
        return {"version": self.version, "text": self.text, "passed": self.passed, "score": self.score,
                "reason": self.reason}


@dataclass
class ImageOutcome:
    backend: str  # blend | diffusers
    path: ImagePath
    approved: bool
    checks: list = field(default_factory=list)
    reason: str = ""


@dataclass(frozen=True)
class LineRecord:
    """One slot's line as an item record keeps it: the source, the line and how it was made."""

    source: str
    text: str  # the line, placeholders as in the source
    rendered: str  # with the placeholder values filled in, as drawn
    path: CopyPath
    approved: bool
    confidence: float | None  # the gate's score of the model's line: acceptability, else token confidence
    reason: str
    candidate: str | None  # the model's line when it was not used
    checks: tuple[CheckResult, ...]
    # The learned gate's view of the model's line, {version, base_model, features}: what a reviewer's
    # decision on it teaches the next gate. None without a learned gate (and then not written).
    gate: dict | None = None
    # A reviewed line's making in the run, {path, text, approved, reason}: what a later change of
    # mind and the gate's lessons look at. None for a line as the run made it (and then not written).
    run: dict | None = None
    # The shadow candidate's line and verdict (`ShadowLine.to_json`): recorded, never rendered.
    shadow: dict | None = None

    def to_json(self) -> dict:
        out = {"source": self.source, "text": self.text, "rendered": self.rendered, "path": self.path.value,
               "approved": self.approved, "confidence": self.confidence, "reason": self.reason,
               "candidate": self.candidate, "checks": [c.to_json() for c in self.checks]}
        if self.gate is not None:
            out["gate"] = self.gate
        if self.run is not None:
            out["run"] = self.run
        if self.shadow is not None:
            out["shadow"] = self.shadow
        return out

    def as_run(self) -> LineRecord:
        """The line as the run made it, before any reviewer's decision replaced it."""
        if self.run is None:
            return self
        return replace(self, text=str(self.run["text"]), path=CopyPath(self.run["path"]),
                       approved=bool(self.run["approved"]), reason=str(self.run["reason"]), run=None)

    @classmethod
    def from_json(cls, data: dict) -> LineRecord:
        confidence = data.get("confidence")
        return cls(str(data["source"]), str(data["text"]), str(data.get("rendered", data["text"])),
                   CopyPath(data["path"]), bool(data["approved"]),
                   None if confidence is None else float(confidence), str(data.get("reason") or ""),
                   data.get("candidate"), tuple(CheckResult.from_json(c) for c in data.get("checks", [])),
                   data.get("gate") if isinstance(data.get("gate"), dict) else None,
                   data.get("run") if isinstance(data.get("run"), dict) else None,
                   data.get("shadow") if isinstance(data.get("shadow"), dict) else None)


@dataclass(frozen=True)
class ImageRecord:
    """How an item's image was made (`backend`: blend | diffusers) and what its checks said."""

    backend: str
    path: ImagePath
    approved: bool
    reason: str
    checks: tuple[CheckResult, ...]

    def to_json(self) -> dict:
        return {"backend": self.backend, "path": self.path.value, "approved": self.approved,
                "reason": self.reason, "checks": [c.to_json() for c in self.checks]}

    @classmethod
    def from_json(cls, data: dict) -> ImageRecord:
        return cls(str(data["backend"]), ImagePath(data["path"]), bool(data["approved"]),
                   str(data.get("reason") or ""), tuple(CheckResult.from_json(c) for c in data.get("checks", [])))


@dataclass(frozen=True)
class ItemRecord:
    """What a run says of one item: the JSON written beside its image (or in `dead_letter/`), the
    manifest's line, the report's row and the lineage all come from it. `to_json` is the one writer
    and `from_json` the one reader of the file.

    `sha256` is the image's (a dead letter's: its record's, which is not written in it); `thumbnail`
    (JPEG bytes) travels to the report only."""

    job: str
    creative: str
    template: str
    locale: str
    status: ItemStatus
    uri: str  # the image, or a dead letter's record
    seed: int
    run_date: str
    talent: str | None
    talent_image: str | None
    inputs: str
    sha256: str = ""
    models: dict[str, str] = field(default_factory=dict)  # copy, inpainter -> the version that ran
    copy: dict[str, LineRecord] = field(default_factory=dict)
    image: ImageRecord | None = None
    layout: tuple[CheckResult, ...] = ()
    reason: str | None = None  # why a dead letter or a rejected item is one
    thumbnail: bytes | None = None
    # The picture before any text was set (the output's pictures/ folder) and what the text must
    # keep clear of in it: a reviewer's approval re-renders the item from them, without models.
    picture: str = ""
    keep_clear: KeepClear | None = None
    # The decision a delivered item carries: {decision, reviewer, revision, decided_at, notes}.
    review: dict | None = None
    # In the audit sample (`adloc.audit`): approved by the gate and shipped, and also shown to
    # reviewers to confirm or correct. Drawn when the item is made; a reused item keeps its draw.
    audit: bool = False
    reused: bool = False  # travels within a run only: a finished run's item this run did not make again

    @property
    def key(self) -> str:
        return f"{self.creative}/{self.template}/{self.locale}"

    @property
    def record_uri(self) -> str:
        """Where this record is written: beside the image, as .json."""
        return self.uri.removesuffix(".png").removesuffix(".json") + ".json"

    def checks(self) -> list[CheckResult]:
        """Every check: each slot's copy checks, the image's, the layout's."""
        image = list(self.image.checks) if self.image else []
        return [c for line in self.copy.values() for c in line.checks] + image + list(self.layout)

    def model_lines(self) -> int:
        """Lines the copy model made in the run, whether the gate passed them or turned them down
        (as the run made them, before any reviewer's decision)."""
        return sum(line.path is CopyPath.MODEL or line.candidate is not None
                   for line in (line.as_run() for line in self.copy.values()))

    def gate_passed(self) -> int:
        """Model lines the gate let ship unseen: passed, in an item the run approved."""
        if self.status is not ItemStatus.APPROVED:
            return 0
        return sum(line.path is CopyPath.MODEL and line.approved
                   for line in (line.as_run() for line in self.copy.values()))

    def gate_id(self) -> str:
        """The gate that judged the item's model lines: the learned gate's version, "confidence"
        (token confidence against a threshold), or "" when the model made no line."""
        if not self.model_lines():
            return ""
        return next((str(line.gate["version"]) for line in (line.as_run() for line in self.copy.values())
                     if line.gate), "confidence")

    def shadow(self) -> dict | None:
        """What the shadow candidate did on the item, for the asset DB: {"version", "lines": {slot:
        {"text", "passed", "champion_passed"}}} over the slots the model wrote; None when none ran."""
        lines = {slot: line.as_run() for slot, line in self.copy.items() if line.shadow}
        if not lines:
            return None
        version = next(iter(lines.values())).shadow["version"]
        return {"version": version,
                "lines": {slot: {"text": line.shadow["text"], "passed": bool(line.shadow["passed"]),
                                 "champion_passed": line.path is CopyPath.MODEL and line.approved}
                          for slot, line in sorted(lines.items())}}

    def fallbacks(self) -> int:
        """Lines that took the old path (the closest memory line, or the source for a translator)."""
        return sum(line.path in FALLBACK_PATHS for line in self.copy.values())

    def to_json(self) -> bytes:
        """The record file's bytes (UTF-8 JSON, two-space indent, keys in a fixed order)."""
        out: dict = {"job": self.job, "creative": self.creative, "template": self.template, "locale": self.locale,
                     "status": self.status.value, "uri": self.uri, "seed": self.seed, "run_date": self.run_date,
                     "talent": self.talent, "talent_image": self.talent_image, "inputs": self.inputs}
        if self.status in (ItemStatus.DEAD_LETTER, ItemStatus.REJECTED):
            out["reason"] = self.reason
        if self.status is not ItemStatus.DEAD_LETTER:
            out.update({"sha256": self.sha256, "models": dict(self.models),
                        "copy": {slot: line.to_json() for slot, line in self.copy.items()},
                        "image": self.image.to_json() if self.image else None,
                        "layout": [c.to_json() for c in self.layout]})
            if self.picture:
                out["picture"] = self.picture
            if self.keep_clear is not None:
                k = self.keep_clear
                out["keep_clear"] = {"face": _box(k.face), "frame": _box(k.frame), "logo": _box(k.logo)}
            if self.review is not None:
                out["review"] = self.review
            if self.audit:
                out["audit"] = True
        return json.dumps(out, indent=2, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes | str, where: str = "record") -> ItemRecord:
        """The record a file holds. Raises AdlocError naming `where` and the field that is wrong."""
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict):
                raise TypeError("not a JSON object")
            status = ItemStatus(raw["status"])
            image = raw.get("image")
            return cls(
                job=str(raw["job"]), creative=str(raw["creative"]), template=str(raw["template"]),
                locale=str(raw["locale"]), status=status, uri=str(raw["uri"]), seed=int(raw["seed"]),
                run_date=str(raw["run_date"]), talent=raw.get("talent"), talent_image=raw.get("talent_image"),
                inputs=str(raw.get("inputs", "")), sha256=str(raw.get("sha256", "")),
                models={str(k): str(v) for k, v in (raw.get("models") or {}).items()},
                copy={str(slot): LineRecord.from_json(line) for slot, line in (raw.get("copy") or {}).items()},
                image=ImageRecord.from_json(image) if image else None,
                layout=tuple(CheckResult.from_json(c) for c in raw.get("layout") or []),
                reason=raw.get("reason"),
                picture=str(raw.get("picture") or ""),
                keep_clear=KeepClear(*(_unbox(raw["keep_clear"].get(k)) for k in ("face", "frame", "logo")))
                if isinstance(raw.get("keep_clear"), dict) else None,
                review=raw.get("review") if isinstance(raw.get("review"), dict) else None,
                audit=raw.get("audit") is True,
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # what a hand-edited file may hold
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise AdlocError(f"{where}: not an item record: {what}") from None


def _box(box) -> list[int] | None:
    return None if box is None else [int(v) for v in box]


def _unbox(value) -> tuple[int, int, int, int] | None:
    if value is None:
        return None
    x, y, w, h = (int(v) for v in value)
    return (x, y, w, h)
