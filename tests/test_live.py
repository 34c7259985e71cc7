"""Live evaluation beyond the audit sample: a candidate in the champion's shadow (its lines and
verdicts recorded, never shipped, scored against reviewers' decisions), the promotion rule that
needs live non-inferiority, and the gate tightened when the live precision falls below its target."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import RUN_DATE, write_job
from fakes import FAKE_MODEL_ID
from sqlalchemy import select
from sqlalchemy.orm import Session

from adloc.assets_db import registry
from adloc.assets_db.engine import engine_for
from adloc.assets_db.schema import JobItemRow
from adloc.cli import main
from adloc.errors import AdlocError
from adloc.evals.promotion import Verdict, with_live
from adloc.models import similarity
from adloc.models.acceptability import GateModel
from adloc.records import Generation

CREATIVES = {"c0": "Two for {price}", "c1": "Fresh every day", "c2": "Coffee to go"}


def job_file(tmp_path: Path, creatives: dict[str, str] = CREATIVES, name: str = "job") -> Path:
    listed = [{"id": cid, "template": "summer-banner", "copy": {"cta": cta}, "values": {"price": 3}}
              for cid, cta in creatives.items()]
    return write_job(tmp_path / f"{name}.yaml", {"job": "live", "brand": "Acme Coffee", "channel": "social",
                                                 "locales": ["pt-PT"], "creatives": listed})


def calibrated(engine, version: str = FAKE_MODEL_ID, adapter: str = "", threshold: float = 0.5) -> None:
    """The registry's eval of `version` for pt-PT: its threshold at the target precision 0.95."""
    registry.record_evals(engine, [registry.EvalRecord("pt-PT", version, "embedded", adapter, threshold, 0.95, {})])


def an_adapter(folder: Path) -> tuple[str, str]:
    """A LoRA adapter folder as `adloc tune` leaves it (contents made up: only its hash matters to
    the fake model) and the version id a run records for it."""
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text('{"r": 8}')
    (folder / "adapter_model.safetensors").write_bytes(b"made-up weights")
    digest = hashlib.sha256(b'{"r": 8}' + b"made-up weights").hexdigest()[:12]
    return str(folder), f"{FAKE_MODEL_ID}+lora-pt-PT@{digest}"


def waiting(catalog: str, capsys, out: str | None = None) -> dict[str, int]:
    """creative -> the item waiting for review (of the run that wrote to `out`)."""
    capsys.readouterr()
    assert main(["review", "list", "--db", catalog, "--json"]) == 0
    return {r["creative"]: r["item"] for r in json.loads(capsys.readouterr().out)
            if out is None or r["record"].startswith(out)}


def live_json(catalog: str, capsys) -> dict:
    capsys.readouterr()
    assert main(["models", "live", "--db", catalog, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_model_candidate_in_the_shadow_is_recorded_and_scored_but_never_shipped(catalog, tmp_path, capsys,
                                                                                  fake_copy_model):
    engine = engine_for(catalog)
    calibrated(engine)  # the base model: the pt-PT champion
    folder, candidate = an_adapter(tmp_path / "adapters" / "pt-PT")
    calibrated(engine, candidate, folder)
    assert {v.version: v.status for v in registry.versions(engine, "pt-PT")} == {
        FAKE_MODEL_ID: "champion", candidate: "candidate"}
    fake_copy_model.lines.update({  # the champion: ships c0 and c2, holds c1
        ("pt-PT", "Two for {price}"): Generation("Duas por {price}", 0.9, 3),
        ("pt-PT", "Fresh every day"): Generation("Fresco todos os dias", 0.3, 3),
        ("pt-PT", "Coffee to go"): Generation("Café para levar", 0.9, 3)})
    fake_copy_model.shadow_lines.update({  # the candidate: would ship c0 and c1, holds c2
        ("pt-PT", "Two for {price}"): Generation("Dois por {price}", 0.9, 3),
        ("pt-PT", "Fresh every day"): Generation("Fresco todos os dias", 0.8, 3),
        ("pt-PT", "Coffee to go"): Generation("Café para levar", 0.2, 3)})
    assert main(["models", "shadow", "--locale", "pt-pt", "--candidate", candidate, "--share", "1",
                 "--db", catalog]) == 0
    assert "model candidate" in capsys.readouterr().out
    job = job_file(tmp_path)
    run = ["run", str(job), "--db", catalog, "--run-date", RUN_DATE]
    assert main([*run, "--out", str(tmp_path / "out"), "--audit-share", "1"]) == 0
    assert main([*run, "--out", str(tmp_path / "plain"), "--no-shadow", "--audit-share", "0"]) == 0

    # Recorded beside the champion's line, never rendered: the images are the champion's alone.
    out, plain = tmp_path / "out", tmp_path / "plain"
    c0 = json.loads((out / "approved/c0/summer-banner/pt-PT.json").read_text())
    assert c0["copy"]["cta"]["text"] == "Duas por {price}" and c0["copy"]["cta"]["rendered"] == "Duas por 3"
    assert c0["copy"]["cta"]["shadow"] == {"version": candidate, "text": "Dois por {price}", "passed": True,
                                           "score": 0.9, "reason": "all checks passed, confidence 0.90"}
    assert "shadow" not in json.loads((plain / "approved/c0/summer-banner/pt-PT.json").read_text())["copy"]["cta"]
    for creative in ("c0", "c2"):
        png = f"approved/{creative}/summer-banner/pt-PT.png"
        assert (out / png).read_bytes() == (plain / png).read_bytes()
    c2 = json.loads((out / "approved/c2/summer-banner/pt-PT.json").read_text())
    assert not c2["copy"]["cta"]["shadow"]["passed"] and "below the pt-PT threshold" in c2["copy"]["cta"]["shadow"]["reason"]
    assert "runs in the shadow of the" in (out / "report.html").read_text()
    with Session(engine) as session:
        rows = [(row.creative, row.record_uri, json.loads(row.shadow))
                for row in session.scalars(select(JobItemRow)) if row.shadow]
    stored = {creative: shadow for creative, _, shadow in rows}
    assert stored["c1"] == {"version": candidate, "lines": {"cta": {"text": "Fresco todos os dias", "passed": True,
                                                                    "champion_passed": False}}}
    assert sorted(creative for creative, _, _ in rows) == ["c0", "c1", "c2"]
    assert all(uri.startswith(str(out)) for _, uri, _ in rows)  # the plain run recorded none

    # Reviewers decide: c0 and c2 are audit samples, c1 waits for review (the champion held it).
    items = waiting(catalog, capsys, str(out))
    assert sorted(items) == ["c0", "c1", "c2"]
    assert main(["review", "approve", str(items["c0"]), "--reviewer", "ana", "--db", catalog]) == 0
    assert main(["review", "approve", str(items["c1"]), "--reviewer", "ana", "--edit", "cta=Fresco todos os dias",
                 "--db", catalog]) == 0
    assert main(["review", "approve", str(items["c2"]), "--reviewer", "ana", "--db", catalog]) == 0
    (found,) = live_json(catalog, capsys)["shadows"]
    champion, challenger = found["champion"], found["candidate"]
    assert (champion["version"], challenger["version"]) == (FAKE_MODEL_ID, candidate)
    # champion: all three lines kept; shipped c0, c2 (both right), held c1 (fine)
    assert [champion[k] for k in ("decided", "agreed", "shipped", "confirmed", "shipped_corrected", "held_fine",
                                  "lines", "passed")] == [3, 3, 2, 2, 0, 1, 3, 2]
    # candidate: c0 corrected though it would ship, c1 right and shipped, c2 right but held
    assert [challenger[k] for k in ("decided", "agreed", "shipped", "confirmed", "shipped_corrected", "held_fine",
                                    "lines", "passed")] == [3, 2, 2, 1, 1, 1, 3, 2]
    assert challenger["precision"] == 0.5 and round(challenger["high"], 4) == 0.9055  # Wilson, 1 of 2
    assert found["non_inferior"] is False  # the champion's 100% is above the candidate's interval
    capsys.readouterr()
    assert main(["models", "live", "--db", catalog]) == 0
    said = capsys.readouterr().out
    assert f"shadow  pt-PT {candidate} beside {FAKE_MODEL_ID}" in said
    assert "candidate agreement 66.7% (2/3 decided lines)" in said and "the champion is better by more" in said

    from test_web import client

    page = client(catalog, tmp_path).get("/models/live?locale=pt-PT")
    assert page.status_code == 200 and 'id="shadows"' in page.text and "50.0%" in page.text

    # The promotion rule: the offline win alone does not promote; live non-inferiority must hold too.
    from adloc.services.live import shadow_evidence

    evidence = shadow_evidence(engine, "pt-PT", FAKE_MODEL_ID, candidate)
    offline = Verdict(True, ["coverage at precision 0.95 rises: 10.0% -> 20.0%"])
    decided = with_live(offline, evidence.non_inferior, evidence.said())
    assert not decided.promote and "the champion is better by more than the interval" in decided.reasons[-1]
    assert shadow_evidence(engine, "pt-PT", FAKE_MODEL_ID, "never-ran") is None

    # Stopping the shadow: the next run records none.
    assert main(["models", "shadow", "--locale", "pt-PT", "--stop", "--db", catalog]) == 0
    assert registry.shadows(engine) == {}
    assert main([*run, "--out", str(tmp_path / "after"), "--audit-share", "0"]) == 0
    assert "shadow" not in json.loads((tmp_path / "after/approved/c0/summer-banner/pt-PT.json").read_text())["copy"]["cta"]

    # Promoting the candidate stops its shadow (nothing to run beside) and clears a tightening of
    # the version it retires (that version no longer runs).
    registry.set_shadow(engine, "pt-PT", candidate, 0.5)
    registry.tighten(engine, registry.Tightening("pt-PT", FAKE_MODEL_ID, "confidence", 0.95, 3, 1, 0.79))
    assert registry.promote(engine, "pt-PT", candidate) == FAKE_MODEL_ID
    assert registry.shadows(engine) == {} and registry.tightenings(engine) == []
    (cleared,) = registry.tightenings(engine, in_force=False)
    assert cleared.cleared_by == f"promotion of {candidate}"


def test_a_gate_candidate_in_the_shadow_judges_the_champions_line(catalog, tmp_path, fake_copy_model, monkeypatch,
                                                                   capsys):
    engine = engine_for(catalog)
    calibrated(engine)
    monkeypatch.setattr(similarity, "similarity", lambda s, t, locale, encoder=None: [0.75])
    candidate = GateModel(base_model=FAKE_MODEL_ID, features=("similarity",), mean=(0.5,), scale=(0.25,),
                          weights=(2.0,), intercept=0.0, thresholds={"pt-PT": 0.7}, target_precision=0.95,
                          encoder="use-m3").sealed()  # P(acceptable) = sigmoid(2) = 0.88 for every line
    candidate.save(tmp_path / "gate.json")
    registry.record_gate(engine, FAKE_MODEL_ID, candidate.version, str(tmp_path / "gate.json"), {},
                         champion_if_first=False)
    registry.set_shadow(engine, "pt-PT", candidate.version, 1.0)
    fake_copy_model.lines.update({("pt-PT", "Two for {price}"): Generation("Duas por {price}", 0.3, 3),
                                  ("pt-PT", "Fresh every day"): Generation("Fresco todos os dias", 0.9, 3)})
    assert main(["run", str(job_file(tmp_path)), "--db", catalog, "--run-date", RUN_DATE, "--out",
                 str(tmp_path / "out"), "--audit-share", "1"]) == 0
    held = json.loads((tmp_path / "out/review/c0/summer-banner/pt-PT.json").read_text())["copy"]["cta"]
    assert held["path"] != "model" and held["candidate"] == "Duas por {price}"  # the champion held it
    assert held["shadow"] == {"version": candidate.version, "text": "Duas por {price}", "passed": True,
                              "score": 0.8808, "reason": "all checks passed, acceptability 0.88"}
    shipped = json.loads((tmp_path / "out/approved/c1/summer-banner/pt-PT.json").read_text())["copy"]["cta"]
    assert shipped["path"] == "model" and shipped["shadow"]["passed"] and "gate" not in shipped  # champion: confidence
    # c2 had no canned line: the generation failed, and the candidate's verdict says so.
    failed = json.loads((tmp_path / "out/review/c2/summer-banner/pt-PT.json").read_text())["copy"]["cta"]["shadow"]
    assert failed["passed"] is False and "no canned line" in failed["reason"]

    # Reviewers correct the line only the candidate would have shipped and confirm the one both
    # shipped: live, the champion (1 of 1) is better than the candidate (1 of 2, Wilson up to 90.5%).
    items = waiting(catalog, capsys)
    assert main(["review", "approve", str(items["c0"]), "--edit", "cta=Dois por {price}", "--reviewer", "ana",
                 "--db", catalog]) == 0
    assert main(["review", "approve", str(items["c1"]), "--reviewer", "ana", "--db", catalog]) == 0
    capsys.readouterr()
    promote = ["gate", "promote", candidate.version, "--model", FAKE_MODEL_ID, "--db", catalog]
    assert main(promote) == 2
    said = capsys.readouterr()
    assert "live precision 100.0% (1/1) champion vs 50.0% (1/2, Wilson 95% up to 90.5%) candidate" in said.out
    assert "better by more than the interval in pt-PT; not promoted" in said.err
    assert registry.champion_gate(engine, FAKE_MODEL_ID) is None
    assert main([*promote, "--offline-only"]) == 0
    assert registry.champion_gate(engine, FAKE_MODEL_ID).version == candidate.version
    assert registry.shadows(engine) == {}  # the new champion gate no longer runs in its own shadow


def test_a_shadow_names_a_known_candidate_that_is_not_the_champion(catalog_db, capsys):
    engine = engine_for(catalog_db)
    calibrated(engine)
    with pytest.raises(AdlocError, match="no evaluated model version or recorded gate nope"):
        registry.set_shadow(engine, "pt-PT", "nope", 0.1)
    with pytest.raises(AdlocError, match="is already the champion for pt-PT"):
        registry.set_shadow(engine, "pt-PT", FAKE_MODEL_ID, 0.1)
    assert main(["models", "shadow", "--locale", "pt-PT", "--candidate", "x", "--share", "0", "--db", catalog_db]) == 2
    assert "share 0.0: the share of items a shadow runs on must be more than 0" in capsys.readouterr().err
    assert main(["models", "shadow", "--locale", "pt-PT", "--candidate", "x", "--stop", "--db", catalog_db]) == 2
    assert "--stop and --candidate x: stop the shadow, or set a candidate, not both" in capsys.readouterr().err
    assert main(["models", "shadow", "--candidate", "x", "--db", catalog_db]) == 2
    assert "say which locale" in capsys.readouterr().err
    assert main(["models", "live", "--locale", "xx-nowhere", "--db", catalog_db]) == 2
    assert "locale: unknown locale 'xx-nowhere'" in capsys.readouterr().err
    assert main(["models", "shadow", "--db", catalog_db]) == 0 and "no shadow running" in capsys.readouterr().out


def test_promotion_needs_the_offline_win_and_live_non_inferiority():
    win, loss = Verdict(True, ["coverage rises"]), Verdict(False, ["coverage does not rise"])
    assert with_live(win, True, "live: non-inferior").promote
    assert not with_live(loss, True, "live: non-inferior").promote
    assert not with_live(win, False, "live: the champion is better").promote
    thin = with_live(win, None, "")
    assert not thin.promote and "never ran in the champion's shadow" in thin.reasons[-1]
    alone = with_live(win, None, "", offline_only=True)
    assert alone.promote and "not required (--offline-only)" in alone.reasons[-1]


def test_the_gate_tightens_when_live_precision_falls_below_target_until_recalibrated(catalog, tmp_path, capsys,
                                                                                     fake_copy_model):
    engine = engine_for(catalog)
    calibrated(engine)  # threshold 0.5 at the target precision 0.95
    fake_copy_model.lines.update({("pt-PT", src): Generation(line, 0.9, 3) for src, line in (
        ("Two for {price}", "Duas por {price}"), ("Fresh every day", "Fresco todos os dias"),
        ("Coffee to go", "Café para levar"), ("Order today", "Encomende hoje"), ("Taste the summer", "Prove o verão"))})
    job = job_file(tmp_path)
    # The next job's lines are new: the decisions put the first job's in the memory, which needs no gate.
    later = job_file(tmp_path, {"d0": "Order today", "d1": "Taste the summer"}, "later")
    run = ["run", str(job), "--db", catalog, "--run-date", RUN_DATE, "--audit-share", "1"]
    run_later = ["run", str(later), "--db", catalog, "--run-date", RUN_DATE, "--audit-share", "1"]
    assert main([*run, "--out", str(tmp_path / "first")]) == 0
    assert len(list((tmp_path / "first/approved").glob("*/*/*.png"))) == 3
    items = waiting(catalog, capsys)
    assert main(["review", "approve", str(items["c0"]), "--reviewer", "ana", "--db", catalog]) == 0
    assert main(["review", "approve", str(items["c1"]), "--reviewer", "ana", "--edit", "cta=Sempre fresco",
                 "--db", catalog]) == 0
    assert main(["review", "approve", str(items["c2"]), "--reviewer", "ana", "--edit", "cta=Café para viagem",
                 "--db", catalog]) == 0
    assert registry.tightenings(engine) == []  # nothing tightens between runs: the next run decides

    # 1 of 3 confirmed: the Wilson interval reaches 79.2% at most, under the 95% target.
    assert main([*run_later, "--out", str(tmp_path / "later")]) == 0
    assert not list((tmp_path / "later/approved").glob("*/*/*.png"))
    held = json.loads((tmp_path / "later/review/d0/summer-banner/pt-PT.json").read_text())["copy"]["cta"]
    assert held["path"] != "model" and "the pt-PT gate is tightened: 1 of 3 audited lines" in held["reason"]
    assert "at most 79%" in held["reason"] and "until it is recalibrated (adloc eval)" in held["reason"]
    assert "tightened by the live precision: all to review" in (tmp_path / "later/report.html").read_text()
    (tight,) = live_json(catalog, capsys)["tightened"]
    assert (tight["locale"], tight["copy_model"], tight["gate"], tight["audited"], tight["confirmed"]) == (
        "pt-PT", FAKE_MODEL_ID, "confidence", 3, 1)
    assert main([*run, "--out", str(tmp_path / "first")]) == 0  # its lines are memory now: no gate, all approved
    assert len(list((tmp_path / "first/approved").glob("*/*/*.png"))) == 3
    assert main([*run_later, "--out", str(tmp_path / "again")]) == 0  # still tightened, and recorded once
    assert not list((tmp_path / "again/approved").glob("*/*/*.png"))
    assert len(registry.tightenings(engine, in_force=False)) == 1
    # A run that sets its own threshold is not tightened (and tightens nothing).
    assert main([*run_later, "--out", str(tmp_path / "fixed"), "--threshold", "0.5", "--audit-share", "0"]) == 0
    assert len(list((tmp_path / "fixed/approved").glob("*/*/*.png"))) == 2
    assert len(registry.tightenings(engine, in_force=False)) == 1
    from test_web import client

    assert 'id="tightened"' in client(catalog, tmp_path).get("/models/live").text

    # A recalibration (`adloc eval` records the version's threshold again) clears it; the audits
    # before it judged the gate as it was, so the next run ships again.
    calibrated(engine)
    (cleared,) = registry.tightenings(engine, in_force=False)
    assert cleared.cleared_at is not None and cleared.cleared_by == f"adloc eval of {FAKE_MODEL_ID}"
    assert main([*run_later, "--out", str(tmp_path / "recalibrated")]) == 0
    assert len(list((tmp_path / "recalibrated/approved").glob("*/*/*.png"))) == 2
    assert registry.tightenings(engine) == []

    # Both of that run's audits corrected (0 of 2: at most 65.8%), then an eval calibrates the
    # threshold again before anything was tightened: the audits before it no longer count.
    items = waiting(catalog, capsys, str(tmp_path / "recalibrated"))
    for creative, line in (("d0", "Encomende já"), ("d1", "Saboreie o verão")):
        assert main(["review", "approve", str(items[creative]), "--reviewer", "ana", "--edit", f"cta={line}",
                     "--db", catalog]) == 0
    calibrated(engine)
    fake_copy_model.lines[("pt-PT", "Iced and ready")] = Generation("Gelado e pronto", 0.9, 3)
    fresh = job_file(tmp_path, {"e0": "Iced and ready"}, "fresh")
    assert main(["run", str(fresh), "--db", catalog, "--run-date", RUN_DATE, "--out", str(tmp_path / "fresh")]) == 0
    assert (tmp_path / "fresh/approved/e0/summer-banner/pt-PT.png").is_file()
    assert registry.tightenings(engine) == []


def test_a_shadow_that_cannot_run_is_left_out_and_the_run_ships_as_usual(catalog, tmp_path, fake_copy_model):
    engine = engine_for(catalog)
    calibrated(engine)
    folder, candidate = an_adapter(tmp_path / "adapters" / "pt-PT")
    calibrated(engine, candidate, folder)
    fake_copy_model.lines[("pt-PT", "Two for {price}")] = Generation("Duas por {price}", 0.9, 3)
    registry.set_shadow(engine, "pt-PT", candidate, 1.0)
    (Path(folder) / "adapter_model.safetensors").write_bytes(b"other weights")  # changed since it was evaluated
    job = job_file(tmp_path, {"c0": "Two for {price}"})
    run = ["run", str(job), "--db", catalog, "--run-date", RUN_DATE, "--audit-share", "0"]
    assert main([*run, "--out", str(tmp_path / "out")]) == 0
    record = json.loads((tmp_path / "out/approved/c0/summer-banner/pt-PT.json").read_text())
    assert record["copy"]["cta"]["text"] == "Duas por {price}" and "shadow" not in record["copy"]["cta"]
    report = (tmp_path / "out/report.html").read_text()
    assert "pt-PT: the shadow candidate did not run: the shadow candidate is " + candidate in report
    assert f"but {folder} now holds {FAKE_MODEL_ID}+lora-pt-PT@" in report

    # A gate trained for another base model is no candidate for this one's lines.
    other = GateModel(base_model="another-model", features=("similarity",), mean=(0.5,), scale=(0.25,),
                      weights=(2.0,), intercept=0.0, thresholds={"pt-PT": 0.7}, target_precision=0.95,
                      encoder="use-m3").sealed()
    other.save(tmp_path / "gate.json")
    registry.record_gate(engine, "another-model", other.version, str(tmp_path / "gate.json"), {},
                         champion_if_first=False)
    registry.stop_shadow(engine, "pt-PT")
    registry.set_shadow(engine, "pt-PT", other.version, 1.0)
    assert main([*run, "--out", str(tmp_path / "gated")]) == 0
    record = json.loads((tmp_path / "gated/approved/c0/summer-banner/pt-PT.json").read_text())
    assert "shadow" not in record["copy"]["cta"]
    assert f"was trained for another-model, not {FAKE_MODEL_ID}" in (tmp_path / "gated/report.html").read_text()


def test_one_tightening_in_force_per_locale_version_and_gate(catalog_db):
    from datetime import datetime

    from sqlalchemy.exc import IntegrityError

    from adloc.assets_db.schema import TighteningRow

    engine = engine_for(catalog_db)
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():  # the database's rule
        for _ in range(2):
            session.add(TighteningRow(locale="pt-PT", copy_model=FAKE_MODEL_ID, gate="confidence", target_precision=0.95,
                                      audited=3, confirmed=1, high=0.79, set_at=datetime(2027, 3, 1)))
            session.flush()
    found = registry.Tightening("pt-PT", FAKE_MODEL_ID, "confidence", 0.95, 3, 1, 0.79)
    first, again = registry.tighten(engine, found), registry.tighten(engine, found)
    assert first.set_at == again.set_at and len(registry.tightenings(engine, in_force=False)) == 1
    calibrated(engine)  # cleared: a new one may be set
    assert registry.tighten(engine, found).cleared_at is None
    assert [t.cleared_at is None for t in registry.tightenings(engine, in_force=False)] == [False, True]


def test_a_run_started_before_a_recalibration_in_the_same_second_is_not_live_evidence_after_it(db, monkeypatch):
    from datetime import datetime
    from itertools import count

    from adloc.assets_db import lineage
    from adloc.assets_db.lineage import plan_run
    from adloc.assets_db.schema import JobRow

    class Clock(datetime):  # every time stored is 0.1 s after the one before, all in one second
        ticks = count(1)

        @classmethod
        def now(cls, tz=None):
            return datetime(2027, 3, 1, 12, 0, 0, 100_000 * next(cls.ticks), tzinfo=tz)

    engine = engine_for(db)
    monkeypatch.setattr(lineage, "datetime", Clock)
    job = {"job": "live", "brand": "Acme", "channel": "social", "run_date": RUN_DATE, "spec": {}, "run_token": "t1"}
    plan_run(engine, job, "/out", [])
    calibrated(engine)
    (version,) = registry.versions(engine, "pt-PT")
    with Session(engine) as session:
        started = session.scalar(select(JobRow.started_at))
    # Read back to the microsecond on either engine: the run is before the calibration, and the live
    # evidence (runs started after it, `live.audited_lines`) leaves it out.
    assert started < version.calibrated_at and started.second == version.calibrated_at.second
