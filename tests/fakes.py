"""Fakes for the fast tests: a copy model that answers from a table of canned generations. It
loads no weights and needs no fetched model, so a whole job runs on Beam in seconds and its copy
paths are known in advance. The `fake_copy_model` fixture (conftest.py) puts it in the pipeline."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from adloc.models.copy_llm import BATCHES_PER_CALL, find_adapters
from adloc.models.copy_llm import resolve as real_resolve
from adloc.records import CopyRequest, Generation

FAKE_MODEL_ID = "fake-copy-v1"

Lines = Mapping[tuple[str, str], Generation]  # (locale, source line) -> what the model answers

# The requests each handler was asked for, by handler token. Beam pickles the handler into the
# pipeline, so the instance that runs is a copy of the one the test holds; the in-process runner
# (FnApiRunner, what `make_pipeline` builds) shares this module with the test.
_ASKED: dict[str, list[CopyRequest]] = {}
_tokens = itertools.count()


def no_canned_line(locale: str, source: str) -> Generation:
    """What the fake answers for a line the test did not can: a failed generation, which the
    pipeline turns into the fallback (as it does a real model's failure), its reason naming the line."""
    return Generation("", 0.0, 0, f"fake copy model: no canned line for {locale} {source!r}")


class CannedLines:
    """The fake's "loaded model": its table (a class, not a dict, because Beam's model cache keeps
    a weak reference to what `load_model` returns)."""

    def __init__(self, lines: Lines, shadow_lines: Lines | None = None):
        self.lines = dict(lines)
        self.shadow_lines = dict(shadow_lines or {})

    def answer(self, request: CopyRequest, shadow: bool = False) -> Generation:
        table = self.shadow_lines if shadow else self.lines
        return table.get((request.locale, request.source)) or no_canned_line(request.locale, request.source)


class FakeCopyModelHandler(ModelHandler[CopyRequest, PredictionResult, CannedLines]):
    """`CopyModelHandler`'s interface over canned lines: `run_inference`, `model_id_for`,
    `adapter_folders`, `batch_elements_kwargs` and the copy model's metrics namespace (so the run's
    counters count its loads and batches).

    lines: (locale, source) -> Generation; a line not in it gets `no_canned_line`.
    adapters: as `CopyModelHandler` takes them (a folder of <locale>/ adapters, or locale -> folder),
    read with the production `find_adapters`, so adapter ids and champion checks stay real.
    """

    def __init__(self, lines: Lines | None = None, model_id: str = FAKE_MODEL_ID, batch_size: int = 8,
                 adapters: str | dict[str, str] | None = None, shadow: dict[str, str] | None = None,
                 shadow_lines: Lines | None = None):
        super().__init__()
        self._lines = dict(lines or {})
        self._shadow_lines = dict(shadow_lines or {})  # what a shadow candidate answers
        self._model_id = model_id
        self._batch_size = batch_size
        self._adapters = find_adapters(adapters)
        self._shadow = {locale: find_adapters({locale: folder})[locale] if folder else None
                        for locale, folder in (shadow or {}).items()}
        self.token = f"fake-copy-{next(_tokens)}"
        _ASKED[self.token] = []

    @property
    def requests(self) -> list[CopyRequest]:
        """Every request this handler (or a pickled copy of it in this process) was given, in order."""
        return _ASKED[self.token]

    @property
    def asked(self) -> list[str]:
        """The lines of `requests`, as "locale:source"."""
        return [f"{r.locale}:{r.source}" for r in self.requests]

    def adapter_folders(self) -> dict[str, str]:
        return {locale: path for locale, (path, _) in self._adapters.items()}

    def model_id_for(self, locale: str, base_id: str | None = None) -> str:
        base_id = base_id or self._model_id
        return f"{base_id}+{self._adapters[locale][1]}" if locale in self._adapters else base_id

    def shadow_id_for(self, locale: str, base_id: str | None = None) -> str | None:
        base_id = base_id or self._model_id
        if locale not in self._shadow:
            return None
        return f"{base_id}+{self._shadow[locale][1]}" if self._shadow[locale] else base_id

    def load_model(self) -> CannedLines:
        return CannedLines(self._lines, self._shadow_lines)  # nothing to load: the "model" is the table

    def run_inference(self, batch: Sequence[CopyRequest], model: CannedLines,
                      inference_args: dict | None = None) -> Iterable[PredictionResult]:
        _ASKED.setdefault(self.token, []).extend(batch)
        return [PredictionResult(r, model.answer(r, True), self.shadow_id_for(r.locale))
                if r.shadow and r.locale in self._shadow else PredictionResult(r, model.answer(r), self.model_id_for(r.locale))
                for r in batch]

    def batch_elements_kwargs(self) -> dict:
        rows = self._batch_size * BATCHES_PER_CALL  # as CopyModelHandler: one call for a small job
        return {"min_batch_size": rows, "max_batch_size": rows}

    def get_metrics_namespace(self) -> str:
        return "adloc_copy_model"


class FakeCopyModel:
    """What the `fake_copy_model` fixture hands a test: `lines` to fill before the run, `model_id`
    (what outputs record), and `asked` after it. `handler` stands in for `CopyModelHandler` (same
    arguments) and `resolve` for `copy_llm.resolve`: "embedded" is this fake, any other model spec
    resolves as in production (a missing path is still an error naming it)."""

    def __init__(self, lines: Lines | None = None, model_id: str = FAKE_MODEL_ID):
        self.lines: dict[tuple[str, str], Generation] = dict(lines or {})
        self.shadow_lines: dict[tuple[str, str], Generation] = {}  # what a shadow model candidate answers
        self.model_id = model_id
        self.handlers: list[FakeCopyModelHandler] = []

    def handler(self, model: str = "embedded", batch_size: int = 8, max_new_tokens: int = 96,
                adapters: str | dict[str, str] | None = None, threads: int | None = None,
                dtype: str = "auto", round_trip: bool = False,
                shadow: dict[str, str] | None = None) -> FakeCopyModelHandler:
        made = FakeCopyModelHandler(self.lines, self.model_id, batch_size, adapters, shadow, self.shadow_lines)
        self.handlers.append(made)
        return made

    def resolve(self, model: str) -> tuple[str, dict, str]:
        if model == "embedded":
            # Not a path nor a valid hub id: anything that tried to load it would fail at once.
            return "fake copy model (tests/fakes.py: no weights)", {}, self.model_id
        return real_resolve(model)

    @property
    def requests(self) -> list[CopyRequest]:
        """Every request the pipeline's copy model was given."""
        return [r for made in self.handlers for r in made.requests]

    @property
    def asked(self) -> list[str]:
        """Every line the pipeline's copy model was asked for, as "locale:source"."""
        return [line for made in self.handlers for line in made.asked]

    def forget(self) -> None:
        for made in self.handlers:
            _ASKED.pop(made.token, None)


class OvalMatter:
    """A fake matter for the sample catalog's photograph in the fast tests: the person is an upright
    oval standing on the frame's bottom edge (half its width, nine tenths of its height), with a
    two-pixel soft rim. No model runs; the real matter has its own tests (test_matte.py)."""

    model_id = "fake-oval-matter-v1"

    def __call__(self, rgb, where: str):
        import numpy as np

        height, width = rgb.shape[:2]
        yy, xx = np.mgrid[0:height, 0:width]
        ry, rx = 0.9 * height, 0.25 * width
        inside = 1 - np.hypot((xx - width / 2) / rx, (yy - height) / ry)  # > 0 inside the oval
        return np.rint(np.clip(inside * min(rx, ry) / 2, 0, 1) * 255).astype(np.uint8)
