"""The learned gate: a calibrated classifier whose output is the probability that a model line is
acceptable, from features of the line that need no reference translation (quality estimation, as
in Specia et al., "Quality Estimation for Machine Translation", 2018; COMET-QE and CometKiwi are
the neural form of the same idea).

Features (`features`), each measured for its worth by `adloc gate train` (README, benchmark 9):
- token log-probabilities of the greedy line: mean, minimum, mean of the first three tokens, and
  the mean and minimum lead of each chosen token over the runner-up (Fomicheva et al. 2020,
  "Unsupervised Quality Estimation for Neural Machine Translation", TACL);
- the round trip: mean and minimum log-probability of the source's tokens when the model translates
  the line back into English (forced decoding, as in Thompson and Post 2020, "Automatic Machine
  Translation Evaluation in Many Languages via Zero-Shot Paraphrasing", EMNLP);
- cross-lingual meaning similarity of source and line (`similarity`);
- the language identifier's probability for the locale's language;
- length ratio to the source and share of the slot's character budget used;
- every copy check's score, and whether a cosmetic check (which never blocks) failed.

The classifier is a logistic regression over standardized features (scikit-learn at training; here
plain Python arithmetic, so a run needs no scikit-learn): its probability is what the per-locale threshold
applies to. A gate file is JSON: the features, their means and scales, the weights, the per-locale
thresholds at the target precision and the eval that set them, and its version (a hash of all that)."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from adloc.errors import AdlocError
from adloc.records import CheckResult, Generation, Severity

GATES = Path(__file__).resolve().parents[1] / "gates"  # the gates that ship with adloc: <model id>.json
LOGPROB_FLOOR = -20.0  # a token the model gave no chance counts as this, so means stay finite

# The checks whose scores are features; a gate file names the features it was trained on, so a
# check added later only enters a gate trained after it.
CHECK_FEATURES = ("placeholders", "numbers", "length", "language", "untranslated", "repetition",
                  "added_content", "punctuation")


_COSMETIC_FEATURE = ("whitespace", "punctuation")


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def features(source: str, target: str, generation: Generation, checks: list[CheckResult], max_chars: int | None,
             similarity: float) -> dict[str, float]:
    """Every feature the gate may use, for one model line (`generation.text` is `target`)."""
    logprobs = [max(lp, LOGPROB_FLOOR) for lp in generation.logprobs] or [LOGPROB_FLOOR]
    margins = list(generation.margins) or [0.0]
    scores = {c.name: c.score for c in checks}
    back = [max(lp, LOGPROB_FLOOR) for lp in generation.back_logprobs] or [LOGPROB_FLOOR]
    out = {
        "back_lp_mean": _mean(back),
        "back_lp_min": min(back),
        "lp_mean": _mean(logprobs),
        "lp_min": min(logprobs),
        "lp_first": _mean(logprobs[:3]),
        "margin_mean": _mean(margins),
        "margin_min": min(margins),
        "similarity": similarity,
        "length_ratio": math.log((len(target) + 1) / (len(source) + 1)),
        "budget_used": len(target) / max_chars if max_chars else 0.5,
        # The cosmetic checks the shipped gate was trained with; later ones (quotes, spacing) are not
        # in this feature, so its meaning stays what the gate learnt.
        "cosmetic": float(any(not c.passed and c.severity is Severity.COSMETIC and c.name in _COSMETIC_FEATURE
                              for c in checks)),
    }
    out.update({f"check_{name}": float(scores.get(name, 1.0)) for name in CHECK_FEATURES})
    return out


class GateFileError(AdlocError):
    """A gate file that cannot be read; the message names it."""


@dataclass(frozen=True)
class GateModel:
    """A trained acceptability classifier and its per-locale thresholds."""

    base_model: str  # the model id whose lines it was trained on: it gates only that model's lines
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    thresholds: dict[str, float | None]  # locale -> lowest probability reaching the target precision
    target_precision: float
    encoder: str  # how `similarity` was computed ("auto": similarity.encoder_for(locale))
    eval: dict = field(default_factory=dict)  # per locale: coverage, precision, lines; the training data
    version: str = ""  # gate@<sha256 of the rest, 12 hex>; filled by `sealed`

    def sealed(self) -> GateModel:
        body = json.dumps({k: v for k, v in asdict(self).items() if k not in ("version", "eval")}, sort_keys=True)
        return GateModel(**{**asdict(self), "version": "gate@" + hashlib.sha256(body.encode()).hexdigest()[:12]})

    def probability(self, values: dict[str, float]) -> float:
        """P(acceptable) for one line's `features`."""
        z = self.intercept
        for name, mu, sigma, w in zip(self.features, self.mean, self.scale, self.weights, strict=True):
            z += w * (values[name] - mu) / sigma
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def threshold(self, locale: str) -> float | None:
        """None: the gate was not calibrated for this locale, or nothing there reached the target."""
        return self.thresholds.get(locale)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load(path: str | Path) -> GateModel:
    """A gate file as `adloc gate train` writes it; GateFileError naming the file and the problem."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        model = GateModel(**{**raw, "features": tuple(raw["features"]), "mean": tuple(raw["mean"]),
                             "scale": tuple(raw["scale"]), "weights": tuple(raw["weights"])})
    except FileNotFoundError:
        raise GateFileError(f"gate file {path} does not exist") from None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise GateFileError(f"gate file {path}: not a gate written by `adloc gate train` ({exc})") from None
    if not (len(model.features) == len(model.mean) == len(model.scale) == len(model.weights)):
        raise GateFileError(f"gate file {path}: features, mean, scale and weights differ in length")
    if any(not s > 0 for s in model.scale):
        raise GateFileError(f"gate file {path}, field scale: every scale must be positive")
    bad = sorted(k for k, t in model.thresholds.items() if t is not None and not 0 <= t <= 1)
    if bad:
        raise GateFileError(f"gate file {path}, field thresholds.{bad[0]}: {model.thresholds[bad[0]]!r} is not "
                            "a probability (or null)")
    unknown = set(model.features) - set(features("a", "a", Generation("a", 1.0, 1), [], 10, 1.0))
    if unknown:
        raise GateFileError(f"gate file {path}: unknown features {', '.join(sorted(unknown))}")
    if model.sealed().version != model.version:
        raise GateFileError(f"gate file {path}: its contents do not match its version {model.version} (edited by hand?)")
    return model
