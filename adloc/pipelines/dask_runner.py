"""Beam on a Dask cluster (`dask.distributed`): the job's pipeline translated into Dask bags.

Beam's own `DaskRunner` (apache-beam 2.77) keeps its options (`--dask_client_address`,
`--dask_npartitions`, ...), its overrides (Create, Reshuffle, GroupByKey, Flatten) and its
GroupByKey and Flatten bag operations, which this runner reuses. Its ParDo translation is not
usable for a job: it drops what a DoFn emits in `finish_bundle` (the last batch of every
`BatchElements`, so RunInference loses items), hands every output of a multi-output ParDo to
each consumer, recomputes a side input's whole upstream in every partition (the run would be
recorded once per partition), sets DoFns up per partition, computes only one leaf of the graph
and collects no metrics. This runner translates ParDo itself:

- a Dask partition is a Beam bundle: `start_bundle`, every element, `finish_bundle`, its
  outputs kept with their tag, and each output PCollection reads its own tag;
- a side input is computed once, as a Dask task of its own, and handed whole to the partitions;
- each DoFn is deserialized and set up once per worker process (and per concurrent thread), so a
  model loads once per Dask worker process; `teardown` runs when the job ends;
- every leaf is computed; Beam's counters and distributions are kept per worker process and
  gathered when the job ends (`DaskResult.metrics()`), with the elements each worker processed per
  step (`DaskResult.per_worker`).

Not supported (the job pipeline uses none of them): windowing other than the global window,
streaming sources, stateful DoFns and timers, splittable DoFns, and Beam's `Read` transforms.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import Counter, defaultdict

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.internal import pickler
from apache_beam.metrics.execution import MetricsContainer
from apache_beam.pipeline import PipelineVisitor
from apache_beam.runners.common import DoFnRunner, Receiver
from apache_beam.runners.dask.dask_runner import DaskOptions
from apache_beam.runners.dask.dask_runner import DaskRunner as BeamDaskRunner
from apache_beam.runners.dask.overrides import (
    _Create,
    _Flatten,
    _GroupAlsoByWindow,
    _GroupByKeyOnly,
    _Reshuffle,
    dask_overrides,
)
from apache_beam.runners.dask.transform_evaluator import Flatten, GroupByKey
from apache_beam.runners.direct.direct_metrics import DirectMetrics
from apache_beam.runners.runner import PipelineResult, PipelineState
from apache_beam.runners.worker import statesampler
from apache_beam.transforms.core import Windowing
from apache_beam.transforms.sideinputs import SideInputMap
from apache_beam.transforms.window import GlobalWindow, GlobalWindows
from apache_beam.utils.counters import CounterFactory
from apache_beam.utils.windowed_value import WindowedValue

from adloc.errors import AdlocError

log = logging.getLogger(__name__)

_GLOBAL = (GlobalWindow(),)
_WINDOWING = Windowing(GlobalWindows())

# What each worker process keeps for the jobs it works on, keyed by the job's run key.
_LOCK = threading.Lock()
_IDLE: dict[tuple[str, str], list] = defaultdict(list)  # (run, step) -> DoFns set up, not in a bundle
_METRICS: dict[tuple[str, str], MetricsContainer] = {}  # (run, step) -> that step's metrics here
_ELEMENTS: dict[str, Counter] = defaultdict(Counter)  # run -> step -> elements processed here
_ENDED: set[str] = set()  # jobs that have ended (a few bytes each): their late bundles keep nothing


def _windowed(value) -> WindowedValue:
    return WindowedValue(value, 0, _GLOBAL)


class _Collect(Receiver):
    def __init__(self, tag, out: list):
        self._tag, self._out = tag, out

    def receive(self, windowed_value: WindowedValue) -> None:
        self._out.append((self._tag, windowed_value.value))


class _Receivers(dict):
    """tag -> a receiver appending (tag, value) to one list, the bundle's outputs."""

    def __init__(self):
        super().__init__()
        self.out: list = []

    def __missing__(self, tag):
        self[tag] = _Collect(tag, self.out)
        return self[tag]


def _take(run: str, step: str, payload: bytes):
    """(a DoFn of `step` no other thread is using, whether it still needs its setup, the step's
    metrics container in this process)."""
    with _LOCK:
        if run in _ENDED:
            raise RuntimeError(f"the job {run} has ended")  # a bundle still queued when it failed
        container = _METRICS.setdefault((run, step), MetricsContainer(step))
        idle = _IDLE.get((run, step))
        if idle:
            return idle.pop(), False, container
    return pickler.loads(payload), True, container


def _give_back(run: str, step: str, fn, count: int) -> None:
    """`fn` done with a bundle of `count` elements: kept for the next one, unless the job has ended
    meanwhile (then torn down here: nothing of an ended job stays in the process)."""
    with _LOCK:
        ended = run in _ENDED
        if ended:
            for key in [k for k in _METRICS if k[0] == run]:
                del _METRICS[key]
        else:
            _IDLE[(run, step)].append(fn)
            _ELEMENTS[run][step] += count
    if ended:
        _teardown([fn])


def _bundle(elements, run: str, step: str, payload: bytes, args, kwargs, views, *side_values) -> list:
    """One partition as one Beam bundle of `step`: [(output tag, value)] (tag None: the main output).
    An empty partition is no bundle (as on Beam's runners): nothing is set up for it, so a model
    loads only in the worker processes that have elements for it."""
    elements = list(elements)
    if not elements:
        return []
    side_inputs = [SideInputMap(view, options, [_windowed(v) for v in values])
                   for (view, options), values in zip(views, side_values, strict=True)]
    fn, fresh, container = _take(run, step, payload)
    # A sampler of this bundle's own: Beam's keeps the first container it saw for a step name, and
    # a worker thread runs bundles of many jobs.
    previous = statesampler.get_current_tracker()
    sampler = statesampler.StateSampler("", CounterFactory())
    statesampler.set_current_tracker(sampler)
    receivers = _Receivers()
    runner = DoFnRunner(fn, args, kwargs, side_inputs, _WINDOWING, tagged_receivers=receivers, step_name=step)
    try:
        with sampler.scoped_state(step, "process", metrics_container=container):
            if fresh:
                runner.setup()
            runner.start()
            for element in elements:
                runner.process(_windowed(element))
            runner.finish()
    finally:
        statesampler.set_current_tracker(previous)
    _give_back(run, step, fn, len(elements))
    return receivers.out


def _finish_run(run: str) -> dict:
    """In a worker process, when the job has ended: tear its DoFns down, forget them, and return
    what this process did for it ({"elements": {step: n}, "metrics": [MetricUpdates]})."""
    with _LOCK:
        _ENDED.add(run)
        idle = [fn for key in [k for k in _IDLE if k[0] == run] for fn in _IDLE.pop(key)]
        metrics = [_METRICS.pop(k).get_cumulative() for k in [k for k in _METRICS if k[0] == run]]
        elements = dict(_ELEMENTS.pop(run, {}))
    _teardown(idle)  # a DoFn still in a bundle is torn down when that bundle ends (`_give_back`)
    return {"elements": elements, "metrics": metrics}


def _teardown(fns: list) -> None:
    for fn in fns:
        try:
            fn.teardown()
        except Exception:  # a teardown's failure must not hide the job's figures
            log.warning("teardown of %s failed", type(fn).__name__, exc_info=True)


def _concat(partitions) -> list:
    return [value for partition in partitions for value in partition]


def _pick(tag):
    def pick(pairs):
        return [value for t, value in pairs if t == tag]
    return pick


class _Translate(PipelineVisitor):
    """Each leaf transform -> Dask bags: `bags[pcollection]` is the bag of that PCollection."""

    def __init__(self, run: str, npartitions: int, partition_size: int | None = None):
        self.run, self.npartitions, self.partition_size = run, npartitions, partition_size
        self.bags: dict = {}
        self.consumed: set = set()
        self.leaves: list = []

    def visit_transform(self, node) -> None:
        import dask
        import dask.bag as db

        transform = node.transform
        inputs = [self.bags[p] for p in node.inputs if not isinstance(p, pvalue.PBegin)]
        self.consumed.update(id(p) for p in node.inputs)
        self.consumed.update(id(si.pvalue) for si in node.side_inputs)
        outputs = node.outputs
        if isinstance(transform, _Create):
            values = list(transform.values)
            if self.partition_size:
                bag = db.from_sequence(values, partition_size=self.partition_size)
            else:
                bag = db.from_sequence(values, npartitions=max(1, min(len(values), self.npartitions)))
        elif type(transform) is beam.ParDo:
            windowing = getattr(node.inputs[0], "windowing", None) if node.inputs else None
            if windowing is not None and not isinstance(windowing.windowfn, GlobalWindows):
                raise AdlocError(f"the Dask runner cannot run {node.full_label}: it runs in the global "
                                 f"window only, not {type(windowing.windowfn).__name__}")
            # Each side input: one task gathering its bag's partitions (not a copy of its graph).
            sides = [dask.delayed(_concat)(self.bags[si.pvalue].to_delayed(optimize_graph=False))
                     for si in node.side_inputs]
            views = [(type(si), si._view_options()) for si in node.side_inputs]
            pairs = inputs[0].map_partitions(
                _bundle, self.run, node.full_label, pickler.dumps(transform.fn), transform.args, transform.kwargs,
                views, *sides)
            for tag, pcoll in outputs.items():
                main = tag in (None, "None") or pcoll is node.outputs.get(None)
                self.bags[pcoll] = pairs.map_partitions(_pick(None if main else tag))
            if not outputs:
                self.leaves.append(pairs)
            return
        elif isinstance(transform, _GroupByKeyOnly):
            bag = GroupByKey(node).apply(inputs[0])
        elif isinstance(transform, _Flatten):
            bag = Flatten(node).apply(inputs)
        elif isinstance(transform, (_Reshuffle, _GroupAlsoByWindow)):  # identities on bags
            bag = inputs[0]
        else:
            raise AdlocError(f"the Dask runner cannot run {node.full_label} ({type(transform).__name__})")
        for pcoll in outputs.values():
            self.bags[pcoll] = bag
        if not outputs:
            self.leaves.append(bag)


class DaskResult(PipelineResult):
    """A job running on a Dask cluster. `wait_until_finish` raises the first failure of a task; when
    the job has ended, `metrics()` holds Beam's counters and distributions summed over the workers and
    `per_worker` the elements each worker process handled, by step."""

    def __init__(self, client, futures, run: str, owns_client: bool):
        super().__init__(PipelineState.RUNNING)
        self._client, self._futures, self._run, self._owns = client, futures, run, owns_client
        self._metrics = DirectMetrics()
        self.per_worker: dict[str, dict[str, int]] = {}

    def wait_until_finish(self, duration=None):
        """Blocks until the job ends (or `duration` ms pass: then returns None, the job still
        running). A task's failure cancels the rest of the job and is raised here."""
        from dask.distributed import wait

        if self._state in (PipelineState.DONE, PipelineState.FAILED, PipelineState.CANCELLED):
            return self._state
        try:
            wait(self._futures, timeout=None if duration is None else duration / 1000)
        except TimeoutError:
            return None
        try:
            self._client.gather(self._futures)  # raises a task's failure here
        except BaseException:
            self._state = PipelineState.FAILED
            self._end(failed=True)
            raise
        self._state = PipelineState.DONE
        self._end(failed=False)
        return self._state

    def _end(self, failed: bool) -> None:
        """Stop what is left of the job, then gather each worker's figures and forget the job there."""
        try:
            self._client.cancel(self._futures)
            done = self._client.run(_finish_run, self._run)
            for worker, found in sorted(done.items()):
                self.per_worker[worker] = found["elements"]
                for updates in found["metrics"]:
                    self._metrics.commit_logical(None, updates)
        except Exception:
            if not failed:
                raise
            log.warning("Dask: could not gather the failed job's figures", exc_info=True)  # the task's error wins
        finally:
            if self._owns:
                self._client.close()

    def cancel(self):
        self._state = PipelineState.CANCELLED
        self._end(failed=True)
        return self._state

    def metrics(self):
        return self._metrics


class DaskRunner(BeamDaskRunner):
    """Beam's Dask runner with adloc's ParDo translation (module docstring). Options: Beam's
    `--dask_client_address` (a scheduler, e.g. tcp://10.0.0.5:8786; without it a LocalCluster
    on this machine) and `--dask_npartitions` (partitions of each created PCollection; default: two
    per worker thread of the cluster)."""

    def run_pipeline(self, pipeline, options):
        from dask.distributed import Client

        dask_options = options.view_as(DaskOptions).get_all_options(drop_default=True, current_only=True)
        npartitions = dask_options.pop("npartitions", None)
        partition_size = dask_options.pop("partition_size", None)
        where = dask_options.get("address") or dask_options.get("scheduler_file")
        try:
            client = Client(**dask_options)
        except OSError as exc:
            raise AdlocError(f"Dask: cannot reach the scheduler at {where}: {exc}") from exc
        try:
            if npartitions is None and not partition_size:
                try:
                    client.wait_for_workers(1, timeout=WORKER_WAIT_S)
                except TimeoutError as exc:
                    raise AdlocError(f"Dask: no worker joined the scheduler at {where} within "
                                     f"{WORKER_WAIT_S} s; start one: dask worker {where}") from exc
                threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
                npartitions = 2 * max(1, threads)
            pipeline.replace_all(dask_overrides())
            run = uuid.uuid4().hex
            visitor = _Translate(run, npartitions or 1, partition_size)
            pipeline.visit(visitor)
            unread = [bag for pcoll, bag in visitor.bags.items() if id(pcoll) not in visitor.consumed]
            # Every leaf computed, shared steps once (no graph optimisation renaming them), and nothing
            # of what the leaves hold shipped back here.
            ends = [bag.map_partitions(_nothing) for bag in [*visitor.leaves, *unread]]
            futures = client.compute(ends, optimize_graph=False)
        except BaseException:
            client.close()
            raise
        return DaskResult(client, futures, run, owns_client=True)


WORKER_WAIT_S = 60  # how long a job waits for a cluster's first worker


def _nothing(partition) -> list:
    for _ in partition:
        pass
    return []
