"""Which language identifier for the `language` copy check: accuracy on short ad lines.

    .venv/bin/pip install langdetect lingua-language-detector   # the contenders (pip install '.[bench]')
    .venv/bin/python benchmarks/language_id.py

Reads benchmarks/data/ad_lines.tsv (language, line; 2 to 8 words, 11 languages) and reports, per
identifier, the share of lines identified as their language, overall and for lines of at most three
words, and the time per line. Contenders that are not installed are skipped.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adloc.checks.copy import _LANGID_CANDIDATES


def lines() -> list[tuple[str, str]]:
    rows = []
    for raw in (ROOT / "benchmarks" / "data" / "ad_lines.tsv").read_text(encoding="utf-8").splitlines():
        if raw and not raw.startswith("#"):
            language, text = raw.split("\t", 1)
            rows.append((language, text))
    return rows


def py3langid(restricted: bool) -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if restricted:
        identifier.set_languages(_LANGID_CANDIDATES)
    return lambda text: identifier.classify(text)[0]


def langdetect() -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    return lambda text: detect(text)[:2]


def lingua(low_accuracy: bool) -> Callable[[str], str]:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, c.upper()) for c in _LANGID_CANDIDATES if c != "no"] + [IsoCode639_1.NB]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    detector = (builder.with_low_accuracy_mode() if low_accuracy else builder).build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "?"

    return detect


CONTENDERS = {
    "py3langid, 27 languages (adloc)": lambda: py3langid(True),
    "py3langid, all 97 languages": lambda: py3langid(False),
    "langdetect": langdetect,
    "lingua, 27 languages": lambda: lingua(False),
    "lingua, 27 languages, low accuracy mode": lambda: lingua(True),
}


def main() -> None:
    data = lines()
    short = [(lang, text) for lang, text in data if len(text.split()) <= 3]
    print(f"{len(data)} lines, {len(short)} of at most three words, {len({lang for lang, _ in data})} languages\n")
    print("| identifier | accuracy | accuracy, ≤3 words | ms per line |\n|---|---|---|---|")
    for name, make in CONTENDERS.items():
        try:
            identify = make()
        except ImportError:
            print(f"| {name} | not installed | | |")
            continue
        identify("warm up")
        start = time.perf_counter()
        hits = [identify(text) == lang for lang, text in data]
        per_line = (time.perf_counter() - start) / len(data) * 1000
        short_hits = [identify(text) == lang for lang, text in short]
        print(f"| {name} | {sum(hits) / len(hits):.1%} | {sum(short_hits) / len(short_hits):.1%} | {per_line:.2f} |")


if __name__ == "__main__":
    main()
