"""Write stage: render the copy into the image, decide the item's status, and write its image and
JSON record through Beam's FileSystems (local folder, gs://, s3:// alike), each file complete or
absent (written under a temporary name, then renamed)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from PIL import Image

from adloc import locale as loc
from adloc.audit import AUDIT_SHARE, audited
from adloc.checks import blocking_failures
from adloc.checks.image import check_bytes, check_channel_size
from adloc.files import write_bytes
from adloc.models.blend import BLEND_ID
from adloc.pipelines.image import judge
from adloc.pipelines.progress import tick
from adloc.pipelines.render import render
from adloc.records import (
    Channel,
    CopyPath,
    ImageRecord,
    ItemRecord,
    ItemStatus,
    KeepClear,
    LineRecord,
    SlotCopy,
    WorkItem,
)

BYTE_BUDGETS = {Channel.SOCIAL: 8_000_000, Channel.DISPLAY: 2_000_000, Channel.PRINT: 50_000_000, Channel.OOH: 50_000_000}
THUMBNAIL = 320


def output_uri(out: str, folder: str, creative: str, template: str, locale: str, suffix: str) -> str:
    """Where an item's files go: out/{approved|review|rejected|dead_letter|pictures}/creative/
    template/locale.suffix (pictures/: the item's picture before its text was set). Ids are validated against [a-z0-9-] and locales against Babel before they get here."""
    return FileSystems.join(out, folder, creative, template, f"{locale}{suffix}")


def item_path(out: str, folder: str, item: WorkItem, suffix: str) -> str:
    return output_uri(out, folder, item.creative, item.template.id, item.locale, suffix)


PNG_LEVELS = (6, 9)  # zlib levels tried in turn: the usual one, then the smallest


PICTURES = "pictures"  # the folder of the pictures before text, which an approval renders into


def encode_picture(image: np.ndarray) -> bytes:
    """The text-free picture as kept for review (PNG, zlib level 1: lossless and quick; no one ships it)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def encode_png(image: np.ndarray, budget: int | None = None) -> tuple[bytes, int]:
    """(PNG bytes, zlib level): level 6, or when that is over `budget` the smallest of the levels
    tried. Lossless either way: the talent's pixels and the design stay exact. Still over budget is
    the caller's `bytes` check failure, never a silently degraded image."""
    best: tuple[bytes, int] | None = None
    for level in PNG_LEVELS:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG", optimize=level == 9, compress_level=level)
        data = buffer.getvalue()
        if best is None or len(data) < len(best[0]):
            best = (data, level)
        if budget is None or len(best[0]) <= budget:
            break
    return best


def set_text(picture: np.ndarray, drawn: dict[str, str], slots, locale: str, keep_clear: KeepClear | None,
             channel: Channel) -> tuple[np.ndarray, bytes, list]:
    """`picture` (H x W x 3 uint8) with each slot's line drawn, as written: (the image, its PNG
    bytes, the layout checks with the channel's byte budget and size). The one place a run and a
    reviewer's approval set text into a picture."""
    final, layout_checks = render(picture, drawn, slots, locale, keep_clear)
    png, level = encode_png(final, BYTE_BUDGETS[channel])
    layout_checks.append(check_bytes(len(png), BYTE_BUDGETS[channel], channel, f"PNG level {level}"))
    layout_checks.append(check_channel_size((final.shape[1], final.shape[0]), channel))
    return final, png, layout_checks


def thumbnail_of_png(data: bytes) -> bytes:
    """The report's thumbnail of an image already written: the same bytes as when it was made."""
    return thumbnail(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def thumbnail(image: np.ndarray) -> bytes:
    picture = Image.fromarray(image)
    picture.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _line(slot: SlotCopy, rendered: str) -> LineRecord:
    return LineRecord(slot.source, slot.text, rendered, slot.path, slot.approved, slot.confidence, slot.reason,
                      slot.candidate, tuple(slot.checks), slot.gate,
                      shadow=slot.shadow)


FOLDERS = (ItemStatus.APPROVED, ItemStatus.REVIEW, ItemStatus.REJECTED, ItemStatus.DEAD_LETTER)  # a status is its folder's name


def _clear_other_folders(out: str, item: WorkItem, keep: ItemStatus) -> None:
    """A rerun that changes an item's status must not leave its old files in another folder (nor,
    for a dead letter, the picture of a talent who may have been taken down)."""
    stale = [item_path(out, folder, item, suffix) for folder in FOLDERS if folder != keep for suffix in (".png", ".json")]
    if keep is ItemStatus.DEAD_LETTER:
        stale.append(item_path(out, PICTURES, item, ".png"))
    stale = [uri for uri in stale if FileSystems.exists(uri)]
    if stale:
        FileSystems.delete(stale)


def _record(item: WorkItem, status: ItemStatus, uri: str, **fields) -> ItemRecord:
    return ItemRecord(
        job=item.job, creative=item.creative, template=item.template.id, locale=item.locale, status=status,
        uri=uri, seed=item.seed, run_date=item.run_date, talent=item.talent.id if item.talent else None,
        talent_image=item.talent.image_sha256 if item.talent else None, inputs=item.inputs, **fields)


def write_dead_letter(out: str, item: WorkItem, reason: str) -> ItemRecord:
    uri = item_path(out, ItemStatus.DEAD_LETTER, item, ".json")
    record = _record(item, ItemStatus.DEAD_LETTER, uri, reason=reason)
    data = record.to_json()
    _clear_other_folders(out, item, ItemStatus.DEAD_LETTER)
    write_bytes(uri, data)
    return replace(record, sha256=hashlib.sha256(data).hexdigest())


class WriteItem(beam.DoFn):
    """Input: ((item, copies), PredictionResult(request, inpainted image, inpainter id)). An item that
    cannot be finished goes to the dead-letter output with the reason; the job goes on."""

    def __init__(self, out: str, copy_models: dict[str, str], progress: tuple[str, int] | None = None,
                 audit_share: float = AUDIT_SHARE):
        self._out = out
        self._audit_share = audit_share  # of the items the gate approves (`adloc.audit`)
        self._copy_models = copy_models  # locale -> the copy model id (base, plus the locale's adapter)
        self._progress = progress  # (run token, total items) on an interactive local run
        self._approved = Metrics.counter("adloc", "items_approved")
        self._review = Metrics.counter("adloc", "items_review")
        self._dead = Metrics.counter("adloc", "items_dead_letter")
        self._checks_passed = Metrics.counter("adloc", "checks_passed")
        self._checks_failed = Metrics.counter("adloc", "checks_failed")
        self._fallbacks = Metrics.counter("adloc", "copy_lines_fallback")

    def process(self, element, run_id: int | None = None):  # run_id: the run is recorded first
        (item, copies), result = element
        try:
            record = self._finish(item, copies, result)
        except (ValueError, OSError, KeyError) as exc:
            self._dead.inc()
            record = write_dead_letter(self._out, item, f"could not finish the item: {exc}")
        checks = record.checks()
        self._checks_passed.inc(sum(c.passed for c in checks))
        self._checks_failed.inc(sum(not c.passed for c in checks))
        fallbacks = record.fallbacks()
        self._fallbacks.inc(fallbacks)
        if self._progress:
            tick(*self._progress, record.status, fallbacks)
        yield record

    def _finish(self, item: WorkItem, copies: dict[str, SlotCopy], result) -> ItemRecord:
        backend = "blend" if result.model_id == BLEND_ID else "diffusers"
        image, outcome = judge(result.example, result.inference, backend)
        rendered = {name: loc.fill_placeholders(slot.text, item.values, item.locale) for name, slot in copies.items()}
        # Drawn with each value isolated: its direction is its own, the line's is the copy's.
        drawn = {name: loc.fill_placeholders(slot.text, item.values, item.locale, isolate=True)
                 for name, slot in copies.items()}
        request = result.example
        keep_clear = KeepClear(request.face, request.frame, item.template.logo)
        final, png, layout_checks = set_text(image, drawn, item.template.text_slots, item.locale, keep_clear,
                                             item.channel)
        approved = outcome.approved and all(s.approved for s in copies.values()) and not blocking_failures(layout_checks)
        status = ItemStatus.APPROVED if approved else ItemStatus.REVIEW
        # The gate's approvals are sampled for audit: shipped as usual, and shown to reviewers too.
        audit = approved and any(s.path is CopyPath.MODEL for s in copies.values()) \
            and audited(item.job, item.key, self._audit_share)
        (self._approved if approved else self._review).inc()
        uri = item_path(self._out, status, item, ".png")
        picture = item_path(self._out, PICTURES, item, ".png")
        record = _record(
            item, status, uri, sha256=hashlib.sha256(png).hexdigest(),
            models={"copy": self._copy_models[item.locale], "inpainter": result.model_id},
            copy={name: _line(slot, rendered[name]) for name, slot in copies.items()},
            image=ImageRecord(outcome.backend, outcome.path, outcome.approved, outcome.reason, tuple(outcome.checks)),
            layout=tuple(layout_checks), picture=picture, keep_clear=keep_clear, audit=audit,
        )
        _clear_other_folders(self._out, item, status)
        write_bytes(picture, encode_picture(image))
        write_bytes(uri, png)
        write_bytes(record.record_uri, record.to_json())
        return replace(record, thumbnail=thumbnail(final))


class WriteDeadLetter(beam.DoFn):
    def __init__(self, out: str, progress: tuple[str, int] | None = None):
        self._out = out
        self._progress = progress
        self._count = Metrics.counter("adloc", "items_dead_letter")

    def process(self, item: WorkItem, run_id: int | None = None):
        self._count.inc()
        record = write_dead_letter(self._out, item, item.dead_letter or "unknown")
        if self._progress:
            tick(*self._progress, ItemStatus.DEAD_LETTER, 0)
        yield record


class Write(beam.PTransform):
    """(inpainted, dead letters) -> every item's `ItemRecord`: the finished items' images and records
    (image checks, the blend fallback, the text set into the slots, layout checks), and the dead
    letters with their reason. `planned`: `PlanRun`'s run id, as a singleton side input."""

    def __init__(self, out: str, copy_versions: dict[str, str], planned, progress: tuple[str, int] | None = None,
                 audit_share: float = AUDIT_SHARE):
        super().__init__()
        self._out, self._versions, self._planned, self._progress = out, copy_versions, planned, progress
        self._audit_share = audit_share

    def expand(self, inputs):
        inpainted, dead = inputs
        written = inpainted | "WriteItem" >> beam.ParDo(
            WriteItem(self._out, self._versions, self._progress, self._audit_share), self._planned)
        dead_letters = (
            dead
            | "AllDeadLetters" >> beam.Flatten()
            | "WriteDeadLetter" >> beam.ParDo(WriteDeadLetter(self._out, self._progress), self._planned)
        )
        return (written, dead_letters) | "AllWritten" >> beam.Flatten()

