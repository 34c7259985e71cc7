"""`adloc eval`: how often the copy model is right, measured on the held-out eval set.

For one locale and one model version: each copy check's pass rate, chrF against the references
(the best of the line's references: a line in the other register is as right), the checks' recall
and false alarms on the labelled set, and the gate's precision-recall curve, where a line is
acceptable when every critical and functional check passes and a person judged this very output
acceptable (the judged set), or, for an output nobody judged, its chrF reaches the stated bar. The gate threshold is the lowest confidence at which the lines shipped reach the
target precision; coverage is the share of lines that then ship without review."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from adloc.checks.base import Severity, blocking_failures
from adloc.checks.copy import check_copy
from adloc.evals.calibrate import CurvePoint, pr_curve, threshold_on
from adloc.evals.evalset import EvalLine, EvalSet
from adloc.locale import without_placeholders
from adloc.records import CopyRequest, Generation, TMEntry
from adloc.translation_memory import copy_request, tm_key

CHRF_BAR = 40.0  # sentence chrF against the reference a line needs to count as acceptable
TARGET_PRECISION = 0.95


@dataclass(frozen=True)
class LineResult:
    id: str
    source: str
    reference: str
    output: str
    confidence: float
    chrf: float
    failed: tuple[str, ...]  # blocking checks the output fails
    acceptable: bool
    error: str = ""
    label: str = "chrf"  # where `acceptable` comes from: "judged" (the judged set) or "chrf" (the bar)
    category: str = ""  # the judged error category of an unacceptable line


@dataclass
class LocaleEval:
    locale: str
    version: str
    split: str
    chrf_bar: float
    target_precision: float
    lines: list[LineResult]
    chrf: float  # corpus chrF of the outputs against the references
    pass_rates: dict[str, float]  # check -> share of outputs passing it
    critical: list[str]  # the critical checks (a challenger may not regress on any)
    curve: list[CurvePoint]
    threshold: float | None  # None: no threshold reaches the target precision
    coverage: float  # share of lines shipped at the threshold
    precision: float | None  # precision at the threshold
    acceptable: float  # share of acceptable lines (what a perfect gate would ship)
    cut_off: float  # share of lines that never ended within the token budget (they fail every check)
    judged: float  # share of lines whose acceptability comes from the judged set (the rest: the chrF bar)
    references_pass: float  # share of human references passing every blocking check
    labelled: dict = field(default_factory=dict)  # see `labelled_metrics`
    seconds: float = 0.0
    set_digest: str = ""

    def summary(self) -> dict:
        """What the model registry keeps: everything but the per-line results."""
        out = {k: v for k, v in asdict(self).items() if k not in ("lines", "curve")}
        out["lines"] = len(self.lines)
        out["curve"] = [asdict(p) for p in self.curve]
        return out


def requests_for(evalset: EvalSet, locale: str, lines: tuple[EvalLine, ...],
                 memory: dict[str, TMEntry] | None = None) -> list[CopyRequest]:
    """The request the pipeline would make for each line: with the translation memory's closest
    lines as examples and the register the eval set declares, as production prompts have them. `memory` must not hold the lines scored
    (`eval_memory` takes the held-out lines out)."""
    return [copy_request(key=line.id, slot=line.slot, locale=locale, source=line.source, brand=evalset.brand,
                         max_chars=line.max_chars, keep_terms=evalset.keep_terms,
                         glossary=evalset.glossary.get(locale, ()), memory=memory or {},
                         formality=evalset.formality.get(locale))
            for line in lines]


def eval_memory(memory: dict[str, TMEntry], evalset: EvalSet, locale: str) -> dict[str, TMEntry]:
    """The locale's translation memory without any held-out line: what the model may see."""
    held_out = {tm_key(line.source) for line in evalset.split(locale, "heldout")}
    return {key: entry for key, entry in memory.items() if key not in held_out}


def generate(handler, lm, requests: list[CopyRequest], chunk: int | None = None, label: str = "") -> list[Generation]:
    """Run the model handler over the requests, as the pipeline's RunInference would: `chunk` rows
    per call (default: the handler's rows per call)."""
    out: list[Generation] = []
    chunk = chunk or handler.rows_per_call
    for start in range(0, len(requests), chunk):
        out += [r.inference for r in handler.run_inference(requests[start:start + chunk], lm)]
        if label:
            print(f"\r{label}: {len(out)}/{len(requests)} lines", end="", file=sys.stderr, flush=True)
    if label:
        print(file=sys.stderr)
    return out


def _checks(evalset: EvalSet, locale: str, source: str, target: str, max_chars: int | None,
            examples: tuple[TMEntry, ...] = ()):
    return check_copy(source, target, locale, evalset.keep_terms, max_chars, evalset.glossary.get(locale, ()),
                      examples, evalset.formality.get(locale))


def labelled_metrics(evalset: EvalSet, locale: str, rejected: tuple[tuple[str, str], ...] = ()) -> dict:
    """The checks against the labelled set: for each check, how many of the bad lines labelled
    with it the check catches (recall); how many good lines any blocking check flags (false alarms).
    `rejected` are (source, target) lines reviewers rejected: caught when any blocking check fails."""
    caught: Counter = Counter()
    total: Counter = Counter()
    missed, false_alarms = [], []
    good = 0
    for line in (x for x in evalset.labelled if x.locale == locale):
        checks = _checks(evalset, locale, line.source, line.target, line.max_chars)
        failed = {c.name for c in blocking_failures(checks)}
        flagged = {c.name for c in checks if not c.passed}  # a cosmetic check catches without blocking
        if line.expect == "good":
            good += 1
            if failed:
                false_alarms.append({"id": line.id, "target": line.target, "checks": sorted(failed)})
            continue
        total[line.expect] += 1
        if line.expect in flagged:
            caught[line.expect] += 1
        else:
            missed.append({"id": line.id, "expect": line.expect, "target": line.target, "note": line.note})
    for source, target in rejected:
        total["rejected in review"] += 1
        if blocking_failures(_checks(evalset, locale, source, target, None)):
            caught["rejected in review"] += 1
        else:
            missed.append({"id": "review", "expect": "rejected in review", "target": target, "note": source})
    return {
        "recall": {name: {"caught": caught[name], "total": n} for name, n in sorted(total.items())},
        "bad": sum(total.values()), "caught": sum(caught.values()), "missed": missed,
        "good": good, "false_alarms": false_alarms,
        # Per check: how many good lines it flags (a line two checks flag counts for both).
        "false_alarms_by_check": dict(sorted(Counter(c for f in false_alarms for c in f["checks"]).items())),
    }


def score(evalset: EvalSet, locale: str, version: str, lines: tuple[EvalLine, ...], generations: list[Generation],
          split: str = "heldout", chrf_bar: float = CHRF_BAR, target_precision: float = TARGET_PRECISION,
          rejected: tuple[tuple[str, str], ...] = (), examples: list[tuple[TMEntry, ...]] | None = None) -> LocaleEval:
    """Everything `adloc eval` reports for one locale, from the model's outputs (and the memory
    examples each line's prompt showed, for the `not_copied` check)."""
    from sacrebleu.metrics import CHRF

    chrf = CHRF()
    results: list[LineResult] = []
    passed: Counter = Counter()
    names: list[str] = []
    critical: set[str] = set()
    examples = examples or [()] * len(lines)
    best_refs: list[str] = []
    for line, generation, shown in zip(lines, generations, examples, strict=True):
        checks = _checks(evalset, locale, line.source, generation.text, line.max_chars, shown)
        names = names or [c.name for c in checks]
        critical |= {c.name for c in checks if c.severity is Severity.CRITICAL}
        passed.update(c.name for c in checks if c.passed and not generation.error)
        failed = tuple(c.name for c in blocking_failures(checks))
        # chrF against the best of the references (a line in the other register is as right).
        scored = [(chrf.sentence_score(without_placeholders(generation.text), [without_placeholders(ref)]).score, ref)
                  for ref in line.references]
        line_chrf, best = max(scored, key=lambda pair: pair[0])  # a tie keeps the first reference
        best_refs.append(best)
        judged = evalset.judgement(locale, line.id, generation.text)
        good = judged.acceptable if judged else line_chrf >= chrf_bar
        acceptable = not generation.error and not failed and good
        results.append(LineResult(line.id, line.source, best, generation.text, generation.confidence,
                                  round(line_chrf, 2), failed, acceptable, generation.error,
                                  "judged" if judged else "chrf", judged.category if judged else ""))
    # The gate ships a line only if it passes the checks and clears the threshold: the curve is
    # over those lines, with coverage counted against all lines.
    eligible = [r for r in results if not r.failed and not r.error]
    curve = pr_curve([r.confidence for r in eligible], [r.acceptable for r in eligible], total=len(results))
    point = threshold_on(curve, target_precision)
    references_ok = sum(not blocking_failures(_checks(evalset, locale, line.source, line.reference, line.max_chars))
                        for line in lines)
    n = max(len(results), 1)
    return LocaleEval(
        locale=locale, version=version, split=split, chrf_bar=chrf_bar, target_precision=target_precision,
        lines=results,
        # Placeholders out: the placeholder check judges them, and on a short line `{store}` alone
        # would give an English "At {store}" a passing chrF against "Agora em {store}".
        chrf=round(chrf.corpus_score([without_placeholders(g.text) for g in generations],
                                     [[without_placeholders(x) for x in best_refs]]).score, 2),
        pass_rates={name: round(passed[name] / n, 4) for name in names}, critical=sorted(critical),
        curve=curve, threshold=point.threshold if point else None,
        coverage=round(point.coverage, 4) if point else 0.0,
        precision=round(point.precision, 4) if point else None,
        acceptable=round(sum(r.acceptable for r in results) / n, 4),
        cut_off=round(sum(bool(r.error) for r in results) / n, 4),
        judged=round(sum(r.label == "judged" for r in results) / n, 4),
        references_pass=round(references_ok / n, 4),
        labelled=labelled_metrics(evalset, locale, rejected), set_digest=evalset.digest,
    )


def evaluate(evalset: EvalSet, locale: str, handler, lm, split: str = "heldout", chrf_bar: float = CHRF_BAR,
             target_precision: float = TARGET_PRECISION, limit: int | None = None, progress: bool = False,
             rejected: tuple[tuple[str, str], ...] = (), memory: dict[str, TMEntry] | None = None) -> LocaleEval:
    """Run the handler's model for `locale` over the split and score it. `rejected` are the
    (source, model line) pairs reviewers rejected in this locale (labelled negatives); `memory`
    the locale's translation memory, for the prompts' examples."""
    lines = evalset.split(locale, split)[:limit]
    version = handler.model_id_for(locale, lm.model_id)
    started = time.perf_counter()
    requests = requests_for(evalset, locale, lines, eval_memory(memory or {}, evalset, locale))
    generations = generate(handler, lm, requests, label=f"{locale} {version}" if progress else "")
    result = score(evalset, locale, version, lines, generations, split, chrf_bar, target_precision, rejected,
                   [r.examples for r in requests])
    result.seconds = round(time.perf_counter() - started, 1)
    return result
