"""adloc's Dask runner on a LocalCluster of two worker processes, with small pipelines that exercise
what Beam's own Dask runner gets wrong (finish_bundle outputs, tagged outputs, side inputs computed
once, setup once per process, metrics), and the options that send a job to a cluster."""

from __future__ import annotations

import os
import time
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from adloc.cli.presets import dask_options
from adloc.errors import AdlocError
from adloc.pipelines.runner import check_remote, check_remote_items, make_pipeline, on_this_machine

pytest.importorskip("distributed", reason="the dask extra: pip install '.[dask]'")


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as found:
        yield found


def dask_pipeline(cluster, *extra: str) -> beam.Pipeline:
    return make_pipeline([*dask_options(cluster.scheduler_address), *extra])


def counters(result) -> dict[str, int]:
    return {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter())["counters"]}


class Split(beam.DoFn):
    """Evens to the main output, odds to "odd"; each element with the side input's value. Counts its
    setups and elements."""

    def setup(self):
        Metrics.counter("test", "setups").inc()

    def process(self, x, total):
        Metrics.counter("test", "elements").inc()
        if x % 2:
            yield beam.pvalue.TaggedOutput("odd", (x, total))
        else:
            yield (x, total)


def keep(folder: Path, name: str):
    """A sink writing each element it gets to a file of its own under folder/name/, named by the
    worker process's id (workers are other processes; an element written twice makes two files)."""
    def write(element):
        import uuid

        where = folder / name
        where.mkdir(exist_ok=True)
        (where / f"{os.getpid()}-{uuid.uuid4().hex}").write_text(repr(element))
        return element
    return write


def kept(folder: Path, name: str) -> list:
    import ast

    return sorted(ast.literal_eval(p.read_text()) for p in (folder / name).iterdir())


def side_total(folder: Path):
    def total(xs):
        (folder / f"total-{os.getpid()}-{len(list((folder).glob('total-*')))}").write_text("computed")
        return sum(xs)
    return total


def test_tagged_outputs_finish_bundle_batches_side_inputs_and_metrics(cluster, tmp_path):
    p = dask_pipeline(cluster, "--dask_npartitions=4")
    nums = p | beam.Create(list(range(20)))
    total = beam.pvalue.AsSingleton(nums | beam.combiners.ToList() | beam.Map(side_total(tmp_path)))
    out = nums | beam.ParDo(Split(), total).with_outputs("odd", main="even")
    _ = out.even | "KeepEven" >> beam.Map(keep(tmp_path, "even"))
    # BatchElements emits its last batch of each bundle from finish_bundle
    _ = out.odd | beam.BatchElements(min_batch_size=4, max_batch_size=4) | "KeepBatch" >> beam.Map(
        keep(tmp_path, "batches"))
    result = p.run()
    result.wait_until_finish()

    assert kept(tmp_path, "even") == [(x, 190) for x in range(0, 20, 2)]  # each output gets its own tag
    batches = kept(tmp_path, "batches")
    assert sorted(x for batch in batches for x, _ in batch) == list(range(1, 20, 2))  # none lost
    assert len(list(tmp_path.glob("total-*"))) == 1  # the side input computed once, not per partition
    figures = counters(result)
    assert figures["elements"] == 20  # every element once, on whichever worker
    assert 1 <= figures["setups"] <= 2  # once per worker process that ran Split, not per partition
    assert len(result.per_worker) == 2 and sum(steps.get("ParDo(Split)/ParDo(Split)", 0)
                                                for steps in result.per_worker.values()) == 20


def test_both_workers_get_partitions_and_state_is_forgotten_after_the_job(cluster, tmp_path):
    p = dask_pipeline(cluster)  # default partitions: two per worker thread
    _ = p | beam.Create(list(range(8))) | beam.Map(keep(tmp_path, "pids"))
    result = p.run()
    result.wait_until_finish()
    assert sorted(kept(tmp_path, "pids")) == list(range(8))
    pids = {path.name.split("-")[0] for path in (tmp_path / "pids").iterdir()}
    assert len(pids) == 2  # both worker processes did elements

    from adloc.pipelines import dask_runner

    left = cluster_state(cluster, dask_runner)
    assert all(not state for state in left.values()), left  # the job's DoFns and figures are gone


def cluster_state(cluster, module) -> dict:
    from dask.distributed import Client

    def state():
        return {"idle": sum(len(fns) for fns in module._IDLE.values()), "metrics": len(module._METRICS),
                "elements": len(module._ELEMENTS)}

    with Client(cluster.scheduler_address) as client:
        found = client.run(state)
    return {worker: sum(values.values()) for worker, values in found.items()}


def test_a_failing_step_fails_the_run_with_its_error(cluster):
    def boom(x):
        if x == 3:
            raise ValueError("element 3 is bad")
        return x

    p = dask_pipeline(cluster)
    _ = p | beam.Create(list(range(6))) | "Boom" >> beam.Map(boom)
    result = p.run()
    with pytest.raises(ValueError, match="element 3 is bad"):
        result.wait_until_finish()
    assert str(result.state) == "FAILED"
    from adloc.pipelines import dask_runner

    for _ in range(50):  # a bundle still running when the job failed lets go of its DoFn when it ends
        left = cluster_state(cluster, dask_runner)
        if not any(left.values()):
            break
        time.sleep(0.1)
    assert not any(left.values()), left  # nothing of the failed job stays in the workers


def test_a_second_job_on_the_same_workers_counts_its_own_figures(cluster):
    for _ in range(2):  # the same step names both times, in the same worker processes
        p = dask_pipeline(cluster, "--dask_npartitions=4")
        _ = p | beam.Create(list(range(10))) | beam.ParDo(Split(), 0).with_outputs("odd", main="even")
        result = p.run()
        result.wait_until_finish()
        assert counters(result)["elements"] == 10


def test_dask_options_name_the_scheduler_or_its_file():
    assert dask_options("tcp://10.0.0.5:8786") == ["--runner=DaskRunner", "--dask_client_address=tcp://10.0.0.5:8786"]
    assert dask_options("/shared/scheduler.json") == ["--runner=DaskRunner", "--dask_scheduler_file=/shared/scheduler.json"]
    with pytest.raises(AdlocError, match="--dask: '--out' is not a scheduler address"):
        dask_options("--out")


def test_a_cluster_elsewhere_needs_a_network_database_a_bucket_and_catalog_images_in_a_bucket(catalog_db):
    here, there = dask_options("tcp://127.0.0.1:8786"), dask_options("tcp://10.0.0.5:8786")
    assert on_this_machine(here) and on_this_machine(["--runner=DaskRunner"])  # no address: a LocalCluster
    assert not on_this_machine(there) and not on_this_machine(dask_options("/shared/scheduler.json"))
    check_remote(here, "sqlite:///assets.db", "out")  # workers on this machine read its files
    with pytest.raises(AdlocError, match="DaskRunner workers cannot reach the SQLite file"):
        check_remote(there, "sqlite:///assets.db", "s3://bucket/out")
    with pytest.raises(AdlocError, match="cannot write to the local folder 'out'"):
        check_remote(there, "postgresql+psycopg2://adloc@10.0.0.5/assets", "out")
    from conftest import EXAMPLES, RUN_DATE

    from adloc.jobspec import load_job
    from adloc.pipelines.expand import expand

    job_file = EXAMPLES / "jobs" / "spring-coffee.yaml"
    items = expand(load_job(job_file), str(job_file), catalog_db, RUN_DATE)
    check_remote_items(items, catalog_db, here)
    with pytest.raises(AdlocError, match="is a file on this machine the workers cannot read"):
        check_remote_items(items, catalog_db, there)


def test_the_runner_option_makes_adlocs_dask_runner():
    from adloc.pipelines.dask_runner import DaskRunner

    assert type(make_pipeline(dask_options("tcp://127.0.0.1:8786")).runner) is DaskRunner  # not Beam's
    assert PipelineOptions(dask_options("tcp://127.0.0.1:8786")).get_all_options()["address"] == "tcp://127.0.0.1:8786"


def test_worker_runs_queued_jobs_on_the_cluster(cluster, catalog_db, tmp_path, capsys, fake_copy_model):
    from conftest import RUN_DATE, write_job

    from adloc.cli import main

    spec = {"job": "queued", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT"],
            "creatives": [{"id": "c", "template": "summer-banner", "copy": {"cta": "Order now for {price}"},
                           "values": {"price": 2.5}}]}  # a memory line: no model runs
    job = write_job(tmp_path / "queued.yaml", spec)
    out = tmp_path / "out"
    assert main(["submit", str(job), "--out", str(out), "--db", catalog_db, "--run-date", RUN_DATE]) == 0
    assert main(["worker", "--once", "--db", catalog_db, "--dask", cluster.scheduler_address]) == 0
    said = capsys.readouterr().out
    assert "done, 1 approved" in said and "queue empty: ran 1 job" in said
    assert [p.name for p in (out / "approved").rglob("*.png")] == ["pt-PT.png"] and (out / "report.html").is_file()


def test_an_unreachable_scheduler_is_a_clear_error():
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # nothing listens there once closed
    p = make_pipeline([*dask_options(f"tcp://127.0.0.1:{port}"), "--dask_connection_timeout=2"])
    _ = p | beam.Create([1])
    with pytest.raises(AdlocError, match=f"Dask: cannot reach the scheduler at tcp://127.0.0.1:{port}"):
        p.run()
