"""How a lock differs from what the code needs, and from another lock.

``code_drift`` answers from the references and the lock alone, with no hub: a model the code
loads that the lock lacks (added), one the lock holds that no code loads (removed), a model now
asked for at another branch, tag or commit (requested), a different file choice (patterns or
library), and where-used facts that moved. What it cannot know without the hub (the commit a
new request would pin, the files a new choice selects) is marked ``pending``; ``settle`` asks a
hub for exactly those. ``lock_drift`` compares two locks (what ``scan`` just changed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ptmlock.hubs.interface import Hub
from ptmlock.hubs.selection import recorded_selection
from ptmlock.locking import request_key, requests_from_references, required_requests
from ptmlock.models import Lock, LockedModel, ModelRequest, Reference
from ptmlock.named import locked_id

__all__ = ["Drift", "FieldChange", "code_drift", "lock_drift", "settle"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One recorded value that differs: ``old`` in the lock, ``new`` what it would be."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Drift:
    """One model whose lock entry is not what the code needs now."""

    change: str  # added | removed | changed
    hub: str
    id: str
    requested: str | None = None  # what the code asks for (removed: what the lock had)
    changes: tuple[FieldChange, ...] = ()
    used_by: tuple[str, ...] = ()
    pending: bool = False  # the new pin needs the hub, which was not (or could not be) asked
    note: str | None = None  # e.g. what the hub said when asked
    request: ModelRequest | None = None  # the request behind it, for ``settle``

    @property
    def detail(self) -> str:
        """The changes in words: ``revision 86b5e0934494 -> 1a2b3c4d5e6f; used_by ...``."""
        if self.change == "added":
            text = "used by " + (", ".join(self.used_by) or "config")
        elif self.change == "removed":
            text = "no longer used"
        else:
            text = "; ".join(_words(c) for c in self.changes)
        revision = next((c for c in self.changes if c.field == "revision"), None)
        if self.change == "added" and revision is not None:
            text += f"; would pin {_short(revision.new)}"
        if self.pending:
            text += "; new pin not known (needs the hub)"
        return text + (f"; {self.note}" if self.note else "")

    def __str__(self) -> str:
        return f"{self.change} {self.hub}:{self.id}: {self.detail}"


def _words(change: FieldChange) -> str:
    if change.field == "used_by":
        now, was = ", ".join(change.new) or "nothing", ", ".join(change.old) or "nothing"
        return f"used by {now} (was {was})"
    return f"{change.field} {_short(change.old)} -> {_short(change.new)}"


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    if (
        isinstance(value, str)
        and len(value) in (40, 64)
        and all(c in "0123456789abcdef" for c in value)
    ):
        return value[:12]
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def code_drift(
    references: Sequence[Reference],
    previous: Lock | None,
    *,
    supports: Callable[[str, str], bool],
    patterns: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Drift]:
    """What ``lock_references`` would change in ``previous``, decided without any hub."""
    requests = [
        replace(r, patterns=(patterns or {}).get(r.id, ()))
        for r in requests_from_references(references)
        if supports(r.hub, r.id)
    ]
    families = {locked_id(r.model, r.library): r.family for r in references if r.model and r.family}
    entries = list(previous.models) if previous else []
    exact = {(m.hub, m.id, m.requested): m for m in entries}
    requests = _with_requirements(requests, entries)
    matched = {(r.hub, r.id, r.requested) for r in requests if (r.hub, r.id, r.requested) in exact}
    spare = [m for m in entries if (m.hub, m.id, m.requested) not in matched]
    drift: list[Drift] = []
    for request in requests:
        old = exact.get((request.hub, request.id, request.requested))
        if old is not None:
            drift += _kept_entry_drift(old, request, families.get(request.id))
            continue
        moved = next((m for m in spare if m.key == (request.hub, request.id)), None)
        if moved is not None:
            spare.remove(moved)
            change = FieldChange("requested", moved.requested, request.requested)
            drift.append(_drift("changed", request, (change,), pending=True))
        else:
            drift.append(_drift("added", request, (), pending=True))
    drift += [
        Drift(change="removed", hub=m.hub, id=m.id, requested=m.requested, used_by=m.used_by)
        for m in spare
    ]
    return sorted(drift, key=lambda d: (d.hub, d.id, d.requested or ""))


def _with_requirements(
    requests: list[ModelRequest], entries: Sequence[LockedModel]
) -> list[ModelRequest]:
    """The code's requests plus the repos their lock entries require (remote code elsewhere,
    an open_clip tokenizer, a PEFT base), as ``lock_references`` adds them: those are in the
    lock because of the code, not loose entries."""
    by_key = {request_key(r): r for r in requests}
    locked = {(m.hub, m.id, m.requested or ""): m for m in entries}
    for _ in range(4):  # locking's depth
        models = [locked[key] for key in by_key if key in locked]
        batch = {k: r for k, r in required_requests(by_key, models).items() if by_key.get(k) != r}
        if not batch:
            break
        by_key.update(batch)
    return sorted(by_key.values(), key=request_key)


def _drift(
    change: str, request: ModelRequest, changes: tuple[FieldChange, ...], *, pending: bool
) -> Drift:
    return Drift(
        change=change,
        hub=request.hub,
        id=request.id,
        requested=request.requested,
        changes=changes,
        used_by=request.used_by,
        pending=pending,
        request=request,
    )


def _kept_entry_drift(old: LockedModel, request: ModelRequest, family: str | None) -> list[Drift]:
    """A lock entry the code still asks for the same way: its file choice and where-used facts."""
    libraries, recorded = recorded_selection(request.libraries, request.patterns, request.files)
    changes = []
    if old.libraries != libraries:
        changes.append(FieldChange("libraries", list(old.libraries), list(libraries)))
    if old.patterns != recorded:
        changes.append(FieldChange("patterns", list(old.patterns), list(recorded)))
    if changes:  # a new file choice: the files come from the hub at the same commit
        at_pin = replace(request, requested=old.revision)
        item = _drift("changed", at_pin, tuple(changes), pending=True)
        return [replace(item, requested=request.requested)]
    for name, new in (
        ("used_by", request.used_by),
        ("loaders", request.loaders),
        ("group", request.group),
        ("folder", request.folder),
    ):
        was = getattr(old, name)
        if was != new:
            changes.append(FieldChange(name, _plain(was), _plain(new)))
    if old.family is None and family is not None:
        changes.append(FieldChange("family", None, family))
    return [_drift("changed", request, tuple(changes), pending=False)] if changes else []


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def settle(
    drift: Iterable[Drift], hubs: Callable[[str], Hub], previous: Lock | None
) -> tuple[list[Drift], bool]:
    """Ask the hub for what only it knows (the new pin of each pending item). Stops asking at
    the first sign that the hub is unreachable; returns the items and whether it was reached."""
    from ptmlock import errors

    out: list[Drift] = []
    reachable = True
    for item in drift:
        if not item.pending or item.request is None or not reachable:
            out.append(item)
            continue
        try:
            pinned = hubs(item.hub).resolve(item.request)
        except (errors.HubUnreachableError, errors.TransientHubError, errors.OfflineError):
            reachable = False
            out.append(item)
            continue
        except errors.HubError as exc:
            out.append(replace(item, pending=False, note=f"the hub says: {exc}"))
            continue
        out.append(_with_pin(item, pinned, previous))
    return out, reachable


def _with_pin(item: Drift, pinned: LockedModel, previous: Lock | None) -> Drift:
    old = next(
        (m for m in (previous.models if previous else ()) if m.key == (item.hub, item.id)), None
    )
    changes = list(item.changes)
    was_revision = old.revision if old is not None and item.change != "added" else None
    if pinned.revision != was_revision:
        changes.append(FieldChange("revision", was_revision, pinned.revision))
    if old is not None and item.change != "added":
        before, after = [f.path for f in old.files], [f.path for f in pinned.files]
        if before != after:
            changes.append(FieldChange("files", before, after))
    return replace(item, changes=tuple(changes), pending=False)


def lock_drift(old: Lock | None, new: Lock) -> list[Drift]:
    """What moving from ``old`` to ``new`` changes, model by model, in lock order. An entry
    asked for another way (another ``requested``) counts as that model changed, not as one
    removed and one added."""
    before = {(m.hub, m.id, m.requested): m for m in old.models} if old else {}
    spare = [
        m
        for key, m in before.items()
        if key not in {(n.hub, n.id, n.requested) for n in new.models}
    ]
    drift = []
    for now in new.models:
        was = before.get((now.hub, now.id, now.requested))
        if was is None:
            was = next((m for m in spare if m.key == now.key), None)
            if was is not None:
                spare.remove(was)
        if was == now:
            continue
        if was is None:
            added = (FieldChange("revision", None, now.revision),)
            drift.append(_item("added", now, added))
        else:
            drift.append(_item("changed", now, _entry_changes(was, now)))
    drift += [_item("removed", m, ()) for m in spare]
    return sorted(drift, key=lambda d: (d.hub, d.id, d.requested or ""))


def _item(change: str, model: LockedModel, changes: tuple[FieldChange, ...]) -> Drift:
    return Drift(
        change=change,
        hub=model.hub,
        id=model.id,
        requested=model.requested,
        changes=changes,
        used_by=model.used_by,
    )


def _entry_changes(was: LockedModel, now: LockedModel) -> tuple[FieldChange, ...]:
    """Every recorded field that differs; files by path (or "hashes" when only they moved)."""
    changes = []
    for name in LockedModel.__dataclass_fields__:
        before, after = getattr(was, name), getattr(now, name)
        if before == after:
            continue
        if name == "files":
            before, after = [f.path for f in before], [f.path for f in after]
            if before == after:
                name, before, after = "file hashes", "(old)", "(new)"
        elif name == "base_models":
            before, after = [b.id for b in before], [b.id for b in after]
        changes.append(FieldChange(name, _plain(before), _plain(after)))
    return tuple(changes)
