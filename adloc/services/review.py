"""Review decisions: the one place an item is approved or rejected, for the CLI and the web app.

An approval puts every localized line into the translation memory of the item's locale (the next
run takes them without the model); a rejection is kept as a labelled negative for the eval: of the
lines the reviewer said were wrong (`wrong`: slots, or `image`), or of every model line when the
reviewer did not say; a rejection for the picture alone is no negative for the copy. One
decision per item: a second one raises `Conflict` naming who decided and when. A deliberate change
of mind is `change`, which keeps the earlier decision and links the new one to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from adloc import locale as loc
from adloc.assets_db import review as store
from adloc.assets_db.review import Decision
from adloc.assets_db.schema import JobItemRow
from adloc.errors import AdlocError, Conflict, Forbidden, NotFound
from adloc.fields import has_control
from adloc.files import read_bytes
from adloc.records import CopyPath, Face, ItemRecord, ItemStatus, LineRecord, ReviewDecision
from adloc.services import deliver as delivery

pending = store.pending


@dataclass(frozen=True)
class Reviewers:
    """Who reviews which locales: `ADLOC_REVIEWERS="ana=fr-FR,de-DE;ben=*"` (name=locales, `;` between
    reviewers, `*` for every locale). Empty: nobody is limited. The web app, behind its token,
    refuses a decision outside the signed-in reviewer's locales; a name not listed reviews none."""

    locales: dict[str, frozenset[str] | None]  # None: every locale

    @classmethod
    def parse(cls, value: str | None, source: str = "ADLOC_REVIEWERS") -> Reviewers:
        """Raises AdlocError naming the entry and the value that is not `name=locale,...`."""
        out: dict[str, frozenset[str] | None] = {}
        for entry in (value or "").split(";"):
            if not entry.strip():
                continue
            name, sep, tags = entry.partition("=")
            name = name.strip()
            if not sep or not name or not tags.strip():
                raise AdlocError(f"{source}: {entry.strip()!r} is not name=locale,locale (or name=*)")
            if tags.strip() == "*":
                out[name] = None
                continue
            canonical = set()
            for tag in tags.split(","):
                try:
                    canonical.add(loc.canonical(tag.strip()))
                except ValueError as exc:
                    raise AdlocError(f"{source}: {name}: {tag.strip()!r} is not a locale ({exc})") from None
            out[name] = frozenset(canonical)
        return cls(out)

    def __bool__(self) -> bool:
        return bool(self.locales)

    def of(self, name: str | None) -> frozenset[str] | None:
        """The locales `name` may decide: None when nobody is limited or `name` reviews every
        locale; an empty set for a name not listed."""
        if not self.locales:
            return None
        return self.locales.get((name or "").strip(), frozenset())


def history(engine: Engine, item_id: int) -> list[Decision]:
    """Every decision taken on the item, oldest first; NotFound for an item that is not there."""
    with Session(engine) as session:
        if session.get(JobItemRow, item_id) is None:
            raise NotFound(f"item {item_id}: there is no item with this number")
    return store.history(engine, item_id)


def decide(engine: Engine, item_id: int, decision: ReviewDecision | str, reviewer: str, notes: str = "",
           edits: dict[str, str] | None = None, wrong: list[str] | None = None, override: bool = False,
           face: Face = Face.CLI, locales: frozenset[str] | None = None) -> dict:
    """Record the item's decision and carry it through to the output (`adloc.services.deliver`):
    `approved` (with optional per-slot `edits`; the item is set again with those lines and written
    under approved/) or `rejected` (with `notes`, the reason, and optionally what is `wrong`: slot
    names and/or "image"; its record moves to rejected/). A line failing a critical check, or lines
    that no longer fit, are approved only with `override`, which the decision records. Returns
    {item, decision, revision, memory: [{slot, source, target}], delivered: {status, uri} | None}
    (None: the item's run kept no picture to set the lines into; a rerun takes them from memory).
    `face` is where it was taken (recorded beside who and when); `locales`, when given, are the
    only locales this reviewer may decide (`Reviewers`): another item is refused with Forbidden.

    Raises AdlocError for a decision that cannot be taken as given (the message names the field),
    NotFound for an item that is not reviewable, Conflict when the item was already decided."""
    return _take(engine, item_id, decision, reviewer, notes, edits, change_of_mind=False, wrong=wrong,
                 override=override, face=face, locales=locales)


def change(engine: Engine, item_id: int, decision: ReviewDecision | str, reviewer: str, reason: str,
           edits: dict[str, str] | None = None, wrong: list[str] | None = None, override: bool = False,
           face: Face = Face.CLI, locales: frozenset[str] | None = None) -> dict:
    """Replace the item's decision in force with a new one, deliberately: the earlier decision is
    kept and the new one links to it. `reason` says why (for a rejection it is also its reason).
    Lines an earlier approval put into the memory are taken out again, unless re-approved.

    Raises Conflict when there is no decision to change, or someone changed it at the same time."""
    return _take(engine, item_id, decision, reviewer, reason, edits, change_of_mind=True, wrong=wrong,
                 override=override, face=face, locales=locales)


def _take(engine: Engine, item_id: int, decision, reviewer: str, notes: str, edits: dict[str, str] | None,
          change_of_mind: bool, wrong: list[str] | None = None, override: bool = False,
          face: Face = Face.CLI, locales: frozenset[str] | None = None) -> dict:
    edits = {slot: text.strip() for slot, text in (edits or {}).items()}
    # 1. The item and its decision in force: a second decision is refused whatever it says.
    with Session(engine) as session:
        item = session.get(JobItemRow, item_id)
        if item is None or item.status not in (ItemStatus.REVIEW, ItemStatus.APPROVED, ItemStatus.REJECTED):
            raise NotFound(f"item {item_id}: no item waiting for review has this number")
        locale, record_uri = item.locale, item.record_uri
        in_force = store.current(session, item_id)
    if locales is not None and locale not in locales:
        raise Forbidden(f"item {item_id} is {locale}: {reviewer or 'this reviewer'} reviews "
                        f"{', '.join(sorted(locales)) or 'no locale'} only (ADLOC_REVIEWERS)")
    if in_force is not None and not change_of_mind:
        raise Conflict(f"item {item_id} was already {in_force.said()}; a change of mind is a separate, "
                       "explicit change of its decision, with the reason")
    if in_force is None and change_of_mind:
        raise Conflict(f"item {item_id} has no decision to change yet")
    # 2. The request itself.
    try:
        decision = ReviewDecision(decision)
    except ValueError:
        raise AdlocError(f"decision: {decision!r} is not approved or rejected") from None
    if decision is ReviewDecision.EDITED:
        raise AdlocError("decision: say approved; an approval with edited lines is recorded as edited")
    reviewer, notes = reviewer.strip(), notes.strip()
    if not reviewer or has_control(reviewer):
        raise AdlocError(f"reviewer: {reviewer!r} does not name who decided (plain text)")
    if has_control(notes + "".join(edits.values())):
        raise AdlocError("reason and lines: plain text only (no control characters)")
    if (decision is ReviewDecision.REJECTED or change_of_mind) and not notes:
        raise AdlocError("reason: say what is wrong; a rejection becomes a labelled negative for the eval"
                         if not change_of_mind else "reason: say why the decision changes (kept in the audit trail)")
    emptied = sorted(slot for slot, text in edits.items() if not text)
    if decision is ReviewDecision.APPROVED and emptied:
        raise AdlocError(f"copy.{emptied[0]}: an approved line cannot be empty")

    record = item_record(item_id, record_uri)
    copy = {slot: line.as_run() for slot, line in record.copy.items()}  # as the run made them
    wrong = sorted({part.strip() for part in wrong or [] if part.strip()})
    if wrong and decision is not ReviewDecision.REJECTED:
        raise AdlocError("wrong: only a rejection says what is wrong (an approval corrects the lines instead)")
    named = sorted(set(wrong) - set(copy) - {"image"})
    if named:
        raise AdlocError(f"wrong: {named[0]!r} is neither a slot of item {item_id} ({', '.join(sorted(copy))}) "
                         "nor image")

    # 3. The lines as decided (a line sent as it already reads is no edit).
    edits = {slot: text for slot, text in edits.items() if slot not in copy or text != copy[slot].text.strip()}
    unknown = sorted(set(edits) - set(copy))
    if unknown:
        raise AdlocError(f"copy.{unknown[0]}: item {item_id} has no slot {unknown[0]!r} (slots: {', '.join(sorted(copy))})")
    lines = {slot: edits.get(slot) or line.text for slot, line in copy.items()}
    memory: dict[str, str] = {}
    if decision is ReviewDecision.APPROVED:
        # The English source kept for a translator must be translated; a line a model or the memory
        # wrote that reads like its source (a brand name, a shipped audit line) is approved as it is.
        untouched = sorted(slot for slot, text in lines.items() if text == copy[slot].source
                           and copy[slot].path is CopyPath.SOURCE and locale.split("-")[0] != "en")
        if untouched:
            raise AdlocError(f"copy.{untouched[0]}: item {item_id}'s line still holds the English source; "
                             "approve it with the line as it should read")
        memory = {copy[slot].source: text for slot, text in lines.items()}
    kind = ReviewDecision.EDITED if decision is ReviewDecision.APPROVED and edits else decision

    # 4. The deliverable, in memory: the lines set into the kept picture and checked again.
    if decision is ReviewDecision.REJECTED:
        prepared = delivery.rejection(engine, item_id, notes)
    else:
        prepared = delivery.prepare(engine, item_id, lines, reviewer, override) if record.picture else None

    # 5. Record it: the database refuses a second decision of the same revision.
    made = {slot: _made(copy[slot]) | ({"wrong": slot in wrong} if wrong else {})
            | ({"override": True} if prepared is not None and prepared.overridden else {}) for slot in lines}
    taken: Decision = store.record(engine, item_id, kind, reviewer, notes, lines, made, memory, locale, in_force, face)
    # 6. Then the output: written whole, then the database, then the old copies, manifest and report.
    done = delivery.publish(engine, prepared, taken) if prepared is not None else None
    return {"item": item_id, "decision": kind.value, "revision": taken.revision,
            "delivered": {"status": done.status.value, "uri": done.uri} if done else None,
            "supersedes": in_force.said() if in_force else None,
            "memory": [{"slot": slot, "source": copy[slot].source, "target": text}
                       for slot, text in sorted(lines.items()) if copy[slot].source in memory]}


def item_record(item_id: int, uri: str) -> ItemRecord:
    """Item `item_id`'s record at `uri`; NotFound when it cannot be read."""
    try:
        return ItemRecord.from_json(read_bytes(uri), uri)
    except OSError as exc:
        raise NotFound(f"item {item_id}: cannot read its record {uri}: {exc}") from None


def _made(line: LineRecord) -> dict:
    """What a decision keeps of a slot: its source, how its line was made, and the model's line
    (shipped, or the candidate the gate turned down) if the model made one."""
    model = line.text if line.path is CopyPath.MODEL else line.candidate
    made = {"source": line.source, "path": line.path.value, "model": model}
    if model and line.gate:
        made["gate"] = line.gate  # what the learned gate saw of the model's line: training data for the next one
    if line.shadow:
        made["shadow"] = line.shadow  # the shadow candidate's line and verdict: scored against the decision
    return made
