"""Audit sampling: the deterministic choice of audited items and the Wilson interval of the live
precision."""

from __future__ import annotations

import pytest

from adloc.audit import AUDIT_SHARE, audited, live_precision


def test_the_audit_sample_is_the_same_on_a_rerun_and_about_the_share():
    keys = [f"c{i:05d}/morning-square/de-DE" for i in range(20000)]
    first = [audited("spring", key) for key in keys]
    assert first == [audited("spring", key) for key in keys]  # a rerun picks the same items
    assert abs(sum(first) / len(keys) - AUDIT_SHARE) < 0.006  # 5%, within sampling error (3 sigma: 0.0046)
    other = [audited("summer", key) for key in keys]
    assert other != first  # another job audits other items
    assert sum(audited("spring", key, 0.25) for key in keys) / len(keys) == pytest.approx(0.25, abs=0.01)
    assert not any(audited("spring", key, 0.0) for key in keys[:100])
    assert all(audited("spring", key, 1.0) for key in keys[:100])
    with pytest.raises(ValueError, match="audit share 1.5 is not between 0 and 1"):
        audited("spring", keys[0], 1.5)


def test_live_precision_is_the_wilson_interval():
    found = live_precision(8, 10)  # Wilson (1927): 0.490 to 0.943 for 8 of 10 at 95%
    assert found.share == 0.8 and (round(found.low, 3), round(found.high, 3)) == (0.490, 0.943)
    found = live_precision(81, 263)  # Newcombe (1998), table I: 0.2553 to 0.3662
    assert (round(found.low, 4), round(found.high, 4)) == (0.2553, 0.3662)
    nothing = live_precision(0, 0)
    assert nothing.share is None and (nothing.low, nothing.high) == (0.0, 1.0)
    assert live_precision(10, 10).high == pytest.approx(1.0) and live_precision(10, 10).low < 1.0
    with pytest.raises(ValueError, match="confirmed lines 3 must be between 0 and the audited 2"):
        live_precision(3, 2)


def test_audited_items_ship_and_wait_for_a_reviewer_to_confirm_or_correct(catalog, tmp_path, capsys,
                                                                           fake_copy_model):
    import json

    from conftest import RUN_DATE, write_job

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.queries import translation_memory
    from adloc.cli import main
    from adloc.records import Generation

    spec = {"job": "audited", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT", "de-DE"],
            "creatives": [{"id": "c", "template": "summer-banner", "copy": {"cta": "Two for {price}"},
                           "values": {"price": 3}},
                          {"id": "m", "template": "summer-banner", "copy": {"cta": "Order now for {price}"},
                           "values": {"price": 2.5}}]}  # a memory line in both locales: no gate decision
    fake_copy_model.lines.update({("pt-PT", "Two for {price}"): Generation("Duas por {price}", 0.9, 3),
                                  ("de-DE", "Two for {price}"): Generation("Zwei für {price}", 0.9, 3)})
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "out"
    run = ["run", str(job), "--db", catalog, "--run-date", RUN_DATE, "--threshold", "0.5"]
    assert main([*run, "--out", str(tmp_path / "unaudited"), "--audit-share", "0"]) == 0  # no sample
    made = [json.loads(p.read_text()) for p in (tmp_path / "unaudited").glob("approved/c/*/*.json")]
    assert len(made) == 2 and all(r["copy"]["cta"]["path"] == "model" and "audit" not in r for r in made)
    run += ["--out", str(out), "--audit-share", "1"]  # every item the gate approves is audited
    assert main(run) == 0
    assert main(run) == 0  # a rerun reuses every item: nothing new waits, nothing is counted twice
    records = {p.stem + "/" + p.parent.parent.name: json.loads(p.read_text()) for p in out.glob("approved/*/*/*.json")}
    assert {k: r.get("audit", False) for k, r in records.items()} == {
        "pt-PT/c": True, "de-DE/c": True, "pt-PT/m": False, "de-DE/m": False}  # memory hits are no gate's
    capsys.readouterr()
    assert main(["review", "list", "--db", catalog]) == 0
    listed = capsys.readouterr().out
    assert "2 items waiting for review, 2 of them audit samples" in listed
    assert "(audit: approved automatically — confirm or correct)" in listed
    assert main(["review", "list", "--db", catalog, "--json"]) == 0
    waiting = {r["locale"]: r for r in json.loads(capsys.readouterr().out)}
    assert {(r["creative"], r["audit"]) for r in waiting.values()} == {("c", True)}

    from test_web import client

    page = client(catalog, tmp_path).get("/review")
    assert page.text.count('class="notice audit"') == 2 and "Approved automatically and shipped" in page.text
    assert "/review/export?job=" not in page.text  # audit samples are not a translator's XLIFF
    from sqlalchemy.orm import Session

    from adloc.assets_db.schema import JobItemRow

    with Session(engine_for(catalog)) as session:
        job_id = session.get(JobItemRow, waiting["pt-PT"]["item"]).job_id
    web = client(catalog, tmp_path)
    assert "(2 to audit)" in web.get("/").text  # the jobs list counts what waits for an audit
    job_page = web.get(f"/jobs/{job_id}").text
    assert "4 approved (2 waiting for an audit)" in job_page and job_page.count(">audit waiting<") == 2
    assert main(["review", "approve", str(waiting["pt-PT"]["item"]), "--reviewer", "ana", "--db", catalog]) == 0
    assert main(["review", "approve", str(waiting["de-DE"]["item"]), "--reviewer", "ana",
                 "--edit", "cta=Zwei zum Preis von {price}", "--db", catalog]) == 0  # a correction
    capsys.readouterr()
    confirmed = json.loads((out / "approved" / "c" / "summer-banner" / "pt-PT.json").read_text())
    corrected = json.loads((out / "approved" / "c" / "summer-banner" / "de-DE.json").read_text())
    assert (confirmed["status"], confirmed["audit"], confirmed["review"]["decision"]) == ("approved", True, "approved")
    assert confirmed["copy"]["cta"]["text"] == "Duas por {price}"  # shipped as the gate let it through
    assert (corrected["status"], corrected["review"]["decision"]) == ("approved", "edited")
    assert corrected["copy"]["cta"]["run"]["path"] == "model"  # the gate's approval, kept beside the correction
    memory = translation_memory(engine_for(catalog), {"de-DE"})["de-DE"]
    assert any(unit.target == "Zwei zum Preis von {price}" for unit in memory.values())  # the correction is memory
    assert main(["review", "list", "--db", catalog, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # both decided
    job_page = web.get(f"/jobs/{job_id}").text
    assert "waiting for an audit" not in job_page and "audit waiting" not in job_page
    assert "to audit)" not in web.get("/").text
    assert main(["models", "live", "--db", catalog, "--json"]) == 0
    found = {f["locale"]: f for f in json.loads(capsys.readouterr().out)["models"]}
    assert {loc: (f["audited"], f["confirmed"], f["model_lines"], f["gate_passed"]) for loc, f in found.items()} == {
        "pt-PT": (1, 1, 2, 2), "de-DE": (1, 0, 2, 2)}  # two runs made lines (the rerun none), one audited each


def test_the_live_report_counts_audited_decisions_per_model_gate_and_locale(catalog, tmp_path, capsys,
                                                                           fake_copy_model):
    """Three audited runs' lines with known decisions: 3 of 4 confirmed in pt-PT (one corrected),
    and the coverage from what the gate passed."""
    import json

    from conftest import write_job

    from adloc.cli import main
    from adloc.records import Generation

    fake_copy_model.lines.update({("pt-PT", "Two for {price}"): Generation("Duas por {price}", 0.9, 3),
                                  ("pt-PT", "Fresh every day"): Generation("Fresco todos os dias", 0.9, 3),
                                  ("pt-PT", "Coffee to go"): Generation("Café para levar", 0.2, 3)})
    creatives = [{"id": f"c{i}", "template": "summer-banner", "copy": {"cta": cta}, "values": {"price": 3}}
                 for i, cta in enumerate(["Two for {price}", "Fresh every day", "Coffee to go"])]
    spec = {"job": "live", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT"], "creatives": creatives}
    job = write_job(tmp_path / "job.yaml", spec)
    for day, folder in (("2027-03-01", "a"), ("2027-03-09", "b")):  # two ISO weeks
        assert main(["run", str(job), "--db", catalog, "--run-date", day, "--threshold", "0.5",
                     "--audit-share", "1", "--out", str(tmp_path / folder)]) == 0
    capsys.readouterr()
    assert main(["review", "list", "--db", catalog, "--json"]) == 0
    waiting = sorted((r["item"], r["creative"]) for r in json.loads(capsys.readouterr().out) if r["audit"])
    assert len(waiting) == 4  # c0 and c1 of both runs; c2's line fell below the threshold: no audit
    decisions = iter([[], [], [], ["--edit", "cta=Sempre fresco"]])  # the last one corrected
    for item, creative in waiting:
        assert main(["review", "approve", str(item), "--reviewer", "ana", "--db", catalog, *next(decisions)]) == 0
    capsys.readouterr()
    assert main(["models", "live", "--db", catalog, "--json"]) == 0
    (found,) = json.loads(capsys.readouterr().out)["models"]
    assert (found["locale"], found["gate"], found["audited"], found["confirmed"]) == ("pt-PT", "confidence", 4, 3)
    assert (round(found["low"], 3), round(found["high"], 3)) == (0.301, 0.954)  # Wilson, 3 of 4
    assert (found["model_lines"], found["gate_passed"]) == (6, 4) and found["coverage"] == 4 / 6
    assert [(w["week"], w["audited"], w["confirmed"]) for w in found["weeks"]] == [("2027-W09", 2, 2),
                                                                                  ("2027-W10", 2, 1)]
    from test_web import client

    web = client(catalog, tmp_path)
    page = web.get("/models/live")
    assert page.status_code == 200 and 'id="live"' in page.text
    assert "75.0%" in page.text and "[30.1, 95.4]" in page.text and "66.7%" in page.text and "2027-W10: 1/2" in page.text
    refused = web.get("/models/live?since=March")
    assert refused.status_code == 422 and "since: &#39;March&#39; is not a date" in refused.text
    assert main(["models", "live", "--db", catalog, "--since", "2027-03-08"]) == 0
    said = capsys.readouterr().out
    assert "audited 2 lines, confirmed 1: live precision 50.0% [9.5%, 90.5%]" in said
    assert "coverage 66.7% (2 of 3 model lines shipped unseen)" in said


def test_an_audited_line_that_reads_like_its_source_is_confirmed_as_it_shipped(catalog, tmp_path, capsys,
                                                                                fake_copy_model):
    import json

    from conftest import RUN_DATE, write_job

    from adloc.cli import main
    from adloc.records import Generation

    spec = {"job": "brand-only", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT"],
            "keep_terms": ["Acme"], "creatives": [{"id": "b", "template": "summer-banner", "copy": {"cta": "Acme"}}]}
    fake_copy_model.lines[("pt-PT", "Acme")] = Generation("Acme", 0.9, 1)  # a brand name reads the same
    job = write_job(tmp_path / "job.yaml", spec)
    assert main(["run", str(job), "--db", catalog, "--run-date", RUN_DATE, "--threshold", "0.5",
                 "--out", str(tmp_path / "out"), "--audit-share", "1"]) == 0
    shipped = json.loads((tmp_path / "out/approved/b/summer-banner/pt-PT.json").read_text())
    assert shipped["audit"] and shipped["copy"]["cta"]["path"] == "model"
    capsys.readouterr()
    assert main(["review", "list", "--db", catalog, "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert main(["review", "approve", str(item["item"]), "--reviewer", "ana", "--db", catalog]) == 0  # confirmed
    confirmed = json.loads((tmp_path / "out/approved/b/summer-banner/pt-PT.json").read_text())
    assert confirmed["review"]["decision"] == "approved" and confirmed["copy"]["cta"]["text"] == "Acme"
