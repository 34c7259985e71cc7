"""The diffusers backend, on a tiny random-weight inpainting pipeline saved with save_pretrained and
loaded back through the production loading code. Its noisy output must be caught by the image
checks and the deterministic blend taken instead, for review."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import RUN_DATE, write_job
from PIL import Image

from adloc.assets_db.catalog import import_catalog
from adloc.assets_db.engine import engine_for
from adloc.models.diffusion import load_diffusers_inpainter
from adloc.models.tiny import save_tiny_inpainter
from adloc.runners.cli import main


@pytest.fixture(scope="module")
def tiny_inpainter(tmp_path_factory) -> Path:
    return save_tiny_inpainter(tmp_path_factory.mktemp("diffusers"))


def test_checkpoint_loads_through_the_production_code(tiny_inpainter):
    pipe = load_diffusers_inpainter(str(tiny_inpainter))
    assert type(pipe).__name__ == "StableDiffusionInpaintPipeline"
    assert pipe.unet.config.in_channels == 9


def _tiny_catalog(folder: Path) -> Path:
    """A 64x64 template and one talent: small enough for the tiny pipeline on a CPU."""
    (folder / "templates").mkdir(parents=True)
    (folder / "catalog").mkdir()
    yy, xx = np.mgrid[0:64, 0:64]
    background = np.stack([60 + xx * 2, 90 + yy, 140 + 0 * xx], axis=-1).astype(np.uint8)
    Image.fromarray(background).save(folder / "templates" / "tiny.png")
    (folder / "templates" / "tiny.yaml").write_text(yaml.safe_dump({
        "id": "tiny", "image": "tiny.png", "size": [64, 64],
        "talent_slot": {"box": [4, 16, 32, 48], "band": 6},
        "text_slots": {"headline": {"box": [36, 2, 26, 20], "size": [4, 8], "color": "#ffffff", "max_chars": 60}},
        "prompt": "a café", "steps": 2, "guidance": 1.0,
    }))
    talent = np.zeros((96, 64, 4), dtype=np.uint8)
    talent[..., :3] = (200, 150, 120)
    talent[20:, 8:56, 3] = 255
    Image.fromarray(talent).save(folder / "catalog" / "t.png")
    (folder / "catalog" / "talent.yaml").write_text(yaml.safe_dump({"talent": [{
        "id": "de-tiny", "name": "Tiny", "region": "DE", "image": "t.png",
        "rights": [{"regions": ["DE"], "channels": ["social"], "consent": ["2026-01-01", "2030-12-31"]}],
    }]}))
    (folder / "catalog" / "tm.yaml").write_text(yaml.safe_dump(
        {"de-DE": [{"source": "Fresh coffee every morning", "target": "Frischer Kaffee jeden Morgen"}]},
        allow_unicode=True,
    ))
    (folder / "catalog" / "glossary.yaml").write_text("{}\n")
    return folder


def test_noisy_diffusion_output_falls_back_to_the_blend(tmp_path, tiny_inpainter):
    catalog = _tiny_catalog(tmp_path / "catalog-root")
    db = f"sqlite:///{tmp_path / 'assets.db'}"
    import_catalog(engine_for(db), catalog)
    job = write_job(tmp_path / "job.yaml", {
        "job": "tiny", "brand": "Acme", "channel": "social", "locales": ["de-DE"],
        "creatives": [{"id": "c", "template": "tiny", "copy": {"headline": "Fresh coffee every morning"}}],
    })
    out = tmp_path / "out"
    code = main(["run", str(job), "--out", str(out), "--db", db, "--run-date", RUN_DATE,
                 "--inpainter", str(tiny_inpainter)])
    assert code == 0
    record = json.loads((out / "review" / "c" / "tiny" / "de-DE.json").read_text())
    assert record["models"]["inpainter"] == "tiny-inpainter"
    image = record["image"]
    assert image["backend"] == "diffusers" and image["path"] == "blend_fallback"
    assert image["approved"] is False and "used the deterministic blend" in image["reason"]
    failed = {c["name"]: c for c in image["checks"] if not c["passed"]}
    assert "diffusion.band_plausible" in failed, image["checks"]
    final = {c["name"]: c for c in image["checks"] if not c["name"].startswith("diffusion.")}
    assert final["outside_unchanged"]["passed"] and final["talent_faithful"]["passed"]
    assert final["band_plausible"]["passed"]
