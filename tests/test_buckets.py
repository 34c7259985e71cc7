"""Outputs to a bucket: the same code path as a local folder, through Beam's FileSystems, here
against a local S3-compatible endpoint (moto's server on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time

import pytest
from conftest import RUN_DATE, write_job

from adloc.cli import main

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


def test_a_job_writes_its_outputs_to_an_s3_bucket(s3_endpoint, catalog_db, tmp_path, capsys, fake_copy_model):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                      region_name="us-east-1")
    s3.create_bucket(Bucket="ads")
    spec = {"job": "to-s3", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT", "de-DE"],
            "creatives": [{"id": "c", "template": "summer-banner", "copy": {"cta": "Order now for {price}"},
                           "values": {"price": 2.5}},
                          {"id": "treat", "template": "summer-banner", "talent": {"tags": ["smiling"]},
                           "copy": {"cta": "Order now for {price}"}, "values": {"price": 2.5}}]}
    job = write_job(tmp_path / "job.yaml", spec)
    s3_options = [f"--s3_endpoint_url={s3_endpoint}", "--s3_access_key_id=test", "--s3_secret_access_key=test",
                  "--s3_region_name=us-east-1"]
    assert main(["run", str(job), "--out", "s3://ads/jobs/to-s3", "--db", catalog_db, "--run-date", RUN_DATE,
                 *s3_options]) == 0
    assert "report: s3://ads/jobs/to-s3/report.html" in capsys.readouterr().out
    assert fake_copy_model.asked == []  # memory lines only: the fake stands in for a model load

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="ads", Prefix="jobs/to-s3/")["Contents"]}
    assert {"jobs/to-s3/manifest.jsonl", "jobs/to-s3/report.html"} <= keys
    assert not [k for k in keys if ".tmp-" in k]  # every object complete; no temporary left
    lines = [json.loads(x) for x in s3.get_object(Bucket="ads", Key="jobs/to-s3/manifest.jsonl")["Body"]
             .read().decode().splitlines()]
    assert len(lines) == 4
    statuses = {(line["creative"], line["locale"]): line["status"] for line in lines}
    assert statuses[("treat", "de-DE")] == "dead_letter"  # no smiling talent licensed in DE
    for line in lines:
        key = line["uri"].removeprefix("s3://ads/")
        assert key in keys
        body = s3.get_object(Bucket="ads", Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == line["sha256"]
    report = s3.get_object(Bucket="ads", Key="jobs/to-s3/report.html")["Body"].read().decode()
    assert "data:image/jpeg;base64," in report  # self-contained: opens from the bucket with no server
