"""End to end: the real pipeline on Beam's local runner. The tests marked slow run it with the
embedded copy model; the others with the fake copy model (`fake_copy_model`), whose lines are known."""

from __future__ import annotations

import json
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import RUN_DATE, assert_same_tree, tree_hashes, write_job

from adloc.cli import main
from adloc.models.embedded import SMALL

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
    """One run of the small job with the embedded model, shared by the assertions below: read it,
    never change it (a test that reruns the job into its folder uses `rerun_in_place`)."""
    from conftest import EXAMPLES

    from adloc.assets_db.catalog import import_catalog
    from adloc.assets_db.engine import engine_for

    base = tmp_path_factory.mktemp("e2e")
    db = f"sqlite:///{base / 'assets.db'}"
    import_catalog(engine_for(db), EXAMPLES)
    job = write_job(base / "job.yaml", SMALL_JOB)
    out = base / "out"
    assert run_cli(job, out, db, "--copy-model", SMALL) == 0
    return base, job, db, out


def manifest(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


@contextmanager
def rerun_in_place(out: Path):
    """The shared run's folder moved aside for a rerun into the same path (records name their
    folder, and the manifest hashes the records), and put back afterwards whether the rerun passed or
    not: the next test sees the fixture as it was made."""
    kept = out.with_name(f"{out.name}-kept")
    out.rename(kept)
    try:
        yield
    finally:
        shutil.rmtree(out, ignore_errors=True)
        kept.rename(out)


# The small job's items with their talent: the morning-hero cta ('Two for {price}') is the only
# line the memory lacks, so those two items' statuses are the model's; weekend-treat's ar-AE item
# is memory hits only.
LIVE = {("morning-hero", "morning-square", "de-DE"): "de-jonas", ("morning-hero", "morning-square", "ar-AE"): "ae-layla",
        ("weekend-treat", "summer-banner", "ar-AE"): "ae-omar"}


def record_of(line: dict) -> dict:
    return json.loads(Path(line["uri"]).with_suffix(".json").read_text())


@pytest.mark.slow
def test_every_item_is_accounted_for(small_run):
    _, _, _, out = small_run
    lines = manifest(out)
    keys = {(m["creative"], m["template"], m["locale"]): m for m in lines}
    assert len(lines) == 4 and set(keys) == {*LIVE, ("weekend-treat", "summer-banner", "de-DE")}
    dead = keys[("weekend-treat", "summer-banner", "de-DE")]
    assert dead["status"] == "dead_letter"
    assert dead["reason"] == f"no licensed talent tagged smiling for region DE, channel social, on {RUN_DATE}"
    assert keys[("weekend-treat", "summer-banner", "ar-AE")]["status"] == "approved"  # memory lines only
    for key, talent in LIVE.items():
        line = keys[key]
        # The blend's image passes its checks: the status is the copy's.
        copy_ok = all(slot["approved"] for slot in record_of(line)["copy"].values())
        assert line["status"] == ("approved" if copy_ok else "review"), key
        image = Path(line["uri"])
        assert image.is_file() and image.parent.parent.parent.name == line["status"]
        assert line["talent"] == talent
        assert line["models"] == {"copy": "SmolLM2-135M-Instruct-Q4_1", "inpainter": "blend-v1"}


@pytest.mark.slow
def test_translation_memory_hits_skip_the_model_and_misses_use_it(small_run):
    _, _, _, out = small_run
    record = json.loads((next(out.glob("*/morning-hero/morning-square/de-DE.json"))).read_text())
    headline, cta = record["copy"]["headline"], record["copy"]["cta"]
    assert headline["path"] == "tm" and headline["text"] == "Starte deinen Morgen mit Acme Kaffee"
    assert headline["approved"] is True and headline["confidence"] is None
    # 'Two for {price}' is not in the memory: the model ran, and its confidence was recorded.
    assert 0.0 < cta["confidence"] <= 1.0
    # No memory line is close enough to be the fallback: the model's line ships, or the source line
    # waits for a translator with the model's line kept as the candidate. Nothing else.
    outcome = (cta["path"], cta["approved"], cta["candidate"] is None, cta["text"] == "Two for {price}")
    assert outcome in {("model", True, True, False), ("source", False, False, True)}, cta
    names = {c["name"] for c in cta["checks"]}
    assert {"placeholders", "numbers", "keep_terms", "language", "length"} <= names


@pytest.mark.slow
def test_gate_routes_unapproved_copy_to_review(small_run):
    _, _, _, out = small_run
    records = [record_of(line) for line in manifest(out) if line["status"] != "dead_letter"]
    assert len(records) == len(LIVE)
    for record in records:
        for slot in record["copy"].values():
            blocking = [c for c in slot["checks"] if not c["passed"] and c["severity"] != "cosmetic"]
            # Approved means no blocking failure and a memory line or a model line over the threshold.
            confident = slot["path"] == "model" and slot["confidence"] >= 0.5
            assert slot["approved"] == (not blocking and (slot["path"] == "tm" or confident)), slot
        copy_ok = all(slot["approved"] for slot in record["copy"].values())
        assert record["status"] == ("approved" if copy_ok and record["image"]["approved"] else "review")


@pytest.mark.slow
def test_images_keep_the_template_and_the_talent(small_run):
    _, _, _, out = small_run
    record = json.loads(next(out.glob("*/morning-hero/morning-square/ar-AE.json")).read_text())
    checks = {c["name"]: c for c in record["image"]["checks"]}
    assert checks["outside_unchanged"]["passed"] and checks["talent_faithful"]["passed"]
    assert record["image"]["path"] == "blend"
    layout = {c["name"]: c for c in record["layout"]}
    assert layout["direction:headline"]["detail"] == "laid out rtl"
    assert layout["glyphs:headline"]["passed"]


@pytest.mark.slow
def test_report_is_self_contained_and_names_unused_talent(small_run):
    _, _, _, out = small_run
    html = (out / "report.html").read_text()
    assert "data:image/jpeg;base64," in html and "<script" not in html
    assert "de-mia-expired" in html and "consent expired 2025-12-31" in html
    assert "de-paul-revoked" in html and "rights revoked" in html
    used = {m["talent"] for m in manifest(out)}
    assert "de-mia-expired" not in used and "de-paul-revoked" not in used
    assert "no licensed talent tagged smiling for region DE" in html


@pytest.mark.slow
def test_rerun_is_byte_identical(small_run):
    _, job, db, out = small_run
    first = tree_hashes(out)
    with rerun_in_place(out):
        assert run_cli(job, out, db, "--copy-model", SMALL) == 0
        assert_same_tree(out, first)


@pytest.mark.slow
def test_multi_process_runner_pickles_every_stage_and_gives_the_same_bytes(small_run):
    _, job, db, out = small_run
    first = tree_hashes(out)
    with rerun_in_place(out):
        args = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
        assert run_cli(job, out, db, "--copy-model", SMALL, *args) == 0
        assert_same_tree(out, first)


@pytest.mark.slow
def test_dask_cluster_of_two_worker_processes_gives_the_same_bytes(small_run, capsys):
    pytest.importorskip("distributed", reason="the dask extra: pip install '.[dask]'")
    from dask.distributed import LocalCluster

    _, job, db, out = small_run
    first = tree_hashes(out)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            rerun_in_place(out):
        capsys.readouterr()
        assert run_cli(job, out, db, "--copy-model", SMALL, "--dask", cluster.scheduler_address) == 0
        printed = capsys.readouterr().out
        assert_same_tree(out, first)
    workers = dict(re.findall(r"(tcp://[\d.:]+) (\d+)", printed.split("per worker process:")[1].splitlines()[0]))
    assert len(workers) == 2 and all(int(n) > 0 for n in workers.values()), printed  # both did items
    assert sum(int(n) for n in workers.values()) == len(manifest(out)) == 4
    loads = int(re.search(r"copy LLM loaded (\d+)x", printed).group(1))
    assert 1 <= loads <= 2, printed  # once per worker process that made copy, not per partition


def test_invalid_job_exits_2_and_writes_nothing(tmp_path, catalog_db, capsys, fake_copy_model):
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"][0]["copy"]["headlin"] = spec["creatives"][0]["copy"].pop("headline")
    job = write_job(tmp_path / "bad.yaml", spec)
    out = tmp_path / "out"
    assert run_cli(job, out, catalog_db) == 2
    err = capsys.readouterr().err
    assert str(job) in err
    assert "creatives[0].copy.headlin: template 'morning-square' has no text slot 'headlin'" in err
    assert not out.exists()


def test_unreadable_talent_image_is_a_dead_letter_not_a_crash(tmp_path, catalog_db, fake_copy_model):
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
    assert fake_copy_model.asked == []
    lines = {m["locale"]: m for m in manifest(out)}
    assert lines["ar-AE"]["status"] == "dead_letter"
    assert "cannot decode image" in lines["ar-AE"]["reason"] and str(broken) in lines["ar-AE"]["reason"]
    assert (lines["pt-PT"]["status"], lines["pt-PT"]["talent"]) == ("approved", "pt-joao")  # the job goes on
    assert sorted(str(p.relative_to(out)) for p in out.glob("*/*/*/*")) == [
        "approved/weekend-treat/summer-banner/pt-PT.json", "approved/weekend-treat/summer-banner/pt-PT.png",
        "dead_letter/weekend-treat/summer-banner/ar-AE.json",
        "pictures/weekend-treat/summer-banner/pt-PT.png"]  # the picture before text, for a later approval


def test_a_talent_photo_with_its_own_background_is_not_approved(tmp_path, catalog_db, fake_copy_model):
    """A portrait photographed in front of a backdrop, stored without a matte: pasted whole it is a
    box of the studio in the ad. The image check fails it and the item waits for review."""
    import numpy as np
    from PIL import Image, ImageDraw
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.schema import TalentImageRow

    photo = Image.new("RGB", (600, 800), (70, 90, 140))  # the studio backdrop
    ImageDraw.Draw(photo).ellipse((180, 120, 420, 420), fill=(224, 172, 138))  # a face
    photo_path = tmp_path / "portrait.png"
    photo.save(photo_path)
    with Session(engine_for(catalog_db)) as session, session.begin():
        session.execute(update(TalentImageRow).where(TalentImageRow.talent_id.like("pt-%")).values(uri=str(photo_path)))
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"] = spec["creatives"][1:]  # translation-memory hits only: the copy is approved
    spec["locales"] = ["pt-PT"]
    out = tmp_path / "out"
    assert run_cli(write_job(tmp_path / "job.yaml", spec), out, catalog_db) == 0
    [line] = manifest(out)
    assert line["status"] == "review"
    record = record_of(line)
    checks = {c["name"]: c for c in record["image"]["checks"]}
    assert not checks["talent_cutout"]["passed"] and "carries its own background" in checks["talent_cutout"]["detail"]
    assert all(slot["approved"] for slot in record["copy"].values())  # only the image holds it back
    assert np.asarray(Image.open(line["uri"])).shape[:2] == (628, 1200)


def test_rerun_with_a_changed_status_leaves_no_stale_files(tmp_path, catalog_db, fake_copy_model):
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"] = spec["creatives"][1:]  # translation-memory hits only
    spec["locales"] = ["pt-PT"]
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "out"
    assert run_cli(job, out, catalog_db) == 0
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*/pt-PT.*")) == [
        "approved/weekend-treat/summer-banner/pt-PT.json", "approved/weekend-treat/summer-banner/pt-PT.png",
        "pictures/weekend-treat/summer-banner/pt-PT.png"]
    # By 2031 every licence in the sample catalog has lapsed: the item becomes a dead letter.
    assert main(["run", str(job), "--out", str(out), "--db", catalog_db, "--run-date", "2031-01-01"]) == 0
    assert [str(p.relative_to(out)) for p in out.rglob("*/pt-PT.*")] == [
        "dead_letter/weekend-treat/summer-banner/pt-PT.json"]
    assert [(m["status"], m["reason"]) for m in manifest(out)] == [
        ("dead_letter", "no licensed talent tagged smiling for region PT, channel social, on 2031-01-01")]


@pytest.mark.slow
def test_a_killed_run_reruns_to_the_same_complete_files(tmp_path, catalog_db):
    """In a subprocess, so with the embedded model (the fake lives in this process only)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    spec = {"job": "killed", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT", "de-DE", "fr-FR"],
            "creatives": [{"id": f"c{i}", "template": ["summer-banner", "morning-square"],
                           "copy": {"cta": "Order now for {price}"}, "values": {"price": 2.5}} for i in range(3)]}
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "out"
    args = ["run", str(job), "--out", str(out), "--db", catalog_db, "--run-date", RUN_DATE, "--copy-model", SMALL]
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
    assert run_cli(job, clean, catalog_db, "--copy-model", SMALL) == 0
    assert not list(out.rglob("*.tmp-*"))
    assert len(manifest(out)) == 18
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


def test_counters_and_progress_agree_with_the_records(tmp_path, catalog_db, capsys, fake_copy_model):
    from adloc.jobspec import parse_job
    from adloc.pipelines import job as job_pipeline
    from adloc.records import ItemRecord

    spec = json.loads(json.dumps(SMALL_JOB))
    spec["creatives"] = spec["creatives"][1:]  # translation-memory hits and one dead letter: no model time
    out = tmp_path / "out"
    settings = job_pipeline.RunSettings(db_url=catalog_db, out=str(out), run_date=RUN_DATE, progress=True)
    finished = job_pipeline.run(parse_job(spec), "job", settings)
    items, counts = finished.items, finished.counts
    records = [json.loads(p.read_text()) for p in out.glob("*/*/*/*.json")]
    assert len(items) == len(records) == 2
    checks = [c for p in out.glob("*/*/*/*.json") for c in ItemRecord.from_json(p.read_bytes()).checks()]
    assert counts["checks_passed"] == sum(c.passed for c in checks)
    assert counts["checks_failed"] == sum(not c.passed for c in checks)
    assert counts["items_dead_letter"] == sum(r["status"] == "dead_letter" for r in records) == 1
    assert counts["items_approved"] == sum(r["status"] == "approved" for r in records) == 1  # ar-AE: memory lines
    assert counts.get("items_review", 0) == 0 and counts.get("copy_lines_fallback", 0) == 0
    progress = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert progress.startswith("2/2 items") and "1 dead letter" in progress


def test_a_rerun_of_a_finished_job_remakes_and_rewrites_nothing(tmp_path, catalog_db, fake_copy_model):
    from adloc.records import Generation

    fake_copy_model.lines[("pt-PT", "Two for {price}")] = Generation("Duas por {price}", 0.55, 3)
    spec = json.loads(json.dumps(SMALL_JOB))
    spec["locales"] = ["pt-PT"]
    job = write_job(tmp_path / "job.yaml", spec)
    out = tmp_path / "out"
    assert run_cli(job, out, catalog_db, "--threshold", "0.5") == 0
    assert fake_copy_model.asked == ["pt-PT:Two for {price}"]  # not in the memory: the model made it
    hero = out / "approved" / "morning-hero" / "morning-square" / "pt-PT.json"
    assert json.loads(hero.read_text())["copy"]["cta"]["text"] == "Duas por {price}"  # 0.55: over 0.5
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    hashes = tree_hashes(out)

    assert run_cli(job, out, catalog_db, "--threshold", "0.5") == 0
    assert fake_copy_model.asked == ["pt-PT:Two for {price}"]  # nothing made again
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps  # nothing rewritten
    assert tree_hashes(out) == hashes

    assert run_cli(job, out, catalog_db, "--threshold", "0.6") == 0  # the gate changed: made again
    assert fake_copy_model.asked == ["pt-PT:Two for {price}"] * 2
    assert not hero.exists()  # 0.55 is under the new threshold: the item moved to review
    assert json.loads((out / "review" / "morning-hero" / "morning-square" / "pt-PT.json").read_text()
                      )["copy"]["cta"]["reason"].startswith("model output confidence 0.55 below the pt-PT threshold 0.60")

    # The locale's memory changed (a reviewer's line): that locale's items are made again, from it.
    from sqlalchemy.orm import Session

    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.schema import TMRow
    from adloc.translation_memory import tm_key

    with Session(engine_for(catalog_db)) as session, session.begin():
        session.add(TMRow(locale="pt-PT", source="Two for {price}", source_key=tm_key("Two for {price}"),
                          target="Dois por {price}", origin="review"))
    assert run_cli(job, out, catalog_db, "--threshold", "0.6") == 0
    assert fake_copy_model.asked == ["pt-PT:Two for {price}"] * 2  # the line now comes from the memory
    record = json.loads(next(out.glob("*/morning-hero/morning-square/pt-PT.json")).read_text())
    assert record["copy"]["cta"]["path"] == "tm" and record["copy"]["cta"]["text"] == "Dois por {price}"


@pytest.mark.slow
def test_each_model_is_loaded_once_and_the_copy_lines_go_in_one_call(tmp_path, catalog_db, model_calls):
    """The run's counters count model loads (RunInference's metrics): one per worker process. The
    copy handler gets its rows in one call, grouped there into batches by shape."""
    from adloc.jobspec import parse_job
    from adloc.pipelines import job as job_pipeline

    spec = json.loads(json.dumps(SMALL_JOB))
    spec["locales"] = ["pt-PT", "fr-FR", "es-MX"]
    spec["creatives"][0]["copy"] = {"headline": "Fresh pastries every morning", "cta": "Two for {price}"}
    settings = job_pipeline.RunSettings(db_url=catalog_db, out=str(tmp_path / "out"), run_date=RUN_DATE,
                                        copy_model=SMALL)
    finished = job_pipeline.run(parse_job(spec), "job", settings)
    items, counts = finished.items, finished.counts
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

    from adloc.pipelines.runner import worker_threads

    want = max(1, (os.cpu_count() or 1) // 2) if expected == "half" else expected
    assert worker_threads(PipelineOptions(args)) == want
