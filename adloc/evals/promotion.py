"""Champion against challenger: the challenger replaces the champion only when, on the same eval,
it ships more lines without review at the target precision (coverage) and no critical check
passes less often than it does for the champion; and, live, when it ran in the champion's shadow
and its live precision is not worse than the champion's by more than its interval (`with_live`)."""

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


# What must agree for two gate evals to be the same eval.
SAME_GATE_EVAL = ("base_model", "set_digest", "target_precision")


def judge_gates(champion: dict, challenger: dict) -> Verdict:
    """Two learned gates' held-out evals (`adloc gate train`) for the same base model on the same
    judged set: the challenger wins when it ships more held-out lines (mean coverage over the
    locales) and what it ships, pooled over the locales, still reaches the target precision."""
    differ = [k for k in SAME_GATE_EVAL if champion.get(k) != challenger.get(k)]
    if differ:
        raise ValueError("not the same eval, so not comparable: " + ", ".join(
            f"{k} {champion.get(k)!r} vs {challenger.get(k)!r}" for k in differ))
    target = challenger["target_precision"]
    shipped = sum(r["shipped"] for r in challenger["per_locale"].values())
    wrong = sum(r["wrong"] for r in challenger["per_locale"].values())
    precision = (shipped - wrong) / shipped if shipped else 1.0
    old, new = champion["mean_coverage"], challenger["mean_coverage"]
    trend = "rises" if new > old else "does not rise"
    reasons = [f"mean held-out coverage at precision {target:.2f} {trend}: {old:.1%} -> {new:.1%}"]
    if precision < target:
        reasons.append(f"what it ships is {precision:.1%} acceptable ({wrong} of {shipped} wrong), under {target:.0%}")
    return Verdict(new > old and precision >= target, reasons)


def with_live(offline: Verdict, non_inferior: bool | None, said: str, offline_only: bool = False) -> Verdict:
    """The promotion decision: the offline verdict and the live evidence of the shadow
    (`services.live.ShadowFigures`: `non_inferior`, None when there is too little of it, and what it
    `said`). Both must hold; `offline_only` decides on the offline eval alone (a locale with no
    traffic yet), and says so."""
    if offline_only:
        return Verdict(offline.promote, [*offline.reasons, "live evidence not required (--offline-only)"
                                         + (f": {said}" if said else "")])
    if non_inferior is None:
        return Verdict(False, [*offline.reasons, (said or "no live evidence: the challenger never ran in the "
                                                  "champion's shadow") + "; promotion needs live non-inferiority"])
    return Verdict(offline.promote and non_inferior, [*offline.reasons, said])
