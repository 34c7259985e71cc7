"""Runner presets: Dataflow options assembled from a few flags, and the checks that must hold
before a job leaves this machine."""

from __future__ import annotations

import pytest
from conftest import write_job

from adloc.cli import main
from adloc.cli.presets import dataflow_options
from adloc.errors import AdlocError
from adloc.pipelines.runner import check_remote


def test_dataflow_options_with_an_image_and_a_gpu():
    args = dataflow_options("acme-ads", "europe-west1", "gs://acme/tmp", worker_image="eu.gcr.io/acme/adloc:1",
                            gpu="nvidia-l4:1", machine_type="g2-standard-8", max_workers=4)
    assert args[:4] == ["--runner=DataflowRunner", "--project=acme-ads", "--region=europe-west1",
                        "--temp_location=gs://acme/tmp"]
    assert "--sdk_container_image=eu.gcr.io/acme/adloc:1" in args
    assert ("--dataflow_service_options=worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"
            in args)
    assert "--machine_type=g2-standard-8" in args and "--max_num_workers=4" in args
    from apache_beam.options.pipeline_options import (
        GoogleCloudOptions,
        PipelineOptions,
        StandardOptions,
    )

    options = PipelineOptions(args)  # Beam itself reads them back
    assert options.view_as(StandardOptions).runner == "DataflowRunner"
    assert options.view_as(GoogleCloudOptions).project == "acme-ads"
    assert options.view_as(GoogleCloudOptions).temp_location == "gs://acme/tmp"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"temp_location": "/tmp/x"}, "must be a gs:// bucket path"),
    ({"worker_image": "img", "setup_file": "setup.py"}, "give one"),
    ({"gpu": "nvidia-l4:many"}, "is not TYPE:COUNT"),
])
def test_dataflow_options_refuse_what_cannot_work(kwargs, message):
    base = {"project": "p", "region": "r", "temp_location": "gs://b/t"}
    with pytest.raises(AdlocError, match=message):
        dataflow_options(**{**base, **kwargs})


def test_remote_workers_need_a_network_database_and_a_bucket():
    dataflow = ["--runner=DataflowRunner"]
    check_remote([], "sqlite:///a.db", "/tmp/out")  # local runs take anything
    check_remote(["--runner=FnApiRunner"], "sqlite:///a.db", "/tmp/out")
    check_remote(dataflow, "postgresql+psycopg2://u@10.0.0.5/assets", "gs://b/out")
    with pytest.raises(AdlocError, match="cannot reach the SQLite file"):
        check_remote(dataflow, "sqlite:///a.db", "gs://b/out")
    with pytest.raises(AdlocError, match="use gs://bucket/path"):
        check_remote(dataflow, "postgresql://u@h/db", "/tmp/out")
    with pytest.raises(AdlocError, match="cannot write to the local folder"):
        check_remote(["--runner=FlinkRunner"], "postgresql://u@h/db", "/tmp/out")
    check_remote(["--runner=FlinkRunner"], "postgresql://u@h/db", "s3://b/out")


def test_run_on_dataflow_with_a_sqlite_database_is_refused_before_anything_runs(tmp_path, capsys):
    job = write_job(tmp_path / "job.yaml", {"job": "j", "brand": "b", "channel": "social", "locales": ["de-DE"],
                                            "creatives": [{"id": "c", "template": "t", "copy": {"x": "y"}}]})
    code = main(["run", str(job), "--out", "gs://acme/out", "--db", f"sqlite:///{tmp_path}/a.db",
                 "--dataflow", "acme-ads", "--region", "europe-west1", "--temp-location", "gs://acme/tmp"])
    assert code == 2
    assert "DataflowRunner workers cannot reach the SQLite file" in capsys.readouterr().err
    assert not (tmp_path / "a.db").exists()  # refused before the database was even opened
    assert main(["run", str(job), "--out", "gs://acme/out", "--db", "postgresql://u@h/db", "--dataflow", "p"]) == 2
    assert "Dataflow: a region and a temp location" in capsys.readouterr().err
