"""Where adloc keeps models and data: `ADLOC_HOME` (default `~/.cache/adloc`)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("ADLOC_HOME") or Path.home() / ".cache" / "adloc")
