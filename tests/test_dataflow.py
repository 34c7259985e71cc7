"""The Dataflow job for the sample job, built offline and not submitted (Beam's dry run): its stages,
its RunInference steps and their batching, the worker image and GPU options the preset sets, and no
local path or SQLite URL anywhere in what the workers would get."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES, RUN_DATE, pg_schema_url
from fakes import OvalMatter
from sqlalchemy import update
from sqlalchemy.orm import Session

from adloc.assets_db.catalog import import_catalog
from adloc.assets_db.engine import engine_for
from adloc.assets_db.schema import TalentImageRow, TemplateRow
from adloc.cli import main
from adloc.models.embedded import SMALL

pytest.importorskip("google.auth", reason="the Dataflow runner needs apache-beam[gcp] (the test extra has it)")

IMAGE = "europe-docker.pkg.dev/acme-ads/adloc/worker:0.1"
DATAFLOW = ["--dataflow", "acme-ads", "--region", "europe-west1", "--temp-location", "gs://acme-ads/tmp",
            "--worker-image", IMAGE, "--gpu", "nvidia-l4:1", "--machine-type", "g2-standard-8", "--no_auth"]


@pytest.fixture
def bucket_catalog(asset_store):
    """The sample catalog in PostgreSQL, its images as if imported with --store gs://acme-ads/assets
    (the URIs rewritten: this machine reaches no bucket) -> (url, the local store)."""
    url, drop = pg_schema_url()
    engine = engine_for(url)
    import_catalog(engine, EXAMPLES, matter=OvalMatter())
    local = str(asset_store)
    yield url, local
    drop()


def _to_bucket(url: str, local: str) -> None:
    from sqlalchemy import func

    with Session(engine_for(url)) as session, session.begin():
        for column in (TemplateRow.image_uri, TalentImageRow.uri, TalentImageRow.matte_uri):
            session.execute(update(column.class_).where(column.startswith(local))
                            .values({column.key: func.replace(column, local, "gs://acme-ads/assets")}))


def test_the_sample_jobs_dataflow_graph_is_built_offline(bucket_catalog, tmp_path, capsys):
    url, local = bucket_catalog
    job = str(EXAMPLES / "jobs" / "spring-coffee.yaml")
    run = ["run", job, "--db", url, "--out", "gs://acme-ads/jobs/spring", "--run-date", RUN_DATE, "--dry-run",
           "--copy-model", SMALL]  # what make test fetches (building the graph reads the model's files)

    # A catalog whose images are files on this machine cannot go to workers elsewhere.
    assert main([*run, *DATAFLOW]) == 2
    assert "is a file on this machine the workers cannot read" in capsys.readouterr().err

    _to_bucket(url, local)
    assert main([*run, *DATAFLOW, "--json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert graph["stages"] == ["Lookup", "WorkItems", "ChooseTalent", "PlanRun", "Reuse", "LocalizeCopy", "Inpaint",
                               "Write", "Report"]
    steps = {s["name"]: s for s in graph["inference"]}
    assert set(steps) == {"LocalizeCopy/RewriteCopy", "Inpaint/RunInpainter"}  # the two models, batched
    copy, inpaint = steps["LocalizeCopy/RewriteCopy"], steps["Inpaint/RunInpainter"]
    assert copy["min_batch"] == copy["max_batch"] > 1  # fixed calls, grouped into batches by shape inside
    assert inpaint["min_batch"] == 1 and inpaint["max_batch"] >= 4
    assert graph["images"] == [IMAGE]
    assert graph["service_options"] == ["worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"]
    assert "no_use_multiple_sdk_containers" in graph["experiments"]  # one SDK process per GPU worker


def test_nothing_local_reaches_the_workers(bucket_catalog, tmp_path):
    import yaml

    from adloc.jobspec import parse_job
    from adloc.pipelines.job import dataflow_graph
    from adloc.pipelines.runner import RunSettings

    url, local = bucket_catalog
    _to_bucket(url, local)
    spec = parse_job(yaml.safe_load((EXAMPLES / "jobs" / "spring-coffee.yaml").read_text()))
    settings = RunSettings(db_url=url, out="gs://acme-ads/jobs/spring", run_date=RUN_DATE, copy_model=SMALL)
    from adloc.cli.presets import dataflow_options

    args = [*dataflow_options("acme-ads", "europe-west1", "gs://acme-ads/tmp", IMAGE), "--no_auth"]
    graph = dataflow_graph(spec, "spring-coffee.yaml", settings, args)
    assert graph.mentions(url.split("?")[0])  # the database the workers reach is in the graph ...
    assert graph.mentions("sqlite") == [] and graph.mentions(local) == []  # ... and nothing of this machine's
    assert graph.mentions(str(tmp_path)) == [] and graph.mentions(str(EXAMPLES)) == []
    assert "no_use_multiple_sdk_containers" not in graph.experiments  # CPU workers: a process per core
    assert graph.service_options == ()
