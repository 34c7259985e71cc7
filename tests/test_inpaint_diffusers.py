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
from adloc.models.inpaint import load_diffusers_inpainter
from adloc.runners.cli import main


def _clip_tokenizer_files(folder: Path) -> tuple[Path, Path]:
    """A byte-level CLIP vocabulary made offline: the 256 byte symbols, their </w> forms, specials."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = iter(range(256, 512))
    symbols = [chr(b) if b in printable else chr(next(extra)) for b in range(256)]  # GPT-2's byte map
    vocab = {s: i for i, s in enumerate(symbols + [s + "</w>" for s in symbols] + ["<|startoftext|>", "<|endoftext|>"])}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return folder / "vocab.json", folder / "merges.txt"


def save_tiny_inpainter(folder: Path) -> Path:
    """The component shapes diffusers' own fast tests use, random weights, saved as a checkpoint."""
    import torch
    from diffusers import (
        AutoencoderKL,
        PNDMScheduler,
        StableDiffusionInpaintPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=2, sample_size=32, in_channels=9, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
    )
    torch.manual_seed(0)
    vae = AutoencoderKL(
        block_out_channels=[32, 64], in_channels=3, out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"], latent_channels=4,
    )
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=2, hidden_size=32, intermediate_size=37, layer_norm_eps=1e-05,
        num_attention_heads=4, num_hidden_layers=5, pad_token_id=1, vocab_size=1000,
    ))
    tok_dir = folder / "tok"
    tok_dir.mkdir(parents=True)
    vocab, merges = _clip_tokenizer_files(tok_dir)
    tokenizer = CLIPTokenizer(str(vocab), str(merges), model_max_length=77)
    pipe = StableDiffusionInpaintPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
        scheduler=PNDMScheduler(skip_prk_steps=True, steps_offset=1), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )
    out = folder / "tiny-inpainter"
    pipe.save_pretrained(out)
    return out


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
