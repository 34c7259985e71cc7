"""The job's `manifest.jsonl` (one line per item) and `report.html`: self-contained (thumbnails
inline), readable by a marketer, opened straight from the bucket."""

from __future__ import annotations

import base64
import html
import json
from collections import Counter

from apache_beam.io.filesystems import FileSystems

from adloc import locale as loc
from adloc.assets_db.engine import engine_for
from adloc.assets_db.lineage import finish_run, item_key
from adloc.files import write_bytes
from adloc.models.blend import BLEND_ID
from adloc.pipelines.write import all_checks, output_uri

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d1d1f;background:#fafafa}
h1{margin:0 0 4px} h2{margin-top:32px;border-bottom:2px solid #ddd;padding-bottom:4px}
.meta{color:#555;margin-bottom:16px} .cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:120px}
.card b{font-size:28px;display:block} table{border-collapse:collapse;width:100%;background:#fff}
td,th{border:1px solid #e2e2e2;padding:6px 8px;vertical-align:top;text-align:left;font-size:13px}
th{background:#f0f0f0} img{max-width:240px;border:1px solid #ccc}
.ok{color:#0a7d32;font-weight:600} .bad{color:#b3261e;font-weight:600} .path{font-size:11px;
background:#eef;border-radius:4px;padding:1px 5px} .fail{color:#b3261e;font-size:12px}
.rtl{direction:rtl;text-align:right} .note{background:#fff8e1;border:1px solid #f0d68a;padding:8px 12px;border-radius:6px}
"""


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def _copy_cell(record: dict, rtl: bool) -> str:
    rows = []
    for slot, copy in record.get("copy", {}).items():
        mark = '<span class="ok">✓</span>' if copy["approved"] else '<span class="bad">✗</span>'
        conf = f" conf {copy['confidence']:.2f}" if copy.get("confidence") is not None else ""
        rows.append(
            f"<div><b>{_e(slot)}</b> {mark} <span class='path'>{_e(copy['path'])}{conf}</span><br>"
            f"<span style='color:#666'>{_e(copy['source'])}</span><br>"
            f"<span class='{'rtl' if rtl else ''}'>{_e(copy['rendered'])}</span>"
            + (f"<br><span class='fail'>model said: {_e(copy['candidate'])}</span>" if copy.get("candidate") and not copy["approved"] else "")
            + (f"<br><span class='fail'>{_e(copy['reason'])}</span>" if not copy["approved"] else "")
            + "</div>"
        )
    return "".join(rows)


def _checks_cell(record: dict) -> str:
    checks = all_checks(record)
    failed = [c for c in checks if not c["passed"]]
    image = record.get("image", {})
    head = f"{len(checks) - len(failed)}/{len(checks)} passed"
    lines = "".join(f"<div class='fail'>{_e(c['name'])} ({_e(c['severity'])}): {_e(c['detail'])}</div>" for c in failed)
    return f"{head}<div>image: <span class='path'>{_e(image.get('path'))}</span></div>{lines}"


def _item_rows(records: list[dict]) -> str:
    rows = []
    for r in records:
        thumb = base64.b64encode(r["thumbnail"]).decode()
        rtl = loc.is_rtl(r["locale"])
        rows.append(
            f"<tr><td><img src='data:image/jpeg;base64,{thumb}' alt='{_e(r['creative'])} {_e(r['locale'])}'></td>"
            f"<td><b>{_e(r['creative'])}</b><br>{_e(r['template'])}<br>{_e(r['locale'])}<br>talent {_e(r['talent'])}"
            f"<br><a href='{_e(r['uri'])}'>image</a></td>"
            f"<td>{_copy_cell(r, rtl)}</td><td>{_checks_cell(r)}</td></tr>"
        )
    return "<table><tr><th>output</th><th>item</th><th>copy (source / localized)</th><th>checks</th></tr>" + "".join(rows) + "</table>"


def render_report(records: list[dict], info: dict, out: str = "") -> str:
    paths = Counter(c["path"] for r in records for c in r.get("copy", {}).values())
    used = Counter(r.get("talent") for r in records if r["status"] != "dead_letter")
    approved = [r for r in records if r["status"] == "approved"]
    review = [r for r in records if r["status"] == "review"]
    dead = [r for r in records if r["status"] == "dead_letter"]
    cards = "".join(
        f"<div class='card'><b>{n}</b>{_e(label)}</div>"
        for label, n in [("items", len(records)), ("approved", len(approved)), ("need review", len(review)),
                         ("dead letter", len(dead)), ("copy from TM", paths["tm"]),
                         ("copy from model", paths["model"]), ("copy fallbacks", paths["tm_fuzzy"] + paths["source"])]
    )
    talent_rows = "".join(
        f"<tr><td>{_e(t['talent'])}</td><td>{_e(t['name'])}</td><td>{_e(t['region'])}</td>"
        f"<td class='{'ok' if t['eligible'] else 'bad'}'>{_e(t['reason'])}</td><td>{used.get(t['talent'], 0)}</td></tr>"
        for t in info["talent"]
    )
    dead_rows = "".join(
        f"<tr><td>{_e(r['creative'])}</td><td>{_e(r['template'])}</td><td>{_e(r['locale'])}</td><td>{_e(r['reason'])}</td></tr>"
        for r in dead
    )
    inpainter_note = (
        "Images were composited with the deterministic blend: no diffusion checkpoint was configured."
        if info["inpainter"] == BLEND_ID else f"Inpainter: {_e(info['inpainter'])}; outputs failing the image checks fell back to the blend."
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>adloc report: {_e(info['job'])}</title>
<style>{_CSS}</style></head><body>
<h1>{_e(info['brand'])} · {_e(info['job'])}</h1>
<div class="meta">channel {_e(info['channel'])} · locales {_e(', '.join(info['locales']))} · run date {_e(info['run_date'])}
 · copy model {_e(info['copy_model'])} · inpainter {_e(info['inpainter'])}</div>
<div class="cards">{cards}</div>
<p class="note">{inpainter_note} Copy is shipped only when every critical and functional check passes and the model's
confidence clears the locale's threshold; otherwise the translation memory or a translator takes over and the item
waits for review.</p>
<h2>Needs review ({len(review)})</h2>{_item_rows(review) if review else '<p>Nothing to review.</p>'}
<h2>Approved ({len(approved)})</h2>{_item_rows(approved) if approved else '<p>No approved items.</p>'}
<h2>Dead letter ({len(dead)})</h2>{'<table><tr><th>creative</th><th>template</th><th>locale</th><th>reason</th></tr>' + dead_rows + '</table>' if dead else '<p>None.</p>'}
<h2>Copy models</h2><p>The version that wrote each locale's copy, the confidence its lines needed, and how it
scored on the held-out eval set (<code>adloc eval</code>).</p>
<table><tr><th>locale</th><th>version</th><th>status</th><th>gate threshold</th><th>eval chrF</th>
<th>coverage at the target precision</th><th>eval report</th></tr>{_model_rows(info, out)}</table>
<h2>Talent rights</h2><p>Every talent with rights on this channel in the job's regions. Talent whose rights are expired,
revoked or not yet started is never used.</p>
<table><tr><th>talent</th><th>name</th><th>region</th><th>rights on {_e(info['run_date'])}</th><th>items using</th></tr>{talent_rows}</table>
</body></html>"""


def _link(target: str | None, out: str) -> str:
    """A link from the report in `out` to `target`: relative when both are local files."""
    import os

    if not target:
        return "no eval yet: run <code>adloc eval</code>"
    href = target
    if "://" not in target and "://" not in out:
        href = os.path.relpath(target, out)
    return f"<a href='{_e(href)}'>{_e(os.path.basename(target))}</a>"


def _model_rows(info: dict, out: str) -> str:
    rows = []
    for locale, card in info.get("copy_models", {}).items():
        threshold = card["threshold"]
        gate = ("none reaches the target precision: all to review" if threshold is None
                else f"{threshold:.3f} ({card['set_by']})")
        target = f" at {card['target_precision']:.2f}" if card.get("target_precision") is not None else ""
        chrf = "" if card["chrf"] is None else f"{card['chrf']:.1f}"
        coverage = "" if card["coverage"] is None else f"{card['coverage']:.1%}{target}"
        rows.append(
            f"<tr><td>{_e(locale)}</td><td>{_e(card['version'])}</td><td>{_e(card['status'])}</td><td>{_e(gate)}</td>"
            f"<td>{_e(chrf)}</td><td>{_e(coverage)}</td>"
            f"<td>{_link(card.get('eval_report'), out)}</td></tr>")
    return "".join(rows)


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
