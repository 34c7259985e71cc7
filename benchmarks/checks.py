"""What the copy checks catch and what they wrongly flag, on the eval set, without any model.

    .venv/bin/python benchmarks/checks.py

Per check: recall on the labelled set (bad lines labelled with that check, caught by it, at any
severity), false alarms on the labelled set's good lines and on every reference and alternative
(blocking failures of a line a careful translator wrote), and, for the register check, how many of
the alternatives written in the other register it catches when the eval set declares the
references' register (`formality` in set.yaml): every alternative is the other register. Writes benchmarks/results/checks.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from adloc.checks import blocking_failures
    from adloc.checks.copy import check_copy
    from adloc.checks.register import check_register
    from adloc.evals.evalset import load
    from adloc.evals.evaluate import _checks
    from adloc.records import Formality

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-set", default=str(ROOT / "examples" / "eval"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "checks.json"))
    args = parser.parse_args()
    evalset = load(args.eval_set)

    caught, labelled, alarms = Counter(), Counter(), Counter()
    good = 0
    for line in evalset.labelled:
        checks = _checks(evalset, line.locale, line.source, line.target, line.max_chars)
        if line.expect == "good":
            good += 1
            alarms.update(c.name for c in blocking_failures(checks))
            continue
        labelled[line.expect] += 1
        caught[line.expect] += any(c.name == line.expect and not c.passed for c in checks)

    flags, references = Counter(), 0
    register = defaultdict(lambda: [0, 0])  # locale -> [other-register alternatives caught, total]
    other = {Formality.FORMAL: Formality.INFORMAL, Formality.INFORMAL: Formality.FORMAL}
    for locale in evalset.locales:
        declared = evalset.formality.get(locale)
        terms = (evalset.keep_terms, None, evalset.glossary.get(locale, ()))
        for line in evalset.lines[locale]:
            # The alternative is the other register: it is held to that one.
            for text, asked in ((line.reference, declared), (line.alternative, other.get(declared))):
                if text:
                    references += 1
                    checks = check_copy(line.source, text, locale, *terms, formality=asked)
                    flags.update(c.name for c in blocking_failures(checks))
            if declared and line.alternative:
                register[locale][1] += 1  # the other register: wrong wherever the reference's is declared
                register[locale][0] += not check_register(line.alternative, locale, declared).passed

    names = sorted(set(labelled) | set(alarms) | set(flags))
    result = {
        "labelled_good": good, "references": references,
        "checks": {n: {"caught": caught[n], "labelled": labelled[n], "false_alarms_labelled_good": alarms[n],
                       "flags_on_references": flags[n]} for n in names},
        "register_other_alternatives": {k: {"caught": v[0], "total": v[1]} for k, v in sorted(register.items())},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"| check | caught / labelled bad | false alarms on {good} good | flags on {references} references |")
    print("|---|---|---|---|")
    for n in names:
        print(f"| {n} | {caught[n]}/{labelled[n]} | {alarms[n]} | {flags[n]} |")
    for locale, (hit, total) in sorted(register.items()):
        print(f"register, {locale}: {hit}/{total} other-register alternatives caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
