"""Scoring a model on the eval set: acceptability (checks and chrF), the gate's curve over the
lines the checks let through, the threshold, and the checks' recall and false alarms."""

from __future__ import annotations

from conftest import EXAMPLES

from adloc.evals.evalset import EvalSet, LabelledLine, load
from adloc.evals.evaluate import labelled_metrics, score
from adloc.records import Generation

EVALSET = load(EXAMPLES / "eval")


def test_references_score_top_and_garbage_scores_nothing():
    lines = EVALSET.split("pt-PT", "heldout")[:20]
    perfect = score(EVALSET, "pt-PT", "ref", lines, [Generation(x.reference, 0.9, 5) for x in lines])
    assert perfect.chrf == 100.0
    # Every reference that passes the checks is acceptable; at confidence 0.9 all of them ship.
    assert perfect.acceptable == perfect.references_pass > 0.8
    assert perfect.threshold == 0.9 and perfect.precision == 1.0 and perfect.coverage == perfect.acceptable
    garbage = score(EVALSET, "pt-PT", "bad", lines, [Generation("Açaí açaí.", 0.99, 5) for _ in lines])
    assert garbage.chrf < 15 and garbage.acceptable == 0.0
    assert garbage.threshold is None and garbage.coverage == 0.0  # nothing reaches 95% precision


def test_the_threshold_sits_where_the_confident_lines_are_right():
    lines = EVALSET.split("de-DE", "heldout")[:20]
    # The model is right on the first ten lines, confidently; wrong (untranslated) on the rest.
    generations = [Generation(x.reference, 0.8 + i / 100, 5) if i < 10 else Generation(x.source, 0.5, 5)
                   for i, x in enumerate(lines)]
    result = score(EVALSET, "de-DE", "v", lines, generations)
    right = [r for r in result.lines[:10] if r.acceptable]
    assert result.threshold == min(0.8 + i / 100 for i, r in enumerate(result.lines[:10]) if r.acceptable)
    assert result.coverage == len(right) / 20
    assert 0.8 <= result.threshold < 0.9 and result.precision == 1.0
    assert result.pass_rates["untranslated"] < 0.8  # the untranslated half fails a check


def test_a_line_below_the_chrf_bar_is_not_acceptable_even_if_it_passes_the_checks():
    line = next(x for x in EVALSET.split("fr-FR", "heldout") if x.source == "Find a store")
    loose = score(EVALSET, "fr-FR", "v", (line,), [Generation("Cherchez un magasin", 0.9, 5)])
    assert loose.lines[0].failed == () and loose.lines[0].chrf < 40 and not loose.lines[0].acceptable
    lenient = score(EVALSET, "fr-FR", "v", (line,), [Generation("Cherchez un magasin", 0.9, 5)], chrf_bar=10)
    assert lenient.lines[0].acceptable


def test_a_cut_off_line_is_never_acceptable():
    lines = EVALSET.split("es-MX", "heldout")[:1]
    result = score(EVALSET, "es-MX", "v", lines, [Generation(lines[0].reference, 0.99, 96, "cut off after 96 tokens")])
    assert not result.lines[0].acceptable and result.coverage == 0.0
    assert all(rate == 0.0 for rate in result.pass_rates.values())


def test_check_recall_and_false_alarms_on_a_labelled_set():
    evalset = EvalSet("t", "Acme Coffee", ("Acme",), {}, {}, (
        LabelledLine("a", "de-DE", "numbers", 40, "Save 20% today", "Spare heute 30 %"),
        LabelledLine("b", "de-DE", "numbers", 40, "Save 20% today", "Spare heute 20 %"),  # mislabelled: fine
        LabelledLine("c", "de-DE", "good", 40, "Order now", "Jetzt bestellen"),
        LabelledLine("d", "de-DE", "good", 40, "Welcome to Acme", "Willkommen bei Akme"),  # a false alarm
        LabelledLine("e", "fr-FR", "good", 40, "Order now", "x"),  # another locale: not counted
    ))
    metrics = labelled_metrics(evalset, "de-DE", rejected=(("Only at Acme", "Nur bei Acme"), ("Two", "Zwei Zwei Zwei")))
    assert metrics["recall"] == {"numbers": {"caught": 1, "total": 2}, "rejected in review": {"caught": 1, "total": 2}}
    assert [m["id"] for m in metrics["missed"]] == ["b", "review"]
    assert metrics["good"] == 2 and [f["id"] for f in metrics["false_alarms"]] == ["d"]
    assert metrics["false_alarms"][0]["checks"] == ["keep_terms"]
    assert metrics["false_alarms_by_check"] == {"keep_terms": 1}


def test_the_shipped_labelled_set_is_mostly_caught():
    """The measured figures go in the eval report; this guards against a check silently breaking."""
    for locale in EVALSET.locales:
        metrics = labelled_metrics(EVALSET, locale)
        assert metrics["caught"] >= 0.8 * metrics["bad"], metrics["missed"]
        assert len(metrics["false_alarms"]) <= 0.25 * metrics["good"], metrics["false_alarms"]


def test_placeholders_do_not_lift_chrf():
    line = next(x for x in EVALSET.split("pt-PT", "heldout") if x.source == "Now at {store}")
    english = score(EVALSET, "pt-PT", "v", (line,), [Generation("At {store}", 0.9, 3)])
    assert english.lines[0].chrf < 20 and not english.lines[0].acceptable
    right = score(EVALSET, "pt-PT", "v", (line,), [Generation(line.reference, 0.9, 3)])
    assert right.lines[0].chrf == 100.0


def test_a_line_in_the_other_register_scores_against_its_alternative_reference():
    line = next(x for x in EVALSET.split("de-DE", "heldout") if x.alternative)
    result = score(EVALSET, "de-DE", "v", (line,), [Generation(line.alternative, 0.9, 5)])
    assert result.lines[0].chrf == 100.0 and result.lines[0].reference == line.alternative
    assert result.lines[0].label == "chrf"  # nobody judged this output: the chrF bar decides


def test_a_judged_output_takes_its_verdict_not_the_chrf_bar():
    from dataclasses import replace

    from adloc.evals.evalset import Judgement

    line = next(x for x in EVALSET.split("fr-FR", "heldout") if x.source == "Find a store")
    good, bad = "Cherchez un magasin", "Trouvez un magasin pas"
    judged = {("fr-FR", line.id, good): Judgement(line.id, "fr-FR", "m", good, True, ""),
              ("fr-FR", line.id, bad): Judgement(line.id, "fr-FR", "m", bad, False, "fluency")}
    evalset = replace(EVALSET, judged=judged)
    result = score(evalset, "fr-FR", "v", (line, line), [Generation(good, 0.9, 5), Generation(bad + " ", 0.9, 5)])
    (a, b) = result.lines
    assert a.chrf < 40 and a.acceptable and a.label == "judged"  # a correct line chrF would have failed
    assert not b.acceptable and b.category == "fluency"  # judged by its text without the outer spaces
    assert result.judged == 1.0
