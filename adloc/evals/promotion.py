"""Champion against challenger: the challenger replaces the champion only when, on the same eval,
it ships more lines without review at the target precision (coverage) and no critical check
passes less often than it does for the champion."""

from __future__ import annotations

from dataclasses import dataclass

# What must agree for two evals to be the same eval.
SAME_EVAL = ("locale", "set_digest", "split", "lines", "chrf_bar", "target_precision")


@dataclass(frozen=True)
class Verdict:
    promote: bool
    reasons: list[str]


def judge(champion: dict, challenger: dict) -> Verdict:
    """Both are eval summaries (`LocaleEval.summary()`) on the same set, split and settings."""
    differ = [k for k in SAME_EVAL if champion.get(k) != challenger.get(k)]
    if differ:
        raise ValueError("not the same eval, so not comparable: " + ", ".join(
            f"{k} {champion.get(k)!r} vs {challenger.get(k)!r}" for k in differ))
    reasons = []
    regressions = [name for name in sorted(set(champion["critical"]) | set(challenger["critical"]))
                   if challenger["pass_rates"].get(name, 0.0) < champion["pass_rates"].get(name, 0.0)]
    for name in regressions:
        reasons.append(f"critical check {name} regresses: {champion['pass_rates'].get(name, 0.0):.1%} -> "
                       f"{challenger['pass_rates'].get(name, 0.0):.1%}")
    target = f"precision {champion['target_precision']:.2f}"
    old, new = champion["coverage"], challenger["coverage"]
    if new > old:
        reasons.insert(0, f"coverage at {target} rises: {old:.1%} -> {new:.1%}")
    else:
        reasons.insert(0, f"coverage at {target} does not rise: {old:.1%} -> {new:.1%}")
    return Verdict(new > old and not regressions, reasons)
