"""A reviewer's decision finishes the item: an approval sets the approved lines into the picture the
run kept and writes the asset under approved/ (no rerun, no model), a rejection moves the record to
rejected/; the manifest, the report and the lineage follow, and delivering again changes nothing.
Both engines, the fake copy model."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import numpy as np
import pytest
from conftest import RUN_DATE, tree_hashes, write_job
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from adloc.assets_db.engine import engine_for
from adloc.assets_db.schema import JobItemRow, OutputRow
from adloc.cli import main
from adloc.errors import AdlocError
from adloc.money import Money
from adloc.records import Generation

JOB = {"job": "finished", "brand": "Acme Coffee", "channel": "social", "locales": ["fr-FR", "de-DE"],
       "creatives": [{"id": "c", "template": "summer-banner",
                      "copy": {"headline": "Fresh coffee every morning", "cta": "Two for {price}"},
                      "values": {"price": {"amount": 3, "currency": "EUR"}}}]}


@pytest.fixture
def waiting(catalog, tmp_path, fake_copy_model, capsys):
    """The job run with a threshold nothing clears: both items wait for review. -> (db, out, {locale: item})."""
    return run_waiting(catalog, tmp_path, fake_copy_model, capsys)


def run_waiting(catalog: str, tmp_path, fake_copy_model, capsys, name: str = "out"):
    """Run JOB into tmp_path/name so that every item waits for review -> (db, out, {locale: item id})."""
    fake_copy_model.lines.update({
        ("fr-FR", "Fresh coffee every morning"): Generation("Du café frais chaque matin", 0.9, 5),
        ("fr-FR", "Two for {price}"): Generation("Deux pour {price}", 0.9, 4),
        ("de-DE", "Fresh coffee every morning"): Generation("Frischer Kaffee jeden Morgen", 0.9, 5),
        ("de-DE", "Two for {price}"): Generation("Zwei für {price}", 0.9, 4)})
    out = tmp_path / name
    job = write_job(tmp_path / "job.yaml", JOB)
    assert main(["run", str(job), "--db", catalog, "--out", str(out), "--run-date", RUN_DATE, "--threshold", "1"]) == 0
    with Session(engine_for(catalog)) as session:
        latest = session.scalar(select(JobItemRow.job_id).order_by(JobItemRow.job_id.desc()).limit(1))
        items = {r.locale: r.id for r in session.scalars(select(JobItemRow).where(JobItemRow.job_id == latest))}
    capsys.readouterr()
    return catalog, out, items


FR_HEADLINE = "Du café frais chaque matin"
FR = {"headline": FR_HEADLINE, "cta": "Deux pour {price}"}


def _item(out, folder: str, locale: str, suffix: str):
    return out / folder / "c" / "summer-banner" / f"{locale}{suffix}"


def test_an_approval_writes_the_asset_with_the_approved_lines_and_a_rejection_moves_the_record(waiting, capsys):
    from adloc import locale as loc
    from adloc.assets_db.queries import templates
    from adloc.pipelines.render import render
    from adloc.template import for_locale

    db, out, items = waiting
    review_png = _item(out, "review", "fr-FR", ".png").read_bytes()
    record = json.loads(_item(out, "review", "fr-FR", ".json").read_text())
    assert record["picture"].endswith("pictures/c/summer-banner/fr-FR.png") and record["keep_clear"]["face"] is None

    assert main(["review", "approve", str(items["fr-FR"]), "--reviewer", "ana", "--db", db,
                 "--edit", f"headline={FR_HEADLINE}", "--edit", "cta=Deux pour seulement {price}"]) == 0
    said = capsys.readouterr().out
    assert "approved: " in said and said.strip().endswith("approved/c/summer-banner/fr-FR.json")
    assert not _item(out, "review", "fr-FR", ".png").exists() and not _item(out, "review", "fr-FR", ".json").exists()
    approved = json.loads(_item(out, "approved", "fr-FR", ".json").read_text())
    cta, headline = approved["copy"]["cta"], approved["copy"]["headline"]
    assert (approved["status"], approved["review"]["reviewer"], approved["review"]["decision"]) == ("approved", "ana", "edited")
    assert (cta["path"], cta["text"], cta["rendered"], cta["reason"]) == (
        "reviewed", "Deux pour seulement {price}", "Deux pour seulement 3,00\u00a0€", "edited by ana")
    assert cta["run"]["path"] == "source" and headline["run"]["text"] == "Fresh coffee every morning"
    assert headline["text"] == FR_HEADLINE

    # The asset is exactly the kept picture with the approved lines set in it, as a run would set them.
    png = _item(out, "approved", "fr-FR", ".png").read_bytes()
    assert png != review_png
    picture = np.asarray(Image.open(out / "pictures" / "c" / "summer-banner" / "fr-FR.png").convert("RGB"))
    template = for_locale(templates(engine_for(db), {"summer-banner"})["summer-banner"], "fr-FR")
    price = {"price": Money(Decimal(3), "EUR")}
    drawn = {"headline": FR_HEADLINE, "cta": loc.fill_placeholders("Deux pour seulement {price}", price, "fr-FR", isolate=True)}
    expected, _ = render(picture, drawn, template.text_slots, "fr-FR")
    assert np.array_equal(np.asarray(Image.open(_item(out, "approved", "fr-FR", ".png")).convert("RGB")), expected)

    assert main(["review", "reject", str(items["de-DE"]), "--reviewer", "bo", "--reason", "off brand", "--db", db]) == 0
    capsys.readouterr()
    rejected = json.loads(_item(out, "rejected", "de-DE", ".json").read_text())
    assert (rejected["status"], rejected["reason"], rejected["review"]["reviewer"]) == ("rejected", "off brand", "bo")
    assert not (out / "review").exists()  # the queue's folders went with its last item

    # The manifest, the report and the lineage say the same.
    manifest = {m["locale"]: m for m in map(json.loads, (out / "manifest.jsonl").read_text().splitlines())}
    assert (manifest["fr-FR"]["status"], manifest["fr-FR"]["uri"]) == ("approved", str(_item(out, "approved", "fr-FR", ".png")))
    assert manifest["de-DE"]["status"] == "rejected"
    report = (out / "report.html").read_text()
    assert "Rejected by a reviewer (1)" in report and "off brand" in report and "Needs review (0)" in report
    with Session(engine_for(db)) as session:
        statuses = {r.locale: r.status for r in session.scalars(select(JobItemRow))}
        outputs = [(o.locale, o.status, o.uri, o.sha256) for o in session.scalars(select(OutputRow))]
    assert statuses == {"fr-FR": "approved", "de-DE": "rejected"}
    assert outputs == [("fr-FR", "approved", str(_item(out, "approved", "fr-FR", ".png")), hashlib.sha256(png).hexdigest())]


def test_delivering_again_changes_nothing_and_repairs_an_interrupted_delivery(waiting, capsys):
    db, out, items = waiting
    assert main(["review", "approve", str(items["fr-FR"]), "--reviewer", "ana", "--db", db,
                 "--edit", f"headline={FR_HEADLINE}", "--edit", "cta=Deux pour {price}"]) == 0
    before = tree_hashes(out)
    assert main(["review", "deliver", str(items["fr-FR"]), "--db", db]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert tree_hashes(out) == before
    _item(out, "approved", "fr-FR", ".png").unlink()  # as if the process died mid-way
    assert main(["review", "deliver", str(items["fr-FR"]), "--db", db]) == 0
    assert tree_hashes(out) == before


def test_a_line_failing_a_critical_check_needs_an_explicit_override_which_is_recorded(waiting, capsys):
    from adloc.services import review

    db, out, items = waiting
    with pytest.raises(AdlocError, match=r"copy\.cta: .* fails the placeholders check"):
        review.decide(engine_for(db), items["fr-FR"], "approved", "ana", edits={**FR, "cta": "Deux pour trois euros"})
    assert _item(out, "review", "fr-FR", ".png").exists() and review.history(engine_for(db), items["fr-FR"]) == []
    assert main(["review", "approve", str(items["fr-FR"]), "--reviewer", "ana", "--db", db,
                 "--edit", f"headline={FR_HEADLINE}", "--edit", "cta=Deux pour trois euros"]) == 2
    assert "copy.cta" in capsys.readouterr().err
    done = review.decide(engine_for(db), items["fr-FR"], "approved", "ana", edits={**FR, "cta": "Deux pour trois euros"},
                         override=True)
    assert done["delivered"]["status"] == "approved"
    approved = json.loads(_item(out, "approved", "fr-FR", ".json").read_text())
    assert "copy.cta:placeholders" in approved["review"]["override"] and approved["review"]["face"] == "cli"
    assert approved["copy"]["cta"]["reason"].startswith("edited by ana (override: placeholders")


def test_a_change_of_mind_takes_the_published_asset_back(waiting, capsys):
    from adloc.services import review

    db, out, items = waiting
    review.decide(engine_for(db), items["fr-FR"], "approved", "ana", edits=FR)
    assert _item(out, "approved", "fr-FR", ".png").exists()
    review.change(engine_for(db), items["fr-FR"], "rejected", "bo", "the price is wrong")
    assert not _item(out, "approved", "fr-FR", ".png").exists()
    assert json.loads(_item(out, "rejected", "fr-FR", ".json").read_text())["reason"] == "the price is wrong"
    with Session(engine_for(db)) as session:
        assert session.scalars(select(OutputRow).where(OutputRow.locale == "fr-FR")).all() == []
    # The lessons a decision keeps are of the line as the run made it, not the reviewer's.
    again = review.change(engine_for(db), items["fr-FR"], "approved", "ana", "checked with the client",
                          edits=FR)
    assert again["delivered"]["status"] == "approved"
    approved = json.loads(_item(out, "approved", "fr-FR", ".json").read_text())
    assert approved["copy"]["cta"]["run"]["text"] == "Two for {price}" and approved["review"]["revision"] == 3


def test_review_show_starts_each_line_from_the_best_candidate_with_its_failing_checks(waiting, capsys, fake_copy_model):
    db, _, items = waiting
    assert main(["review", "show", str(items["de-DE"]), "--json", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    cta = shown["lines"]["cta"]
    # The gate held the model's line back (threshold 1): the reviewer starts from it, not the source.
    assert (cta["text"], cta["origin"], cta["source"]) == ("Zwei für {price}", "model", "Two for {price}")
    assert "below the de-DE threshold 1.00" in cta["why"] and cta["failed"] == []
    assert main(["review", "show", str(items["de-DE"]), "--db", db]) == 0
    text = capsys.readouterr().out
    assert "start:  Zwei für {price}   [model: the model's line (gate score 0.90)]" in text
    assert "--edit cta='Zwei für {price}'" in text


def test_a_line_without_a_candidate_starts_from_the_source_and_says_what_fails(catalog, tmp_path, fake_copy_model, capsys):
    fake_copy_model.lines[("fr-FR", "Two for {price}")] = Generation("Deux pour", 0.9, 2)  # drops {price}
    job = write_job(tmp_path / "job.yaml", {**JOB, "locales": ["fr-FR"],
                                            "creatives": [{**JOB["creatives"][0], "copy": {"cta": "Two for {price}",
                                                                                          "headline": "Unheard of line"}}]})
    assert main(["run", str(job), "--db", catalog, "--out", str(tmp_path / "out"), "--run-date", RUN_DATE]) == 0
    with Session(engine_for(catalog)) as session:
        [item] = session.scalars(select(JobItemRow)).all()
    capsys.readouterr()
    assert main(["review", "show", str(item.id), "--json", "--db", catalog]) == 0
    lines = json.loads(capsys.readouterr().out)["lines"]
    assert (lines["cta"]["text"], lines["cta"]["origin"]) == ("Deux pour", "model")
    assert "placeholders" in [c["name"] for c in lines["cta"]["failed"]]
    assert (lines["headline"]["text"], lines["headline"]["origin"]) == ("Unheard of line", "source")
