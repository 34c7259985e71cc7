"""Translation-memory matching: pure string work over a locale's memory, no database.

A memory is `{tm_key(source): TMEntry}` for one locale (what `assets_db.queries.translation_memory`
reads). An exact hit skips the model; the closest lines become the model's prompt examples and,
above `FUZZY_FALLBACK`, the old path's candidate. `copy_request` is the one place a `CopyRequest`
is built: the pipeline, the eval and tuning all send the model the same prompt for the same line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from adloc.records import CopyRequest, Formality, GlossaryTerm, TMEntry

__all__ = ["EXAMPLE_SIMILARITY", "FUZZY_FALLBACK", "copy_request", "fuzzy_matches", "memory_examples", "tm_key"]

def tm_key(text: str) -> str:
    """A line with case and whitespace folded: the memory's key (exact hits match on it), and how
    the checks compare lines."""
    return re.sub(r"\s+", " ", text).strip().lower()


EXAMPLE_SIMILARITY = 0.5  # memory lines at least this close are shown to the copy model as examples
FUZZY_FALLBACK = 0.75  # memory lines at least this close are the fallback candidate


def fuzzy_matches(memory: Mapping[str, TMEntry], source: str, limit: int = 3) -> list[tuple[float, TMEntry]]:
    """The `limit` closest memory entries to `source` as (similarity in [0, 1], entry), best first,
    ties broken by source text. Similarity: difflib's ratio on the folded lines."""
    key = tm_key(source)
    scored = [(difflib.SequenceMatcher(None, key, k).ratio(), k, entry) for k, entry in memory.items()]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(round(score, 4), entry) for score, _, entry in scored[:limit]]


def memory_examples(matches: list[tuple[float, TMEntry]], source: str) -> tuple[TMEntry, ...]:
    """The memory lines the copy model sees as examples for `source`, from its `fuzzy_matches`:
    the close ones, never an exact hit (which would have skipped the model)."""
    key = tm_key(source)
    return tuple(e for score, e in matches if score >= EXAMPLE_SIMILARITY and tm_key(e.source) != key)


def copy_request(*, key: str, slot: str, locale: str, source: str, brand: str, max_chars: int,
                 keep_terms: tuple[str, ...], glossary: tuple[GlossaryTerm, ...],
                 memory: Mapping[str, TMEntry], formality: Formality | None = None) -> CopyRequest:
    """The request for one line: the memory's exact hit, its prompt examples and its fallback
    candidate attached, from one scan of `memory` (the locale's memory)."""
    exact = memory.get(tm_key(source))
    matches = fuzzy_matches(memory, source)
    best = next(((score, e) for score, e in matches if score >= FUZZY_FALLBACK and e is not exact), None)
    return CopyRequest(
        key=key, slot=slot, locale=locale, source=source, brand=brand, max_chars=max_chars,
        keep_terms=keep_terms, glossary=glossary, examples=memory_examples(matches, source),
        fuzzy=best[1] if best else None, fuzzy_score=best[0] if best else 0.0,
        exact=exact.target if exact else None, formality=formality,
    )
