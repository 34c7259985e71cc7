"""`adloc gate train`: the learned gate, trained and calibrated on the judged eval set.

1. `collect`: the copy model's line for every eval line of every locale (tune and held-out), with
   its token log-probabilities, as a run would make it (greedy, fixed batches: deterministic), with
   the prompt a run sends when the brand's translation memory holds the tune lines: each line's
   closest tune lines as examples, never the line itself.
2. `dataset`: each line's features (`acceptability.features`) and its judged label (the judged set,
   `examples/eval/judged/`); lines nobody judged are left out and counted.
3. `train`: a logistic regression on the tune lines; per-locale thresholds at the target precision
   from its cross-validated probabilities on the tune lines (5 folds), so that the held-out lines
   measure the gate honestly: coverage and precision there, beside raw token confidence calibrated
   the same way, and each feature's worth (its own ROC-AUC, and the held-out coverage lost without it).

Only lines that pass every blocking check can ship, so thresholds and precision are over those;
coverage is a share of all lines."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from adloc.checks.base import blocking_failures
from adloc.evals.calibrate import pr_curve, threshold_on
from adloc.evals.evalset import EvalSet
from adloc.evals.evaluate import _checks, generate, requests_for
from adloc.models import acceptability, similarity
from adloc.records import Generation, TMEntry
from adloc.translation_memory import tm_key

SPLITS = ("tune", "heldout")
FOLDS = 5


@dataclass(frozen=True)
class Output:
    """One model line for one eval line, as `collect` writes it (one JSON object per line)."""

    locale: str
    id: str
    split: str
    model: str
    source: str
    max_chars: int
    text: str
    confidence: float
    logprobs: tuple[float, ...]
    margins: tuple[float, ...]
    error: str = ""
    back_logprobs: tuple[float, ...] = ()

    @property
    def generation(self) -> Generation:
        return Generation(self.text, self.confidence, len(self.logprobs), self.error, self.logprobs, self.margins,
                          self.back_logprobs)


def collect(evalset: EvalSet, locales: list[str], handler, lm, out: Path | None = None,
            progress: bool = False, splits: tuple[str, ...] = SPLITS) -> list[Output]:
    """Every line of the splits of each locale through the model; written to `out` (JSONL) if given."""
    rows: list[Output] = []
    for locale in locales:
        lines = [line for split in splits for line in evalset.split(locale, split)]
        version = handler.model_id_for(locale, lm.model_id)
        requests = production_requests(evalset, locale, lines)
        generations = generate(handler, lm, requests, label=f"{locale} {version}" if progress else "")
        rows += [Output(locale, line.id, line.split, version, line.source, line.max_chars, g.text, g.confidence,
                        g.logprobs, g.margins, g.error, g.back_logprobs)
                 for line, g in zip(lines, generations, strict=True)]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows


def production_requests(evalset: EvalSet, locale: str, lines) -> list:
    """Each line's request as a run makes it when the brand's memory holds the tune lines: the
    closest of them as examples, never the line itself."""
    memory = {tm_key(x.source): TMEntry(x.source, x.reference) for x in evalset.split(locale, "tune")}
    return [requests_for(evalset, locale, (line,), {k: v for k, v in memory.items() if k != tm_key(line.source)})[0]
            for line in lines]


def read_outputs(path: Path, evalset: EvalSet | None = None) -> list[Output]:
    """The lines of `adloc gate collect`; ValueError naming the line and field of one that is not
    one, or (given the eval set) one whose locale, id or source is not the set's."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            raw = json.loads(line)
            row = Output(**{**raw, "logprobs": tuple(raw["logprobs"]), "margins": tuple(raw["margins"]),
                            "back_logprobs": tuple(raw.get("back_logprobs", ()))})
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"line {number}: not a line of `adloc gate collect` ({exc})") from None
        if evalset is not None:
            known = {x.id: x for x in evalset.lines.get(row.locale, ())}
            if row.id not in known:
                raise ValueError(f"line {number}, field id: {row.id!r} is not a {row.locale} line of {evalset.root}")
            if known[row.id].source != row.source:
                raise ValueError(f"line {number}, field source: {row.source!r} is not the set's source for {row.id} "
                                 f"({known[row.id].source!r}): collect the lines again")
        rows.append(row)
    if not rows:
        raise ValueError("no lines in it")
    return rows


@dataclass(frozen=True)
class Example:
    output: Output
    features: dict[str, float]
    eligible: bool  # passes every blocking check: the gate could ship it
    label: bool | None  # judged acceptable; None: not judged
    category: str = ""


def dataset(evalset: EvalSet, outputs: list[Output], encoder: str = "auto") -> list[Example]:
    """Features and judged labels of the outputs (similarities in one encoder call per locale)."""
    lines = {(locale, line.id): line for locale in evalset.locales for line in evalset.lines[locale]}
    sims: dict[int, float] = {}
    for locale in sorted({o.locale for o in outputs}):
        index = [i for i, o in enumerate(outputs) if o.locale == locale]
        found = similarity.similarity([outputs[i].source for i in index], [outputs[i].text or " " for i in index],
                                      locale, None if encoder == "auto" else encoder)
        sims.update(zip(index, found, strict=True))
    shown = {}  # (locale, id) -> the memory examples the line's prompt showed
    for locale in sorted({o.locale for o in outputs}):
        mine = [lines[(o.locale, o.id)] for o in outputs if o.locale == locale]
        for line, request in zip(mine, production_requests(evalset, locale, mine), strict=True):
            shown[(locale, line.id)] = request.examples
    examples = []
    for i, o in enumerate(outputs):
        line = lines[(o.locale, o.id)]
        # The checks a run applies, `not_copied` against the examples the prompt showed included.
        checks = _checks(evalset, o.locale, o.source, o.text, line.max_chars, shown[(o.locale, o.id)])
        judged = evalset.judgement(o.locale, o.id, o.text)
        examples.append(Example(
            o, acceptability.features(o.source, o.text, o.generation, checks, line.max_chars, sims[i]),
            not o.error and not blocking_failures(checks), judged.acceptable if judged else None,
            judged.category if judged else ""))
    return examples


def review_examples(lessons: list[dict], evalset: EvalSet) -> list[Example]:
    """Reviewers' decisions (`assets_db.review.gate_lessons`) as tune lines: the features the gate
    saw in production, labelled by what the reviewer did with the line. A line whose source is a
    held-out eval line is left out: the held-out lines measure the gate, so it never learns them."""
    held_out = {tm_key(line.source) for lines in evalset.lines.values() for line in lines if line.split == "heldout"}
    out = []
    for lesson in lessons:
        if tm_key(lesson["source"]) in held_out:
            continue
        features = {k: float(v) for k, v in lesson["features"].items()}
        confidence = math.exp(features["lp_mean"]) if "lp_mean" in features else 0.0
        output = Output(lesson["locale"], f"review-{lesson['item']}-{lesson['slot']}", "tune", "review",
                        lesson["source"], 0, lesson["line"], round(confidence, 4), (), ())
        out.append(Example(output, features, True, bool(lesson["acceptable"])))
    return out


def _fit(x, y, seed: int = 0):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = [s if s > 0 else 1.0 for s in scaler.scale_]
    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit((x - scaler.mean_) / scale, y)
    return list(scaler.mean_), scale, list(model.coef_[0]), float(model.intercept_[0])


def _probabilities(x, fitted) -> list[float]:
    import numpy as np

    mean, scale, weights, intercept = fitted
    z = ((np.asarray(x) - mean) / scale) @ np.asarray(weights) + intercept
    return [float(p) for p in 1 / (1 + np.exp(-np.clip(z, -50, 50)))]


def _cross_validated(x, y, folds: int = FOLDS) -> list[float]:
    """Each row's probability from a model fitted without its fold (stratified, shuffled with a fixed seed)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(len(y))
    for fit_rows, test_rows in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        out[test_rows] = _probabilities(x[test_rows], _fit(x[fit_rows], y[fit_rows]))
    return list(out)


def _coverage(scores: list[float], labels: list[bool], total: int, threshold: float | None) -> dict:
    """Lines at or above the threshold among the eligible: coverage (of all lines) and precision."""
    if threshold is None:
        return {"coverage": 0.0, "precision": None, "shipped": 0, "wrong": 0, "lines": total}
    shipped = [ok for s, ok in zip(scores, labels, strict=True) if s >= threshold]
    return {"coverage": round(len(shipped) / total, 4) if total else 0.0,
            "precision": round(sum(shipped) / len(shipped), 4) if shipped else None,
            "shipped": len(shipped), "wrong": len(shipped) - sum(shipped), "lines": total}


def calibrate(tune_scores, tune_labels, tune_total, target: float) -> float | None:
    point = threshold_on(pr_curve(tune_scores, tune_labels, total=tune_total), target)
    return point.threshold if point else None


def evaluate_scores(examples: list[Example], tune_scores: dict[int, float], held_scores: dict[int, float],
                    target: float) -> tuple[dict[str, float | None], dict[str, dict]]:
    """Per locale: the threshold from the tune lines' scores, and what it ships of the held-out lines.
    `*_scores` map an index of `examples` (eligible, judged) to a score."""
    def part(locale: str, split: str, scores: dict[int, float]):
        """(scores, labels) of the locale's judged lines of the split that can ship, and how many it judged."""
        judged = [i for i, e in enumerate(examples)
                  if e.output.locale == locale and e.output.split == split and e.label is not None]
        pairs = [(scores[i], bool(examples[i].label)) for i in judged if i in scores]
        return [p[0] for p in pairs], [p[1] for p in pairs], len(judged)

    thresholds, results = {}, {}
    for locale in sorted({e.output.locale for e in examples}):
        s, y, n = part(locale, "tune", tune_scores)
        thresholds[locale] = calibrate(s, y, n, target) if n else None
        s, y, n = part(locale, "heldout", held_scores)
        results[locale] = _coverage(s, y, n, thresholds[locale])
    return thresholds, results


def train(examples: list[Example], base_model: str, target: float = 0.95, names: tuple[str, ...] | None = None,
          encoder: str = "auto") -> tuple[acceptability.GateModel, dict]:
    """The gate and its report: per-locale held-out coverage and precision of the learned gate and
    of raw confidence, ROC-AUC of each, and each feature's worth."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    # A feature that never varies on the lines it learns from says nothing (a check every shippable
    # line passes; the round trip where it was not scored): left out of the gate.
    candidates = [i for i, e in enumerate(examples) if e.eligible and e.label is not None
                  and e.output.split == "tune"]
    names = names or tuple(name for name in examples[0].features
                           if len({examples[i].features.get(name) for i in candidates}) > 1)
    # Reviewers' lessons carry the features their gate used: a line lacking one of these is left out.
    usable = [i for i, e in enumerate(examples) if e.eligible and e.label is not None
              and all(name in e.features for name in names)]
    tune = [i for i in usable if examples[i].output.split == "tune"]
    held = [i for i in usable if examples[i].output.split == "heldout"]
    if len(tune) < 2 * FOLDS or len({examples[i].label for i in tune}) < 2:
        raise ValueError(f"{len(tune)} judged tune lines that pass the checks: too few (or one class) to train on")

    def matrix(rows, cols=names):
        return np.array([[examples[i].features[c] for c in cols] for i in rows], dtype=float)

    y_tune = np.array([examples[i].label for i in tune])
    y_held = [bool(examples[i].label) for i in held]

    def gate_scores(cols):
        x_tune = matrix(tune, cols)
        fitted = _fit(x_tune, y_tune)
        return (dict(zip(tune, _cross_validated(x_tune, y_tune), strict=True)),
                dict(zip(held, _probabilities(matrix(held, cols), fitted), strict=True)), fitted)

    cv, held_p, fitted = gate_scores(names)
    thresholds, learned = evaluate_scores(examples, cv, held_p, target)
    conf = {i: examples[i].output.confidence for i in usable}
    _, raw = evaluate_scores(examples, conf, conf, target)

    def auc(scores: dict[int, float]) -> float | None:
        if len(set(y_held)) < 2:
            return None
        return round(float(roc_auc_score(y_held, [scores[i] for i in held])), 4)

    def mean_coverage(results: dict[str, dict]) -> float:
        return round(sum(r["coverage"] for r in results.values()) / max(len(results), 1), 4)

    worth = {}
    for name in names:
        alone = {i: examples[i].features[name] for i in held}
        rest = tuple(n for n in names if n != name)
        without = evaluate_scores(examples, *gate_scores(rest)[:2], target)[1] if rest else None
        a = auc(alone)
        worth[name] = {"auc_alone": None if a is None else round(max(a, 1 - a), 4),
                       "coverage_without": mean_coverage(without) if without else None}
    def wrong_at(scores: dict[int, float], share: float) -> int:
        """Wrong lines among the held-out lines each locale ships when it ships `share` of its judged
        lines, best scores first."""
        wrong = 0
        for locale, judged in held_judged.items():
            mine = sorted((i for i in held if examples[i].output.locale == locale), key=lambda i: -scores[i])
            wrong += sum(not examples[i].label for i in mine[:round(share * judged)])
        return wrong

    held_judged = {locale: sum(1 for e in examples if e.output.locale == locale and e.output.split == "heldout"
                               and e.label is not None) for locale in sorted({e.output.locale for e in examples})}
    report = {
        "equal_coverage": {f"{share:.2f}": {"lines": sum(round(share * n) for n in held_judged.values()),
                                            "gate_wrong": wrong_at(held_p, share), "confidence_wrong": wrong_at(conf, share)}
                           for share in (0.05, 0.1, 0.2)},
        "lines": {"judged": sum(e.label is not None for e in examples), "not_judged": sum(e.label is None for e in examples),
                  "tune_usable": len(tune), "heldout_usable": len(held),
                  "from_reviews": sum(examples[i].output.model == "review" for i in tune)},
        "target_precision": target,
        "learned": {"auc": auc(held_p), "mean_coverage": mean_coverage(learned), "per_locale": learned},
        "confidence": {"auc": auc(conf), "mean_coverage": mean_coverage(raw), "per_locale": raw},
        "features": worth,
        # Every judged held-out line that could ship: (locale, gate probability, confidence, acceptable).
        "heldout_points": [(examples[i].output.locale, round(held_p[i], 4), examples[i].output.confidence,
                            bool(examples[i].label)) for i in held],
        "heldout_judged": held_judged,
    }
    mean, scale, weights, intercept = fitted
    gate = acceptability.GateModel(
        base_model, names, tuple(round(v, 6) for v in mean), tuple(round(v, 6) for v in scale),
        tuple(round(v, 6) for v in weights), round(intercept, 6),
        {k: (None if v is None else round(v, 6)) for k, v in thresholds.items()}, target, encoder,
        {"heldout": learned, "confidence_heldout": raw, "auc": report["learned"]["auc"]}).sealed()
    return gate, report


def plot(report: dict) -> bytes:
    """PNG: precision against coverage on the held-out lines, the learned gate beside raw token
    confidence, all locales pooled (coverage as a share of every judged held-out line)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = report["heldout_points"]
    total = sum(report["heldout_judged"].values())
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=120)
    for index, name, style in ((1, "learned gate", "-"), (2, "token confidence", "--")):
        curve = pr_curve([p[index] for p in points], [p[3] for p in points], total=total)
        ax.plot([c.coverage for c in curve], [c.precision for c in curve], style, label=name)
    ax.axhline(report["target_precision"], color="grey", linewidth=0.8)
    ax.set_xlabel("coverage (share of held-out lines shipped without review)")
    ax.set_ylabel("precision (share shipped judged acceptable)")
    ax.set_ylim(0.4, 1.01)
    ax.set_xlim(0, 1)
    ax.legend(loc="upper right")
    ax.set_title("Held-out lines, all locales: learned gate vs confidence")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def print_report(report: dict, out=sys.stdout) -> None:
    lines = report["lines"]
    print(f"{lines['judged']} of {lines['judged'] + lines['not_judged']} lines judged; learnt from "
          f"{lines['tune_usable']} tune lines that pass the checks ({lines['from_reviews']} from reviews), "
          f"measured on {lines['heldout_usable']} held-out ones", file=out)
    print(f"{'locale':<7} {'gate coverage':>13} {'precision':>9} {'wrong':>5}   {'confidence coverage':>19} "
          f"{'precision':>9} {'wrong':>5}", file=out)
    for locale, r in report["learned"]["per_locale"].items():
        c = report["confidence"]["per_locale"][locale]
        fmt = lambda p: "-" if p is None else f"{p:.3f}"
        print(f"{locale:<7} {r['coverage']:>13.1%} {fmt(r['precision']):>9} {r['wrong']:>5}   "
              f"{c['coverage']:>19.1%} {fmt(c['precision']):>9} {c['wrong']:>5}", file=out)
    print(f"held-out ROC-AUC: gate {report['learned']['auc']}, confidence {report['confidence']['auc']}; "
          f"mean coverage: gate {report['learned']['mean_coverage']:.1%}, confidence "
          f"{report['confidence']['mean_coverage']:.1%}", file=out)
    for share, row in report["equal_coverage"].items():
        print(f"shipping the best {float(share):.0%} of each locale's held-out lines ({row['lines']}): wrong "
              f"{row['gate_wrong']} by the gate, {row['confidence_wrong']} by confidence", file=out)
    print("feature worth (ROC-AUC alone; mean held-out coverage without it):", file=out)
    for name, w in sorted(report["features"].items(), key=lambda kv: -(kv[1]["auc_alone"] or 0)):
        without = "-" if w["coverage_without"] is None else f"{w['coverage_without']:.1%}"
        print(f"  {name:<22} {w['auc_alone']}  {without}", file=out)
