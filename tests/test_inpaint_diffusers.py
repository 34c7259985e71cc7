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
from tiny_inpainter import save_tiny_inpainter

from adloc.assets_db.catalog import import_catalog
from adloc.assets_db.engine import engine_for
from adloc.cli import main
from adloc.models.diffusion import load_diffusers_inpainter


@pytest.fixture(scope="module")
def tiny_inpainter(tmp_path_factory) -> Path:
    return save_tiny_inpainter(tmp_path_factory.mktemp("diffusers"))


@pytest.mark.slow  # loads the tiny diffusers pipeline
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
    talent[..., 3] = figure(96, 64, (8, 56), 44, (30, 32), 12)
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


@pytest.mark.slow  # loads the tiny diffusers pipeline
def test_noisy_diffusion_output_falls_back_to_the_blend(tmp_path, tiny_inpainter, fake_copy_model):
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
    assert code == 0 and fake_copy_model.asked == []  # the headline is a memory line
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


def figure(height: int, width: int, shoulders: tuple[int, int], chest: int, head: tuple[int, int],
           radius: int) -> np.ndarray:
    """A head-and-shoulders cutout's alpha: a body from row `chest` down between the `shoulders`
    columns, a round head of `radius` centred at (column, row) `head` (a cutout, not a box)."""
    yy, xx = np.mgrid[0:height, 0:width]
    body = (yy >= chest) & (xx >= shoulders[0]) & (xx < shoulders[1])
    return np.where(body | ((xx - head[0]) ** 2 + (yy - head[1]) ** 2 <= radius**2), 255, 0).astype(np.uint8)


def _request(seed: int, mask_crop: int | None = None, fill: tuple = (), size: int = 64):
    from adloc.models.blend import make_request

    yy, xx = np.mgrid[0:size, 0:size]
    template = np.stack([60 + xx * 2, 90 + yy, 140 + 0 * xx], axis=-1).astype(np.uint8)
    talent = np.zeros((size, size, 4), dtype=np.uint8)
    talent[..., :3] = (200, 150, 120)
    talent[..., 3] = figure(size, size, (10, 30), 36, (20, 29), 7)
    return make_request(f"k{seed}", template, talent, 6, "a café", seed, 2, 1.0, fill, mask_crop)


def _placeholder(request):
    """The request's template with a magenta placeholder painted in its fill box."""
    x, y, w, h = request.fill[0]
    request.template = request.template.copy()
    request.template[y : y + h, x : x + w] = (255, 0, 255)
    return request


def test_a_fill_region_is_in_the_band_and_the_blend_repairs_it_without_a_model():
    from adloc.checks.image import check_fill_repaired
    from adloc.models.blend import blend

    plain, filled = _request(1), _placeholder(_request(1, fill=((40, 4, 16, 12),)))
    assert not plain.band[4:16, 40:56].any() and filled.band[4:16, 40:56].all()
    assert (filled.band & filled.core).sum() == 0
    repaired = blend(filled)
    assert not (repaired[4:16, 40:56] == (255, 0, 255)).all(axis=-1).any()  # no magenta left
    assert np.array_equal(repaired[20:, :], blend(_request(1))[20:, :])  # the rest as without a fill box
    assert check_fill_repaired(repaired, filled.fill, "telea").passed
    left = check_fill_repaired(filled.template, filled.fill, "nothing")
    assert not left.passed and "fill box [40, 4, 16, 12] still stands out" in left.detail


@pytest.mark.slow  # loads the tiny diffusers pipeline
def test_an_image_does_not_depend_on_what_it_was_batched_with(tiny_inpainter):
    from adloc.models.diffusion import diffuse_batch

    pipe = load_diffusers_inpainter(str(tiny_inpainter), device="cpu")
    a, b = _request(11), _request(12)
    alone = diffuse_batch(pipe, [a], 2)[0]
    with_b, of_b = diffuse_batch(pipe, [a, b], 2)
    assert np.array_equal(alone, with_b)
    assert not np.array_equal(with_b, of_b)  # each row has its own seed
    with pytest.raises(ValueError, match="one size and setting"):
        diffuse_batch(pipe, [a, _request(13, size=72)], 2)


@pytest.mark.slow  # loads the tiny diffusers pipeline
def test_mask_crop_inpaints_around_the_band_and_restore_is_exact(tiny_inpainter):
    from adloc.checks.image import check_inpainted
    from adloc.models.blend import restore
    from adloc.models.diffusion import diffuse

    pipe = load_diffusers_inpainter(str(tiny_inpainter), device="cpu")
    request = _request(5, mask_crop=4, size=128)
    raw = diffuse(pipe, request)
    assert raw.shape == request.template.shape
    out = restore(raw, request)
    outside = ~(request.band | request.core)
    assert np.array_equal(out[outside], request.template[outside])
    assert np.array_equal(out[request.core], request.talent[..., :3][request.core])
    checks = {c.name: c.passed for c in check_inpainted(out, request.template, request.talent, request.core,
                                                         request.band, request.composite())}
    assert checks["outside_unchanged"] and checks["talent_faithful"] and checks["size"]


@pytest.mark.parametrize("method", ["telea", "navier-stokes"])
def test_the_blend_repairs_a_fill_region_classically_so_the_item_is_approved(method):
    from dataclasses import replace

    from adloc.models.blend import blend, restore
    from adloc.pipelines.image import judge

    request = replace(_placeholder(_request(1, fill=((40, 4, 16, 12),))), fill_repair=method)
    _, outcome = judge(request, restore(blend(request), request), "blend")
    fill = {c.name: c for c in outcome.checks}["fill"]
    assert outcome.approved and fill.passed and f"repaired by {method} inpainting (OpenCV)" in fill.detail
    _, plain = judge(_request(1), restore(blend(_request(1)), _request(1)), "blend")
    assert plain.approved and "fill" not in {c.name for c in plain.checks}


@pytest.mark.slow  # loads the tiny diffusers pipeline
def test_threads_sharing_the_pipeline_get_the_pixels_they_would_alone(tiny_inpainter):
    import threading

    from adloc.models.inpaint import InpaintModelHandler

    handler = InpaintModelHandler(str(tiny_inpainter))
    model = handler.load_model()
    requests = [_request(21), _request(22)]
    alone = [next(iter(handler.run_inference([r], model))).inference for r in requests]
    got: list[list] = [[], []]

    def work(i: int) -> None:
        for _ in range(3):
            got[i].append(next(iter(handler.run_inference([requests[i]], model))).inference)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        assert all(np.array_equal(image, alone[i]) for image in got[i])
