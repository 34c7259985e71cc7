"""Progress of a run on an interactive terminal: items written of the total, by status, and the
copy lines that took the fallback. Counted per worker process: on the in-process local runner
that is the whole job (the CLI turns it on only there, and only when stderr is a terminal)."""

from __future__ import annotations

import sys
import threading
from collections import Counter

from adloc.records import ItemStatus

_counts: dict[str, Counter] = {}
_lock = threading.Lock()


def tick(run: str, total: int, status: str, fallbacks: int) -> None:
    with _lock:
        counts = _counts.setdefault(run, Counter())
        counts[status] += 1
        counts["fallbacks"] += fallbacks
        approved, review, dead = (counts[ItemStatus.APPROVED], counts[ItemStatus.REVIEW],
                                  counts[ItemStatus.DEAD_LETTER])
        done = approved + review + dead
        sys.stderr.write(
            f"\r{done}/{total} items · {approved} approved · {review} review · "
            f"{dead} dead letter · {counts['fallbacks']} copy fallbacks"
            + ("\n" if done >= total else ""))
        sys.stderr.flush()
