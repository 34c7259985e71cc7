"""Review decisions close the loop: an approved line enters the translation memory, so the next
run takes it without the model; a rejection is kept as a labelled negative. Both engines."""

from __future__ import annotations

import json

import pytest
from conftest import RUN_DATE, write_job

from adloc.assets_db.engine import engine_for
from adloc.assets_db.review import negatives, rejected_model_lines
from adloc.cli import main
from adloc.records import Generation

JOB = {"job": "reviewed", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT", "de-DE"],
       "creatives": [{"id": "c", "template": "summer-banner", "copy": {"cta": "Two for {price}"},
                      "values": {"price": 3}}]}


def test_approved_lines_feed_the_memory_and_rejections_are_kept(catalog, tmp_path, capsys, fake_copy_model):
    fake_copy_model.lines.update({("pt-PT", "Two for {price}"): Generation("Duas por {price}", 0.9, 3),
                                  ("de-DE", "Two for {price}"): Generation("Zwei zum {price}", 0.9, 3)})
    job = write_job(tmp_path / "job.yaml", JOB)
    run = ["run", str(job), "--db", catalog, "--run-date", RUN_DATE, "--threshold", "1"]  # nothing ships unseen
    assert main([*run, "--out", str(tmp_path / "first")]) == 0
    capsys.readouterr()
    assert main(["review", "list", "--db", catalog, "--json"]) == 0
    waiting = {r["locale"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(waiting) == {"pt-PT", "de-DE"}
    assert sorted(fake_copy_model.asked) == ["de-DE:Two for {price}", "pt-PT:Two for {price}"]

    pt = waiting["pt-PT"]["item"]
    assert main(["review", "approve", str(pt), "--reviewer", "ana", "--db", catalog]) == 2
    assert "copy.cta: item " in (err := capsys.readouterr().err) and "still holds the English source" in err
    assert main(["review", "approve", str(pt), "--reviewer", "ana", "--edit", "cta=Dois por {price}",
                 "--db", catalog]) == 0
    assert "'Two for {price}' -> 'Dois por {price}'" in capsys.readouterr().out
    de = waiting["de-DE"]["item"]
    with pytest.raises(SystemExit) as refused:  # --reason is required
        main(["review", "reject", str(de), "--reviewer", "ana", "--db", catalog])
    assert refused.value.code == 2 and "--reason" in capsys.readouterr().err
    assert main(["review", "reject", str(de), "--reviewer", "ana", "--reason", "meaning lost", "--db", catalog]) == 0
    assert f"item {de}: rejected" in capsys.readouterr().out
    assert [(n["locale"], n["reason"]) for n in negatives(engine_for(catalog))] == [("de-DE", "meaning lost")]
    # The negative is the model's line the gate turned down (not the English kept for a translator).
    made = negatives(engine_for(catalog), "de-DE")[0]["made"]["cta"]
    first = tmp_path / "first"
    de_record = json.loads((first / "rejected" / "c" / "summer-banner" / "de-DE.json").read_text())
    assert (de_record["status"], de_record["reason"], de_record["review"]["reviewer"]) == ("rejected", "meaning lost", "ana")
    assert not list(first.glob("review/c/summer-banner/*")) and not (first / "approved" / "c" / "summer-banner" / "de-DE.png").exists()
    # The approval is the deliverable: the edited line set into the picture the run kept, under approved/.
    pt_record = json.loads((first / "approved" / "c" / "summer-banner" / "pt-PT.json").read_text())
    assert (pt_record["status"], pt_record["copy"]["cta"]["path"]) == ("approved", "reviewed")
    assert pt_record["copy"]["cta"]["rendered"] == "Dois por 3" and pt_record["copy"]["cta"]["reason"] == "edited by ana"
    assert pt_record["copy"]["cta"]["text"] == "Dois por {price}" and pt_record["copy"]["cta"]["run"]["path"] == "source"
    assert pt_record["review"]["decision"] == "edited" and (first / "approved" / "c" / "summer-banner" / "pt-PT.png").is_file()
    manifest = {(m["locale"], m["status"]) for m in map(json.loads, (first / "manifest.jsonl").read_text().splitlines())}
    assert manifest == {("pt-PT", "approved"), ("de-DE", "rejected")}
    assert de_record["copy"]["cta"]["reason"].startswith("model output confidence 0.90 below the de-DE threshold 1.00")
    assert made == {"source": "Two for {price}", "path": "source", "model": "Zwei zum {price}"}
    assert rejected_model_lines(engine_for(catalog), "de-DE") == (("Two for {price}", "Zwei zum {price}"),)
    assert negatives(engine_for(catalog), "pt-PT") == []
    assert main(["review", "list", "--db", catalog, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    first_calls = list(fake_copy_model.asked)
    assert main([*run, "--out", str(tmp_path / "second")]) == 0
    record = json.loads(next((tmp_path / "second").glob("*/c/summer-banner/pt-PT.json")).read_text())
    assert record["copy"]["cta"]["path"] == "tm" and record["copy"]["cta"]["text"] == "Dois por {price}"
    # pt-PT came from the memory; de-DE still needs the model
    assert fake_copy_model.asked[len(first_calls):] == ["de-DE:Two for {price}"]
