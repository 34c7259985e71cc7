"""The job's `manifest.jsonl` (one line per item) and `report.html`: self-contained (thumbnails
inline), readable by a marketer, opened straight from the bucket. The page is the `report.html`
template of `adloc.pages`; this module gathers what it shows."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections import Counter
from dataclasses import replace
from datetime import date

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from adloc import locale as loc
from adloc import pages
from adloc.assets_db.engine import engine_for
from adloc.assets_db.lineage import finish_run
from adloc.assets_db.queries import talent_rights_overview
from adloc.files import read_bytes, write_bytes
from adloc.jobspec import Job
from adloc.models.blend import BLEND_ID
from adloc.pipelines.copy import CopyModels
from adloc.pipelines.runner import RunSettings
from adloc.pipelines.write import output_uri, thumbnail_of_png
from adloc.records import FALLBACK_PATHS, CopyPath, ItemRecord, ItemStatus


def _item(record: ItemRecord) -> dict:
    """What the report shows of an approved or review item: thumbnail, copy per slot, checks."""
    checks = record.checks()
    lines = [{"slot": slot, "approved": line.approved, "path": line.path.value, "confidence": line.confidence,
              "source": line.source, "rendered": line.rendered, "candidate": line.candidate, "reason": line.reason}
             for slot, line in record.copy.items()]
    return {
        "creative": record.creative, "template": record.template, "locale": record.locale,
        "talent": record.talent, "uri": record.uri, "rtl": loc.is_rtl(record.locale),
        "thumbnail": base64.b64encode(record.thumbnail or b"").decode(), "lines": lines,
        "passed": sum(c.passed for c in checks), "total": len(checks),
        "image_path": record.image.path.value if record.image else None,
        "failed": [c.to_json() for c in checks if not c.passed],
    }


def _eval_link(target: str | None, out: str) -> dict | None:
    """A link from the report in `out` to `target`: relative when both are local files."""
    if not target:
        return None
    href = target
    if "://" not in target and "://" not in out:
        href = os.path.relpath(target, out)
    return {"href": href, "name": os.path.basename(target)}


def render_report(records: list[ItemRecord], info: dict, out: str = "") -> str:
    """`report.html` for `records` (sorted as they should appear); `out` is the folder it goes in,
    for relative links to the eval reports."""
    paths = Counter(line.path for r in records for line in r.copy.values())
    used = Counter(r.talent for r in records if r.status is not ItemStatus.DEAD_LETTER)
    approved = [r for r in records if r.status is ItemStatus.APPROVED]
    review = [r for r in records if r.status is ItemStatus.REVIEW]
    dead = [r for r in records if r.status is ItemStatus.DEAD_LETTER]
    rejected = [r for r in records if r.status is ItemStatus.REJECTED]
    return pages.render(
        "report.html",
        job=info["job"], brand=info["brand"], channel=info["channel"], locales=info["locales"],
        run_date=info["run_date"], copy_model=info["copy_model"], inpainter=info["inpainter"],
        blended=info["inpainter"] == BLEND_ID,
        cards=[("items", len(records)), ("approved", len(approved)), ("need review", len(review)),
               ("dead letter", len(dead)), ("copy from TM", paths[CopyPath.TM]),
               ("copy from model", paths[CopyPath.MODEL]),
               ("copy fallbacks", paths[CopyPath.TM_FUZZY] + paths[CopyPath.SOURCE])]
        + ([("approved by a reviewer", sum(r.review is not None for r in approved)), ("rejected", len(rejected))]
           if any(r.review is not None for r in records) else []),
        review=[_item(r) for r in review],
        approved=[_item(r) for r in approved],
        dead=dead,
        rejected=rejected,
        models=[{**card, "locale": locale, "target_precision": card.get("target_precision"),
                 "eval_report": _eval_link(card.get("eval_report"), out)}
                for locale, card in info.get("copy_models", {}).items()],
        talent=[{**t, "used": used.get(t["talent"], 0)} for t in info["talent"]],
    )


def manifest_line(record: ItemRecord) -> dict:
    checks = record.checks()
    return {
        "uri": record.uri, "sha256": record.sha256, "creative": record.creative,
        "template": record.template, "locale": record.locale, "status": record.status.value,
        "checks": {"passed": sum(c.passed for c in checks), "failed": sorted(c.name for c in checks if not c.passed)},
        "talent": record.talent, "models": dict(record.models), "seed": record.seed, "reason": record.reason,
        "copy": dict(sorted(Counter(line.path.value for line in record.copy.values()).items())),
    }


def record_counts(lines: list[dict]) -> dict[str, int]:
    """A finished run's figures from its `manifest.jsonl` lines (what was written, on any runner):
    `items_<status>` per status, `checks_passed`, `checks_failed` and `copy_lines_fallback` (lines
    that took the old path: the closest memory line, or the source for a translator)."""
    counts = Counter({f"items_{status.value}": 0 for status in ItemStatus if status is not ItemStatus.PENDING})
    for line in lines:
        counts[f"items_{line['status']}"] += 1
        counts["checks_passed"] += line["checks"]["passed"]
        counts["checks_failed"] += len(line["checks"]["failed"])
        counts["copy_lines_fallback"] += sum(line.get("copy", {}).get(path.value, 0) for path in FALLBACK_PATHS)
    return dict(sorted(counts.items()))


REPORT_INFO = "report.json"  # what the report says of the run besides its items, for rewriting it


def write_summary(records: list[ItemRecord], out: str, info: dict, db_url: str | None = None,
                  run_id: int | None = None) -> None:
    """The report (with `report.json`, the run's part of it), how the run ended in the asset
    database (its start was recorded before any file was written), then the manifest: a manifest
    present means the job finished."""
    records = sorted(records, key=lambda r: (r.creative, r.template, r.locale))
    write_bytes(FileSystems.join(out, REPORT_INFO),
                json.dumps({k: v for k, v in info.items() if k != "run_token"},  # the same run, the same bytes
                           indent=2, sort_keys=True, ensure_ascii=False, default=str).encode())
    write_bytes(FileSystems.join(out, "report.html"), render_report(records, info, out).encode())
    if db_url and run_id is not None:
        replaced = {r.key: [
            output_uri(out, folder, r.creative, r.template, r.locale, ".png")
            for folder in (ItemStatus.APPROVED, ItemStatus.REVIEW)] for r in records}
        finish_run(engine_for(db_url), run_id, out, records, replaced)
    write_manifest(records, out)


def write_manifest(records: list[ItemRecord], out: str) -> None:
    """`manifest.jsonl`: one line per item, sorted by creative, template and locale."""
    records = sorted(records, key=lambda r: (r.creative, r.template, r.locale))
    lines = "".join(json.dumps(manifest_line(r), ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    write_bytes(FileSystems.join(out, "manifest.jsonl"), lines.encode())


def read_manifest(out: str) -> list[dict]:
    """The lines of the `manifest.jsonl` in `out` (a finished run's)."""
    return [json.loads(line) for line in read_bytes(FileSystems.join(out, "manifest.jsonl")).decode().splitlines()]


def rewrite_summary(records: list[ItemRecord], out: str) -> None:
    """The report and the manifest again, after a reviewer's decision changed an item: from the
    items' records and the run's `report.json` (thumbnails made from the images written)."""
    records = sorted(records, key=lambda r: (r.creative, r.template, r.locale))
    write_manifest(records, out)
    where = FileSystems.join(out, REPORT_INFO)
    if not FileSystems.exists(where):  # a run from before the report kept its part: its report stays
        return
    info = json.loads(read_bytes(where))
    shown = [replace(r, thumbnail=thumbnail_of_png(read_bytes(r.uri)))
             if r.status in (ItemStatus.APPROVED, ItemStatus.REVIEW) else r for r in records]
    write_bytes(FileSystems.join(out, "report.html"), render_report(shown, info, out).encode())


def report_info(job: Job, settings: RunSettings, inpainter_id: str, models: CopyModels) -> dict:
    regions = {loc.territory(tag) for tag in job.locales}
    overview = talent_rights_overview(engine_for(settings.db_url), regions, job.channel,
                                      date.fromisoformat(settings.run_date))
    return {"job": job.job, "brand": job.brand, "channel": job.channel, "locales": job.locales,
            "run_date": settings.run_date, "copy_model": models.base_id, "inpainter": inpainter_id,
            "copy_models": model_cards(models),
            "talent": overview, "spec": job.model_dump(mode="json", by_alias=True),
            "run_token": settings.run_token or uuid.uuid4().hex}


def model_cards(models: CopyModels) -> dict[str, dict]:
    """locale -> the copy version it runs, its gate threshold and its latest eval (for the report)."""
    known = {(v.locale, v.version): v for v in models.known}
    cards = {}
    for locale, version in sorted(models.versions.items()):
        found = known.get((locale, version))
        evaluated = found.eval if found else {}
        if models.gate.learns(locale):  # the learned gate's own held-out figures
            learned = models.gate.model.eval.get("per_locale", {}).get(locale, {})
            evaluated = {**evaluated, "coverage": learned.get("coverage"),
                         "target_precision": models.gate.model.target_precision}
        cards[locale] = {
            "version": version, "status": found.status if found else "not evaluated",
            "threshold": models.gate.threshold(locale),
            "score": models.gate.score_name(locale),
            "tightened": models.gate.tightened.get(locale),
            "shadow": {"version": models.shadows[locale].version, "kind": models.shadows[locale].kind,
                       "share": models.shadows[locale].share} if locale in models.shadows else None,
            "shadow_not_run": models.shadows_not_run.get(locale),
            "set_by": "--threshold" if models.gate.fixed is not None else
                      "not calibrated" if locale not in models.gate.thresholds else
                      f"learned gate {models.gate.model.version}" if models.gate.learns(locale) else "adloc eval",
            "chrf": evaluated.get("chrf"), "coverage": evaluated.get("coverage"),
            "target_precision": evaluated.get("target_precision"), "eval_report": evaluated.get("report"),
        }
    return cards


class Report(beam.PTransform):
    """(written records, reused records) -> report.html, the run's end in the asset DB, then
    manifest.jsonl (last: a manifest present means the job finished)."""

    def __init__(self, out: str, info: dict, db_url: str, planned):
        super().__init__()
        self._out, self._info, self._db_url, self._planned = out, info, db_url, planned

    def expand(self, records):
        return (
            records
            | "AllRecords" >> beam.Flatten()
            | "Collect" >> beam.combiners.ToList()
            | "WriteManifest" >> beam.Map(write_summary, self._out, self._info, self._db_url, self._planned)
        )

