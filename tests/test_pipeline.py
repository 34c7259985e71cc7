"""End to end: the real pipeline on Beam's local runner with the embedded copy model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import RUN_DATE, assert_same_tree, tree_hashes, write_job

from adloc.cli import main

SMALL_JOB = {
    "job": "e2e-small",
    "brand": "Acme Coffee",
    "channel": "social",
    "locales": ["de-DE", "ar-AE"],
    "keep_terms": ["Acme"],
    "creatives": [
        {
            "id": "morning-hero",
            "template": "morning-square",
            "talent": {"tags": ["barista"]},
            "copy": {"headline": "Start your morning with Acme coffee", "cta": "Two for {price}"},
            "values": {"price": 6.5},
        },
        {   # no talent tagged 'smiling' is licensed in DE on the run date: a dead letter there
            "id": "weekend-treat",
            "template": "summer-banner",
            "talent": {"tags": ["smiling"]},
            "copy": {"headline": "Start your morning with Acme coffee", "cta": "Order now for {price}"},
            "values": {"price": 4.99},
        },
    ],
}


def run_cli(job: Path, out: Path, db: str, *extra: str) -> int:
    return main(["run", str(job), "--out", str(out), "--db", db, "--run-date", RUN_DATE, *extra])


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One run of the small job, shared by the assertions below."""
    from conftest import EXAMPLES

    from adloc.assets_db.catalog import import_catalog
    from adloc.assets_db.engine import engine_for

    base = tmp_path_factory.mktemp("e2e")
    db = f"sqlite:///{base / 'assets.db'}"
    import_catalog(engine_for(db), EXAMPLES)
    job = write_job(base / "job.yaml", SMALL_JOB)
    out = base / "out"
    assert run_cli(job, out, db) == 0
    return base, job, db, out


def manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_every_item_is_accounted_for(small_run):
    _, _, _, out = small_run
    lines = manifest(out)
    keys = {(m["creative"], m["template"], m["locale"]): m for m in lines}
    assert len(lines) == 4 and len(keys) == 4
    dead = keys[("weekend-treat", "summer-banner", "de-DE")]
    assert dead["status"] == "dead_letter"
    assert dead["reason"] == f"no licensed talent tagged smiling for region DE, channel social, on {RUN_DATE}"
    for line in keys.values():
        if line["status"] == "dead_letter":
            continue
        assert line["status"] in ("approved", "review")
        image = Path(line["uri"])
        assert image.is_file() and image.parent.parent.parent.name == line["status"]
        assert line["talent"] in {"de-lena", "de-jonas", "ae-layla", "ae-omar"}
        assert line["models"] == {"copy": "SmolLM2-135M-Instruct-Q4_1", "inpainter": "blend-v1"}


def test_translation_memory_hits_skip_the_model_and_misses_use_it(small_run):
    _, _, _, out = small_run
    record = json.loads((next(out.glob("*/morning-hero/morning-square/de-DE.json"))).read_text())
    headline, cta = record["copy"]["headline"], record["copy"]["cta"]
    assert headline["path"] == "tm" and headline["text"] == "Starte deinen Morgen mit Acme Kaffee"
    assert headline["approved"] is True and headline["confidence"] is None
    # 'Two for {price}' is not in the memory: the model ran, and its confidence was recorded.
    assert cta["path"] in ("model", "tm_fuzzy", "source")
    assert 0.0 < cta["confidence"] <= 1.0
    assert cta["path"] == "model" or cta["candidate"] is not None
    names = {c["name"] for c in cta["checks"]}
    assert {"placeholders", "numbers", "keep_terms", "language", "length"} <= names


def test_gate_routes_unapproved_copy_to_review(small_run):
    _, _, _, out = small_run
    for path in out.glob("*/*/*/*.json"):
        record = json.loads(path.read_text())
        if record["status"] == "dead_letter":
            continue
        copy_ok = all(c["approved"] for c in record["copy"].values())
        if not copy_ok:
            assert record["status"] == "review", path
        for slot in record["copy"].values():
            if slot["path"] == "model":
                blocking = [c for c in slot["checks"] if not c["passed"] and c["severity"] != "cosmetic"]
                assert not blocking and slot["confidence"] >= 0.5


def test_images_keep_the_template_and_the_talent(small_run):
    _, _, _, out = small_run
    record = json.loads(next(out.glob("*/morning-hero/morning-square/ar-AE.json")).read_text())
    checks = {c["name"]: c for c in record["image"]["checks"]}
    assert checks["outside_unchanged"]["passed"] and checks["talent_faithful"]["passed"]
    assert record["image"]["path"] == "blend"
    layout = {c["name"]: c for c in record["layout"]}
    assert layout["direction:headline"]["detail"] == "laid out rtl"
    assert layout["glyphs:headline"]["passed"]


def test_report_is_self_contained_and_names_unused_talent(small_run):
    _, _, _, out = small_run
    html = (out / "report.html").read_text()
    assert "data:image/jpeg;base64," in html and "<script" not in html
    assert "de-mia-expired" in html and "consent expired 2025-12-31" in html
    assert "de-paul-revoked" in html and "rights revoked" in html
    used = {m["talent"] for m in manifest(out)}
    assert "de-mia-expired" not in used and "de-paul-revoked" not in used
    assert "no licensed talent tagged smiling for region DE" in html


def test_rerun_is_byte_identical(small_run):
    base, job, db, out = small_run
    first = tree_hashes(out)
    rerun = base / "rerun-copy"
    shutil.copytree(out, rerun)
    shutil.rmtree(out)
    assert run_cli(job, out, db) == 0
    assert_same_tree(out, first)
    shutil.rmtree(out)
    shutil.copytree(rerun, out)


def test_multi_process_runner_pickles_every_stage_and_gives_the_same_bytes(small_run):
    _, job, db, out = small_run
    first = tree_hashes(out)
    shutil.rmtree(out)
    args = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
    assert run_cli(job, out, db, *args) == 0
    assert_same_tree(out, first)


def test_invalid_job_exits_2_and_writes_nothing(tmp_path, catalog_db, capsys):
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"][0]["copy"]["headlin"] = spec["creatives"][0]["copy"].pop("headline")
    job = write_job(tmp_path / "bad.yaml", spec)
    out = tmp_path / "out"
    assert run_cli(job, out, catalog_db) == 2
    err = capsys.readouterr().err
    assert str(job) in err
    assert "creatives[0].copy.headlin: template 'morning-square' has no text slot 'headlin'" in err
    assert not out.exists()


def test_unreadable_talent_image_is_a_dead_letter_not_a_crash(tmp_path, catalog_db):
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.schema import TalentImageRow

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with Session(engine_for(catalog_db)) as session, session.begin():  # a store file damaged after import
        session.execute(update(TalentImageRow).where(TalentImageRow.talent_id.like("ae-%")).values(uri=str(broken)))
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"] = spec["creatives"][1:]  # TM hits only: no model needed
    spec["locales"] = ["ar-AE", "pt-PT"]
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "out"
    assert run_cli(job, out, catalog_db) == 0
    lines = {m["locale"]: m for m in manifest(out)}
    assert lines["ar-AE"]["status"] == "dead_letter"
    assert "cannot decode image" in lines["ar-AE"]["reason"] and str(broken) in lines["ar-AE"]["reason"]
    assert lines["pt-PT"]["status"] in ("approved", "review")


def test_rerun_with_a_changed_status_leaves_no_stale_files(tmp_path, catalog_db):
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"] = spec["creatives"][1:]  # translation-memory hits only
    spec["locales"] = ["pt-PT"]
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "out"
    assert run_cli(job, out, catalog_db) == 0
    assert list(out.glob("approved/*/*/pt-PT.png")) or list(out.glob("review/*/*/pt-PT.png"))
    # By 2031 every licence in the sample catalog has lapsed: the item becomes a dead letter.
    assert main(["run", str(job), "--out", str(out), "--db", catalog_db, "--run-date", "2031-01-01"]) == 0
    assert [p.relative_to(out).parts[0] for p in out.rglob("*/pt-PT.*")] == ["dead_letter"]
    assert manifest(out)[0]["status"] == "dead_letter"


def test_a_killed_run_reruns_to_the_same_complete_files(tmp_path, catalog_db):
    import os
    import signal
    import subprocess
    import sys
    import time

    spec = {"job": "killed", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT", "de-DE", "fr-FR"],
            "creatives": [{"id": f"c{i}", "template": ["summer-banner", "morning-square"],
                           "copy": {"cta": "Order now for {price}"}, "values": {"price": 2.5}} for i in range(6)]}
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "out"
    args = ["run", str(job), "--out", str(out), "--db", catalog_db, "--run-date", RUN_DATE]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "adloc.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None and len(list(out.glob("*/*/*/*.png"))) < 4:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.jsonl").exists()  # a manifest means finished; this run did not
    planted = next(out.glob("*/*/*/*.png")).with_suffix(".png.tmp-deadbeef")
    planted.write_bytes(b"half a picture")  # what a kill during a write leaves, whether or not this one did

    assert main(args) == 0
    clean = tmp_path / "clean"
    assert run_cli(job, clean, catalog_db) == 0
    assert not list(out.rglob("*.tmp-*"))
    assert len(manifest(out)) == 36
    # Every file complete, none twice, the same bytes as a clean run (records name their own folder).
    files = sorted(str(p.relative_to(clean)) for p in clean.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    for name in files:
        want = (clean / name).read_bytes()
        if name.endswith((".json", ".jsonl", ".html")):
            want = want.replace(str(clean).encode(), str(out).encode())
        assert (out / name).read_bytes() == want, name


def test_a_path_in_an_id_never_reaches_the_output(tmp_path, catalog_db, capsys):
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"][0]["id"] = "../../etc"
    spec["job"] = "../escape"
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "deep" / "out"
    assert run_cli(job, out, catalog_db) == 2
    err = capsys.readouterr().err
    assert "creatives[0].id:" in err and "job:" in err
    assert not (tmp_path / "deep").exists() and not (tmp_path / "etc").exists()


def test_counters_and_progress_agree_with_the_records(tmp_path, catalog_db, capsys):
    from adloc.jobspec import parse_job
    from adloc.pipelines import job as job_pipeline
    from adloc.pipelines.write import all_checks

    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"] = spec["creatives"][1:]  # translation-memory hits and one dead letter: no model time
    out = tmp_path / "out"
    settings = job_pipeline.RunSettings(db_url=catalog_db, out=str(out), run_date=RUN_DATE, progress=True)
    items, counts = job_pipeline.run(parse_job(spec), "job", settings)
    records = [json.loads(p.read_text()) for p in out.glob("*/*/*/*.json")]
    assert len(items) == len(records) == 2
    checks = [c for r in records for c in all_checks(r)]
    assert counts["checks_passed"] == sum(c["passed"] for c in checks)
    assert counts["checks_failed"] == sum(not c["passed"] for c in checks)
    assert counts["items_dead_letter"] == sum(r["status"] == "dead_letter" for r in records) == 1
    assert counts.get("items_approved", 0) + counts.get("items_review", 0) == 1
    progress = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert progress.startswith("2/2 items") and "1 dead letter" in progress


def test_a_rerun_of_a_finished_job_remakes_and_rewrites_nothing(tmp_path, catalog_db, model_calls):
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["locales"] = ["pt-PT"]
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "out"
    assert run_cli(job, out, catalog_db) == 0
    assert model_calls  # 'Two for {price}' is not in the memory: the model made it
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    hashes = tree_hashes(out)

    model_calls.clear()
    assert run_cli(job, out, catalog_db) == 0
    assert model_calls == []  # nothing made again
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps  # nothing rewritten
    assert tree_hashes(out) == hashes

    assert run_cli(job, out, catalog_db, "--threshold", "0.6") == 0  # the gate changed: made again
    assert model_calls

    # The locale's memory changed (a reviewer's line): that locale's items are made again, from it.
    from sqlalchemy.orm import Session

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.schema import TMRow
    from adloc.translation_memory import tm_key

    with Session(engine_for(catalog_db)) as session, session.begin():
        session.add(TMRow(locale="pt-PT", source="Two for {price}", source_key=tm_key("Two for {price}"),
                          target="Dois por {price}", origin="review"))
    model_calls.clear()
    assert run_cli(job, out, catalog_db, "--threshold", "0.6") == 0
    assert model_calls == []  # the line now comes from the memory
    record = json.loads(next(out.glob("*/morning-hero/morning-square/pt-PT.json")).read_text())
    assert record["copy"]["cta"]["path"] == "tm" and record["copy"]["cta"]["text"] == "Dois por {price}"


def test_each_model_is_loaded_once_and_the_copy_lines_go_in_one_call(tmp_path, catalog_db, model_calls):
    """The run's counters count model loads (RunInference's metrics): one per worker process. The
    copy handler gets its rows in one call, grouped there into batches by shape."""
    from adloc.jobspec import parse_job
    from adloc.pipelines import job as job_pipeline

    spec = json.loads(json.dumps(SMALL_JOB))
    spec["locales"] = ["pt-PT", "fr-FR", "es-MX"]
    spec["creatives"][0]["copy"] = {"headline": "Fresh pastries every morning", "cta": "Two for {price}"}
    settings = job_pipeline.RunSettings(db_url=catalog_db, out=str(tmp_path / "out"), run_date=RUN_DATE)
    items, counts = job_pipeline.run(parse_job(spec), "job", settings)
    assert len(items) == 6 and len(model_calls) >= 4  # lines the memory lacks went to the model
    assert counts["copy_model_loads"] == 1 and counts["inpainter_loads"] == 1
    assert counts["copy_model_batches"] == 1 and counts["copy_model_ms"] > 0


@pytest.mark.parametrize("args,expected", [
    ([], None),  # in this process: torch's default
    (["--direct_running_mode=multi_processing", "--direct_num_workers=2"], "half"),
    (["--direct_running_mode=multi_processing", "--direct_num_workers=64"], 1),
    (["--runner=DataflowRunner", "--direct_running_mode=multi_processing"], None),  # another machine's cores
])
def test_local_worker_processes_share_the_cores(args, expected):
    import os

    from apache_beam.options.pipeline_options import PipelineOptions

    from adloc.pipelines.job import worker_threads

    want = max(1, (os.cpu_count() or 1) // 2) if expected == "half" else expected
    assert worker_threads(PipelineOptions(args)) == want
