"""One decision per item, on both engines: a second approve or reject is refused naming who decided
and when, even when two people decide at the same moment; a change of mind is explicit and keeps the
audit trail. No model, no pipeline: the item and its record are made directly."""

from __future__ import annotations

import json
import threading
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adloc.assets_db.engine import engine_for
from adloc.assets_db.review import negatives
from adloc.assets_db.schema import JobItemRow, JobRow, ReviewRow, TMRow
from adloc.cli import main
from adloc.errors import AdlocError, Conflict
from adloc.services import review

SOURCE = "Two for {price}"


@pytest.fixture
def item(db, tmp_path) -> int:
    """A finished job with one pt-PT item in review whose line is still the English source."""
    record = tmp_path / "item.json"
    record.write_text(json.dumps({"copy": {"cta": {
        "source": SOURCE, "text": SOURCE, "path": "source", "candidate": "Por {price}"}}}))
    with Session(engine_for(db)) as session, session.begin():
        job = JobRow(run_token="t" * 32, name="j", brand="Acme", channel="social", run_date=date(2026, 11, 27),
                     out_uri=str(tmp_path), spec="{}", status="done")
        session.add(job)
        session.flush()
        row = JobItemRow(job_id=job.id, creative="c", template="summer-banner", locale="pt-PT", status="review",
                         seed=1, record_uri=str(record))
        session.add(row)
        session.flush()
        return row.id


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
    assert f"item {item} was already edited by ana on {date.today():%Y-%m-%d}" in err
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


def test_two_reviewers_at_the_same_moment_one_wins(db, item):
    """Both pass the service's own look (no decision yet) before either writes: the database's
    unique (item, revision) refuses the second, and nothing of it is kept."""
    from adloc.assets_db import review as store

    engine = engine_for(db)
    looked = threading.Barrier(2)
    real_current = store.current

    first_look = threading.local()

    def current_then_wait(session, item_id):
        found = real_current(session, item_id)
        if not getattr(first_look, "done", False):  # the service's look, not the loser's read of the winner
            first_look.done = True
            looked.wait(timeout=30)
        return found

    outcomes: dict[str, object] = {}

    def decide(name: str, line: str) -> None:
        try:
            outcomes[name] = review.decide(engine, item, "approved", name, edits={"cta": line})
        except AdlocError as exc:
            outcomes[name] = exc

    store.current = current_then_wait
    try:
        threads = [threading.Thread(target=decide, args=(name, line))
                   for name, line in (("ana", "Dois por {price}"), ("rui", "2 por {price}"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        store.current = real_current
    refused = [name for name, outcome in outcomes.items() if isinstance(outcome, Conflict)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    (winner,) = set(outcomes) - set(refused)
    assert f"already edited by {winner}" in str(outcomes[refused[0]])
    assert len(_decisions(db, item)) == 1
    assert _memory(db) == [(SOURCE, outcomes[winner]["memory"][0]["target"])]


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
