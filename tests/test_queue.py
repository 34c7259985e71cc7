"""Submissions: `adloc submit` queues a validated job, `adloc worker` runs queued jobs one at a
time and survives one that fails, `adloc status` reports; on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from conftest import RUN_DATE, write_job

from adloc.assets_db import queue
from adloc.assets_db.engine import engine_for
from adloc.cli import main

JOB = {"job": "queued", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT"],
       "creatives": [{"id": "c", "template": "summer-banner", "copy": {"cta": "Order now for {price}"},
                      "values": {"price": 2.5}}]}


def submit(tmp_path, db: str, out, spec: dict = JOB, capsys=None) -> int:
    job = write_job(tmp_path / f"{spec['job']}.yaml", spec)
    assert main(["submit", str(job), "--out", str(out), "--db", db, "--run-date", RUN_DATE]) == 0
    return int(capsys.readouterr().out.strip().splitlines()[-1])


def state(db: str, job_id: int, capsys) -> dict:
    assert main(["status", str(job_id), "--db", db, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_submit_worker_status(catalog, tmp_path, capsys, fake_copy_model):
    out = tmp_path / "out"
    first = submit(tmp_path, catalog, out, capsys=capsys)
    assert state(catalog, first, capsys)["status"] == "queued"
    assert not out.exists()  # nothing runs until a worker takes it
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    broken = submit(tmp_path, catalog, blocker / "out", {**JOB, "job": "unwritable"}, capsys)
    third = submit(tmp_path, catalog, tmp_path / "out3", {**JOB, "job": "after-the-failure"}, capsys)

    assert main(["worker", "--once", "--db", catalog]) == 0
    said = capsys.readouterr()
    assert "queue empty: ran 3 jobs" in said.out and f"job {broken}: failed" in said.err

    done = state(catalog, first, capsys)
    # 'Order now for {price}' is a memory line: the item is approved without the (fake) model.
    assert (done["status"], done["items"], done["approved"], done["review"]) == ("done", 1, 1, 0)
    assert fake_copy_model.asked == []
    assert done["started_at"] and done["finished_at"] and done["error"] == ""
    assert (out / "manifest.jsonl").is_file() and (out / "report.html").is_file()
    failed = state(catalog, broken, capsys)
    assert failed["status"] == "failed" and failed["error"]
    assert state(catalog, third, capsys)["status"] == "done"  # the worker went on after the failure


def test_a_job_is_claimed_once(catalog, tmp_path, capsys, fake_copy_model):
    submit(tmp_path, catalog, tmp_path / "out", capsys=capsys)
    engine = engine_for(catalog)
    first, second = queue.claim(engine), queue.claim(engine)
    assert first is not None and first["spec"]["job"] == "queued" and second is None


def test_an_invalid_submission_queues_nothing(catalog, tmp_path, capsys):
    bad = write_job(tmp_path / "bad.yaml", {**JOB, "creatives": [{**JOB["creatives"][0], "template": "nope"}]})
    assert main(["submit", str(bad), "--out", str(tmp_path / "o"), "--db", catalog]) == 2
    assert "creatives[0].template: template 'nope' is not in the asset database" in capsys.readouterr().err
    missing_model = write_job(tmp_path / "ok.yaml", JOB)
    assert main(["submit", str(missing_model), "--out", str(tmp_path / "o"), "--db", catalog,
                 "--copy-model", str(tmp_path / "no-model")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert queue.claim(engine_for(catalog)) is None
    assert main(["status", "12345", "--db", catalog]) == 2
    assert "no job '12345'" in capsys.readouterr().err
