"""One decision per item, on both engines: a second approve or reject is refused naming who decided
and when, even when two people decide at the same moment; a change of mind is explicit and keeps the
audit trail. No model, no pipeline: the item and its record are made directly."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adloc.assets_db.engine import engine_for
from adloc.assets_db.review import negatives
from adloc.assets_db.schema import JobItemRow, JobRow, ReviewRow, TMRow
from adloc.cli import main
from adloc.errors import AdlocError, Conflict, NotFound
from adloc.records import CopyPath, ItemRecord, ItemStatus, LineRecord
from adloc.services import review

SOURCE = "Two for {price}"


def make_items(db: str, folder, creatives: tuple[str, ...]) -> list[int]:
    """A finished job with one pt-PT item in review per creative, each with the line SOURCE still
    in English (its model candidate "Por {price}")."""
    line = LineRecord(SOURCE, SOURCE, SOURCE, CopyPath.SOURCE, False, 0.3, "below the threshold", "Por {price}", ())
    with Session(engine_for(db)) as session, session.begin():
        job = JobRow(run_token=f"t{len(creatives)}".ljust(32, "t"), name="j", brand="Acme", channel="social",
                     run_date=date(2026, 11, 27), out_uri=str(folder), spec="{}", status="done")
        session.add(job)
        session.flush()
        ids = []
        for creative in creatives:
            record = folder / f"{creative}.json"
            record.write_bytes(ItemRecord(
                job="j", creative=creative, template="summer-banner", locale="pt-PT", status=ItemStatus.REVIEW,
                uri=str(folder / f"{creative}.png"), seed=1, run_date="2026-11-27", talent=None,
                talent_image=None, inputs="", copy={"cta": line}).to_json())
            row = JobItemRow(job_id=job.id, creative=creative, template="summer-banner", locale="pt-PT",
                             status="review", seed=1, record_uri=str(record))
            session.add(row)
            session.flush()
            ids.append(row.id)
        return ids


@pytest.fixture
def item(db, tmp_path) -> int:
    """One pt-PT item in review whose line is still the English source."""
    return make_items(db, tmp_path, ("c",))[0]


def _memory(db) -> list[tuple[str, str]]:
    with Session(engine_for(db)) as session:
        return [(r.source, r.target) for r in session.scalars(select(TMRow).where(TMRow.locale == "pt-PT",
                                                                                 TMRow.origin == "review"))]


def _decisions(db, item: int) -> list[tuple[int, str, int | None]]:
    with Session(engine_for(db)) as session:
        rows = session.scalars(select(ReviewRow).where(ReviewRow.job_item_id == item).order_by(ReviewRow.revision))
        return [(r.revision, r.decision, r.supersedes_id) for r in rows]


def test_a_second_decision_is_refused_naming_who_and_when(db, item, capsys):
    approve = ["review", "approve", str(item), "--reviewer", "ana", "--edit", "cta=Dois por {price}", "--db", db]
    assert main(approve) == 0
    assert main([*approve[:4], "bruno", *approve[5:]]) == 2
    err = capsys.readouterr().err
    assert f"item {item} was already edited by ana on {datetime.now(UTC):%Y-%m-%d}" in err
    assert main(["review", "reject", str(item), "--reviewer", "bruno", "--reason", "wrong", "--db", db]) == 2
    assert "already edited by ana" in capsys.readouterr().err
    # One decision, one memory line: the refused ones wrote nothing.
    assert _decisions(db, item) == [(1, "edited", None)]
    assert _memory(db) == [(SOURCE, "Dois por {price}")]


def test_a_change_of_mind_keeps_the_earlier_decision_and_undoes_its_memory(db, item, capsys):
    assert main(["review", "approve", str(item), "--reviewer", "ana", "--edit", "cta=Dois por {price}",
                 "--db", db]) == 0
    with pytest.raises(SystemExit) as refused:  # a change of mind says why
        main(["review", "change", str(item), "reject", "--reviewer", "ana", "--db", db])
    assert refused.value.code == 2 and "--reason" in capsys.readouterr().err
    assert main(["review", "change", str(item), "reject", "--reason", "the quantity is wrong", "--reviewer", "rui",
                 "--db", db]) == 0
    assert "rejected (revision 2, replacing: edited by ana" in capsys.readouterr().out
    first, second = _decisions(db, item)
    assert first[:2] == (1, "edited") and second[:2] == (2, "rejected") and second[2] is not None
    assert _memory(db) == []  # the approval's line is out of the memory again
    # The rejection in force is the eval's labelled negative, with the model's line.
    assert [(n["reason"], n["made"]["cta"]["model"]) for n in negatives(engine_for(db), "pt-PT")] == [
        ("the quantity is wrong", "Por {price}")]
    assert main(["review", "history", str(item), "--json", "--db", db]) == 0
    trail = json.loads(capsys.readouterr().out)
    assert [(d["revision"], d["decision"], d["reviewer"]) for d in trail] == [(1, "edited", "ana"), (2, "rejected", "rui")]


def test_change_needs_a_decision_to_change(db, item):
    with pytest.raises(Conflict, match=f"item {item} has no decision to change yet"):
        review.change(engine_for(db), item, "rejected", "ana", "why")


def at_the_same_moment(engine, calls: dict) -> dict[str, object]:
    """Run each named call in its own thread, all of them past the service's look at the decision
    in force before any writes; returns name -> result or the AdlocError raised."""
    from adloc.assets_db import review as store

    looked = threading.Barrier(len(calls))
    real_current = store.current
    first_look = threading.local()

    def current_then_wait(session, item_id):
        found = real_current(session, item_id)
        if not getattr(first_look, "done", False):  # the service's look, not the loser's read of the winner
            first_look.done = True
            looked.wait(timeout=30)
        return found

    outcomes: dict[str, object] = {}

    def call(name: str) -> None:
        try:
            outcomes[name] = calls[name]()
        except AdlocError as exc:
            outcomes[name] = exc

    store.current = current_then_wait
    try:
        threads = [threading.Thread(target=call, args=(name,)) for name in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        store.current = real_current
    return outcomes


@pytest.mark.parametrize("decision, lines", [("approved", ("Dois por {price}", "2 por {price}")),
                                             ("rejected", (None, None))])  # rejections write no memory
def test_two_reviewers_at_the_same_moment_one_wins(db, item, decision, lines):
    """Both pass the service's own look (no decision yet) before either writes: the database's
    unique (item, revision) refuses the second, and nothing of it is kept."""
    engine = engine_for(db)
    outcomes = at_the_same_moment(engine, {
        name: (lambda name=name, line=line: review.decide(
            engine, item, decision, name, "wrong" if line is None else "", {"cta": line} if line else {}))
        for name, line in zip(("ana", "rui"), lines, strict=True)})
    refused = [name for name, outcome in outcomes.items() if isinstance(outcome, Conflict)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    (winner,) = set(outcomes) - set(refused)
    said = "edited" if decision == "approved" else "rejected"
    assert f"item {item} was already {said} by {winner}" in str(outcomes[refused[0]])
    assert [(r, d) for r, d, _ in _decisions(db, item)] == [(1, said)]
    assert _memory(db) == ([(SOURCE, outcomes[winner]["memory"][0]["target"])] if decision == "approved" else [])


def test_two_items_with_the_same_line_approved_at_once_both_land(db, tmp_path):
    """Two items (one creative on two templates, say) share a source line: their approvals, at the
    same moment, are two decisions; the memory keeps one line for the source, not an error."""
    first, second = make_items(db, tmp_path, ("a", "b"))
    engine = engine_for(db)
    outcomes = at_the_same_moment(engine, {
        "ana": lambda: review.decide(engine, first, "approved", "ana", edits={"cta": "Dois por {price}"}),
        "rui": lambda: review.decide(engine, second, "approved", "rui", edits={"cta": "Dois por {price}"})})
    assert {name: o["decision"] for name, o in outcomes.items()} == {"ana": "edited", "rui": "edited"}, outcomes
    assert _memory(db) == [(SOURCE, "Dois por {price}")]


def test_a_change_of_mind_puts_back_the_memory_line_the_approval_replaced(db, item):
    """The catalog's memory had a line for the source; an approval replaced it, a change of mind
    to reject brings it back, as the catalog's."""
    engine = engine_for(db)
    with Session(engine) as session, session.begin():
        session.add(TMRow(locale="pt-PT", source=SOURCE, source_key=SOURCE.lower(), target="Leve 2 por {price}",
                          origin="import"))
    review.decide(engine, item, "approved", "ana", edits={"cta": "Dois por {price}"})
    assert _all_memory(db) == [(SOURCE, "Dois por {price}", "review")]
    review.change(engine, item, "rejected", "rui", "the catalog's line was right")
    assert _all_memory(db) == [(SOURCE, "Leve 2 por {price}", "import")]


def test_a_change_of_mind_keeps_a_line_another_items_approval_holds(db, tmp_path):
    first, second = make_items(db, tmp_path, ("a", "b"))
    engine = engine_for(db)
    review.decide(engine, first, "approved", "ana", edits={"cta": "Dois por {price}"})
    review.decide(engine, second, "approved", "rui", edits={"cta": "Dois por {price}"})
    review.change(engine, first, "rejected", "ana", "wrong creative")
    assert _all_memory(db) == [(SOURCE, "Dois por {price}", "review")]  # the second item's approval stands
    assert review.history(engine, first)[-1].decision == "rejected"
    with pytest.raises(NotFound, match="item 999: there is no item"):
        review.history(engine, 999)


def _all_memory(db) -> list[tuple[str, str, str]]:
    with Session(engine_for(db)) as session:
        return [(r.source, r.target, r.origin) for r in session.scalars(select(TMRow).where(TMRow.locale == "pt-PT"))]


def test_the_request_is_checked_before_anything_is_written(db, item):
    engine = engine_for(db)
    with pytest.raises(AdlocError, match="reason: say what is wrong"):
        review.decide(engine, item, "rejected", "ana")
    with pytest.raises(AdlocError, match="reviewer: ''"):
        review.decide(engine, item, "approved", "  ", edits={"cta": "Dois por {price}"})
    with pytest.raises(AdlocError, match="copy.headline: item .* has no slot 'headline'"):
        review.decide(engine, item, "approved", "ana", edits={"headline": "Olá"})
    with pytest.raises(AdlocError, match="copy.cta: an approved line cannot be empty"):
        review.decide(engine, item, "approved", "ana", edits={"cta": " "})
    assert _decisions(db, item) == [] and _memory(db) == []


def test_a_decided_item_is_a_conflict_before_the_request_is_looked_at(db, item):
    """A second decision says who decided, even when it also lacks a reason (the web's Reject
    without one): the conflict is what the person needs to know."""
    engine = engine_for(db)
    review.decide(engine, item, "approved", "ana", edits={"cta": "Dois por {price}"})
    with pytest.raises(Conflict, match="already edited by ana"):
        review.decide(engine, item, "rejected", "rui")


def test_a_rejection_says_what_is_wrong_and_only_those_model_lines_are_negatives(db, tmp_path):
    from adloc.assets_db.review import rejected_model_lines

    picture, line, unsaid = make_items(db, tmp_path, ("picture", "line", "unsaid"))
    review.decide(engine_for(db), picture, "rejected", "ana", "the talent is cut off", wrong=["image"])
    review.decide(engine_for(db), line, "rejected", "ana", "the quantity is gone", wrong=["cta", "image"])
    review.decide(engine_for(db), unsaid, "rejected", "ana", "no")
    made = {n["item"]: n["made"]["cta"] for n in negatives(engine_for(db), "pt-PT")}
    assert (made[picture]["wrong"], made[line]["wrong"], "wrong" in made[unsaid]) == (False, True, False)
    # The picture's rejection is no negative for the copy; the line's is; one that did not say counts.
    assert rejected_model_lines(engine_for(db), "pt-PT") == ((SOURCE, "Por {price}"), (SOURCE, "Por {price}"))


def test_what_is_wrong_must_name_a_slot_or_the_image_and_only_a_rejection_says_it(db, item, capsys):
    with pytest.raises(AdlocError, match=r"wrong: 'headline' is neither a slot of item \d+ \(cta\) nor image"):
        review.decide(engine_for(db), item, "rejected", "ana", "bad", wrong=["headline"])
    with pytest.raises(AdlocError, match="only a rejection says what is wrong"):
        review.decide(engine_for(db), item, "approved", "ana", edits={"cta": "Dois por {price}"}, wrong=["cta"])
    assert main(["review", "reject", str(item), "--reason", "meaning lost", "--wrong", "cta", "--db", db,
                 "--reviewer", "ana"]) == 0
    assert negatives(engine_for(db), "pt-PT")[0]["made"]["cta"]["wrong"] is True
