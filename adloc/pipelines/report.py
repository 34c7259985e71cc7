"""The job's `manifest.jsonl` (one line per item) and `report.html`: self-contained (thumbnails
inline), readable by a marketer, opened straight from the bucket. The page is the `report.html`
template of `adloc.pages`; this module gathers what it shows."""

from __future__ import annotations

import base64
import json
import os
from collections import Counter

from apache_beam.io.filesystems import FileSystems

from adloc import locale as loc
from adloc import pages
from adloc.assets_db.engine import engine_for
from adloc.assets_db.lineage import finish_run, item_key
from adloc.files import write_bytes
from adloc.models.blend import BLEND_ID
from adloc.pipelines.write import all_checks, output_uri


def _item(record: dict) -> dict:
    """What the report shows of an approved or review item: thumbnail, copy per slot, checks."""
    checks = all_checks(record)
    lines = [{"slot": slot, "approved": line["approved"], "path": line["path"],
             "confidence": line.get("confidence"), "source": line["source"], "rendered": line["rendered"],
             "candidate": line.get("candidate"), "reason": line.get("reason")}
            for slot, line in record.get("copy", {}).items()]
    return {
        "creative": record["creative"], "template": record["template"], "locale": record["locale"],
        "talent": record["talent"], "uri": record["uri"], "rtl": loc.is_rtl(record["locale"]),
        "thumbnail": base64.b64encode(record["thumbnail"]).decode(), "lines": lines,
        "passed": sum(bool(c["passed"]) for c in checks), "total": len(checks),
        "image_path": record.get("image", {}).get("path"),
        "failed": [c for c in checks if not c["passed"]],
    }


def _eval_link(target: str | None, out: str) -> dict | None:
    """A link from the report in `out` to `target`: relative when both are local files."""
    if not target:
        return None
    href = target
    if "://" not in target and "://" not in out:
        href = os.path.relpath(target, out)
    return {"href": href, "name": os.path.basename(target)}


def render_report(records: list[dict], info: dict, out: str = "") -> str:
    """`report.html` for `records` (sorted as they should appear); `out` is the folder it goes in,
    for relative links to the eval reports."""
    paths = Counter(c["path"] for r in records for c in r.get("copy", {}).values())
    used = Counter(r.get("talent") for r in records if r["status"] != "dead_letter")
    approved = [r for r in records if r["status"] == "approved"]
    review = [r for r in records if r["status"] == "review"]
    dead = [r for r in records if r["status"] == "dead_letter"]
    return pages.render(
        "report.html",
        job=info["job"], brand=info["brand"], channel=info["channel"], locales=info["locales"],
        run_date=info["run_date"], copy_model=info["copy_model"], inpainter=info["inpainter"],
        blended=info["inpainter"] == BLEND_ID,
        cards=[("items", len(records)), ("approved", len(approved)), ("need review", len(review)),
               ("dead letter", len(dead)), ("copy from TM", paths["tm"]), ("copy from model", paths["model"]),
               ("copy fallbacks", paths["tm_fuzzy"] + paths["source"])],
        review=[_item(r) for r in review],
        approved=[_item(r) for r in approved],
        dead=dead,
        models=[{**card, "locale": locale, "target_precision": card.get("target_precision"),
                 "eval_report": _eval_link(card.get("eval_report"), out)}
                for locale, card in info.get("copy_models", {}).items()],
        talent=[{**t, "used": used.get(t["talent"], 0)} for t in info["talent"]],
    )


def manifest_line(record: dict) -> dict:
    checks = all_checks(record)
    return {
        "uri": record["uri"], "sha256": record["sha256"], "creative": record["creative"],
        "template": record["template"], "locale": record["locale"], "status": record["status"],
        "checks": {"passed": sum(c["passed"] for c in checks), "failed": sorted(c["name"] for c in checks if not c["passed"])},
        "talent": record.get("talent"), "models": record.get("models", {}), "seed": record["seed"],
        "reason": record.get("reason"),
    }


def write_summary(records: list[dict], out: str, info: dict, db_url: str | None = None,
                  run_id: int | None = None) -> None:
    """The report, how the run ended in the asset database (its start was recorded before any file
    was written), then the manifest: a manifest present means the job finished."""
    records = sorted(records, key=lambda r: (r["creative"], r["template"], r["locale"]))
    write_bytes(FileSystems.join(out, "report.html"), render_report(records, info, out).encode())
    if db_url and run_id is not None:
        replaced = {item_key(r["creative"], r["template"], r["locale"]): [
            output_uri(out, folder, r["creative"], r["template"], r["locale"], ".png")
            for folder in ("approved", "review")] for r in records}
        finish_run(engine_for(db_url), run_id, out, records, replaced)
    lines = "".join(json.dumps(manifest_line(r), ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    write_bytes(FileSystems.join(out, "manifest.jsonl"), lines.encode())
