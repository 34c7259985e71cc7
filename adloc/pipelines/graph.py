"""What a Dataflow job would run, read off the job Beam builds without submitting it (`--dry_run`):
the stages, the RunInference steps with their batching, the worker image and the options the
workers get. `adloc run … --dataflow … --dry-run` prints it; the tests assert on it offline.

The graph is Beam's portable pipeline (`job.proto_pipeline`): transform names in its components,
each DoFn pickled in its ParDo payload (Beam's pickler: cloudpickle, compressed, base64), which is
where a model handler's batch sizes and the run's settings live.
"""

from __future__ import annotations

import base64
import bz2
import zlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class InferenceStep:
    """One RunInference step: its name and the batch sizes its BatchElements takes (elements)."""

    name: str
    min_batch: int | None
    max_batch: int | None


@dataclass(frozen=True)
class Graph:
    """A built Dataflow job: `stages` (the top-level transform names, in the order built),
    `transforms` (every transform's full name), `inference` (the RunInference steps), `images`
    (the worker containers), `service_options` and `experiments` (as the workers get them)."""

    stages: tuple[str, ...]
    transforms: tuple[str, ...]
    inference: tuple[InferenceStep, ...]
    images: tuple[str, ...]
    service_options: tuple[str, ...]
    experiments: tuple[str, ...]
    payloads: tuple[bytes, ...] = field(default=(), repr=False)  # every DoFn, unpickled bytes

    def mentions(self, text: str) -> list[str]:
        """The transforms whose DoFn, or the options, carry `text` (e.g. a local path, "sqlite")."""
        found = [name for name, data in zip(self.transforms, self.payloads) if text.encode() in data]
        return found + [o for o in (*self.service_options, *self.experiments) if text in o]

    def to_json(self) -> dict:
        return {"stages": list(self.stages), "inference": [vars(s) for s in self.inference],
                "images": list(self.images), "service_options": list(self.service_options),
                "experiments": list(self.experiments), "transforms": len(self.transforms)}


def _unpickled_bytes(payload: bytes) -> bytes:
    """A DoFn payload's pickle (decompressed), to search; b"" when it is not Beam's format."""
    try:
        raw = base64.b64decode(payload)
    except ValueError:
        return b""
    for decompress in (zlib.decompress, bz2.decompress):
        try:
            return decompress(raw)
        except (zlib.error, OSError, ValueError):
            continue
    return raw


def read(job) -> Graph:
    """The `Graph` of a DataflowRunner dry run's job (`result.job`)."""
    from apache_beam.internal import pickler
    from apache_beam.options.pipeline_options import DebugOptions, GoogleCloudOptions
    from apache_beam.portability.api import beam_runner_api_pb2

    proto = job.proto_pipeline
    transforms = proto.components.transforms
    top = []
    for tid in proto.root_transform_ids:
        t = transforms[tid]
        top += [transforms[s].unique_name for s in t.subtransforms] if not t.spec.urn else [t.unique_name]
    names, payloads, inference = [], [], []
    for t in transforms.values():
        data = b""
        if t.spec.urn == "beam:transform:pardo:v1":
            pardo = beam_runner_api_pb2.ParDoPayload.FromString(t.spec.payload)
            data = _unpickled_bytes(pardo.do_fn.payload)
            if t.unique_name.endswith("/BatchElements/ParDo(_GlobalWindowsBatchingDoFn)"):
                fn = pickler.loads(pardo.do_fn.payload)[0]
                sizes = getattr(fn, "_batch_size_estimator", None)
                inference.append(InferenceStep(t.unique_name.rsplit("/BatchElements/", 1)[0],
                                               getattr(sizes, "_min_batch_size", None),
                                               getattr(sizes, "_max_batch_size", None)))
        names.append(t.unique_name)
        payloads.append(data)
    images = []
    for env in proto.components.environments.values():
        if env.urn == "beam:env:docker:v1":
            images.append(beam_runner_api_pb2.DockerPayload.FromString(env.payload).container_image)
    options = job.options
    return Graph(
        stages=tuple(top), transforms=tuple(names), inference=tuple(sorted(inference, key=lambda s: s.name)),
        images=tuple(sorted(set(images))),
        service_options=tuple(options.view_as(GoogleCloudOptions).dataflow_service_options or ()),
        experiments=tuple(options.view_as(DebugOptions).experiments or ()),
        payloads=tuple(payloads),
    )
