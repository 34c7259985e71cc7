"""The service layer's own rules: queued model options read back under the run settings' names."""

from __future__ import annotations

import pytest

from adloc.errors import AdlocError
from adloc.pipelines.runner import RunSettings
from adloc.services.jobs import ModelOptions


def test_model_options_use_the_run_settings_names():
    options = ModelOptions(copy_model="m.gguf", inpaint_batch_size=4, threshold=0.7)
    settings = RunSettings(db_url="sqlite://", out="/tmp/o", **vars(options))
    assert (settings.copy_model, settings.inpaint_batch_size, settings.threshold) == ("m.gguf", 4, 0.7)


def test_options_queued_by_an_older_adloc_are_read_and_typos_are_not():
    old = {"copy_model": "embedded", "adapters": None, "inpainter": None, "inpaint_batch": 2, "threshold": None}
    assert ModelOptions.from_json(old) == ModelOptions(inpaint_batch_size=2)
    with pytest.raises(AdlocError, match=r"options.treshold: not a model option \(known: copy_model, "):
        ModelOptions.from_json({"treshold": 0.5})
