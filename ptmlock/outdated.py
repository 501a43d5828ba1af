"""``ptmlock outdated``: for each locked model, has its requested ref moved on?

For a Hub model the ref is what the project asked for (``main`` when it asked for nothing).
A model is *current* when the ref still points at the locked commit, *behind* when the ref has
newer commits (with the date and how the locked files would change), and *unreachable* when
no branch or tag reaches the locked commit any more, or the repo or ref is *gone*: the next
fresh install of the lock fails, which is why those states are loud. It is a report; moving a
pin is ``ptmlock scan --upgrade-model ID``, for a human to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from ptmlock.errors import ModelNotFoundError, PtmlockError
from ptmlock.hubs.hf_repo import HfRepoView
from ptmlock.hubs.selection import effective_patterns
from ptmlock.models import Lock, LockedModel, ModelRequest

__all__ = ["FileChange", "ModelStatus", "OutdatedReport", "outdated", "outdated_json"]

_SHA = re.compile(r"^[0-9a-f]{40}$")
LOUD = frozenset({"unreachable", "gone"})


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    change: str  # changed | added | removed
    old_size: int | None = None
    new_size: int | None = None
    old_sha256: str | None = None
    new_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class ModelStatus:
    id: str
    hub: str
    locked: str
    ref: str | None
    status: str  # current | behind | unreachable | gone | pinned | unsupported | error
    latest: str | None = None
    latest_date: str | None = None
    commits_behind: int | None = None
    changes: tuple[FileChange, ...] = ()
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class OutdatedReport:
    models: tuple[ModelStatus, ...]

    @property
    def behind(self) -> bool:
        return any(m.status in LOUD | {"behind"} for m in self.models)

    def lines(self) -> list[str]:
        out = []
        for m in self.models:
            out.append(_line(m))
            out += [f"    {_change_line(c)}" for c in m.changes]
        if not out:
            out.append("no models in the lock")
        return out


def outdated(lock: Lock, view: HfRepoView) -> OutdatedReport:
    return OutdatedReport(tuple(_status(model, view) for model in lock.models))


def _status(model: LockedModel, view: HfRepoView) -> ModelStatus:
    base = ModelStatus(id=model.id, hub=model.hub, locked=model.revision, ref=None, status="")
    if model.hub != "huggingface":
        return _with(base, status="unsupported", detail=f"{model.hub} pins are not followed yet")
    ref = model.requested or "main"
    base = _with(base, ref=ref)
    if _SHA.match(ref):
        return _with(base, status="pinned", detail="the project asks for this exact commit")
    try:
        refs = view.refs(model.id)
    except ModelNotFoundError as error:
        return _with(base, status="gone", detail=f"the repo is gone or renamed: {error}")
    except PtmlockError as error:
        return _with(base, status="error", detail=str(error))
    if ref not in refs:
        reachable = _reachable(view, model, refs)
        state = "gone" if not reachable else "behind"
        return _with(base, status=state, detail=f"the ref {ref!r} no longer exists")
    head = refs[ref]
    try:
        history = view.history(model.id, ref)
    except PtmlockError as error:
        return _with(base, status="error", detail=str(error))
    date = history[0].date if history else None
    if head == model.revision:
        return _with(base, status="current", latest=head, latest_date=date)
    ids = [c.id for c in history]
    behind = ids.index(model.revision) if model.revision in ids else None
    changes, detail = _changes(model, head, view)
    if behind is None and not _reachable(view, model, refs):
        return _with(
            base,
            status="unreachable",
            latest=head,
            latest_date=date,
            changes=changes,
            detail="no branch or tag reaches the locked commit (history rewritten?): the next "
            "fresh install will fail; ptmlock scan --upgrade-model " + model.id,
        )
    return _with(
        base,
        status="behind",
        latest=head,
        latest_date=date,
        commits_behind=behind,
        changes=changes,
        detail=detail,
    )


def _reachable(view: HfRepoView, model: LockedModel, refs: dict[str, str]) -> bool:
    for name, head in refs.items():
        if head == model.revision:
            return True
        try:
            if any(c.id == model.revision for c in view.history(model.id, name)):
                return True
        except PtmlockError:
            continue
    return False


def _changes(
    model: LockedModel, head: str, view: HfRepoView
) -> tuple[tuple[FileChange, ...], str | None]:
    """How the locked files would change at ``head`` (chosen by the same patterns)."""
    patterns = (
        (*effective_patterns(model.libraries), *model.patterns)
        if model.libraries
        else (model.patterns)
    )
    request = ModelRequest(
        hub="huggingface", id=model.id, requested=head, libraries=(), patterns=patterns
    )
    try:
        fresh = view.resolve(request)
    except PtmlockError as error:
        return (), f"files at {head[:12]} not compared: {error}"
    old = {f.path: f for f in model.files}
    new = {f.path: f for f in fresh.files}
    changes = []
    for path in sorted(old.keys() | new.keys()):
        was, now = old.get(path), new.get(path)
        if was is not None and now is not None and was.sha256 == now.sha256:
            continue
        changes.append(
            FileChange(
                path=path,
                change="changed" if was and now else "removed" if was else "added",
                old_size=was.size if was else None,
                new_size=now.size if now else None,
                old_sha256=was.sha256 if was else None,
                new_sha256=now.sha256 if now else None,
            )
        )
    return tuple(changes), None


def _with(base: ModelStatus, **changes: Any) -> ModelStatus:
    return replace(base, **changes)


def _line(m: ModelStatus) -> str:
    where = f"{m.id} ({m.ref or '-'})"
    if m.status == "current":
        return f"{where}: current at {m.locked[:12]}"
    if m.status == "behind":
        count = f"{m.commits_behind} commit(s) " if m.commits_behind is not None else ""
        date = f" from {m.latest_date}" if m.latest_date else ""
        text = f"{where}: behind {count}{m.locked[:12]} -> {(m.latest or '?')[:12]}{date}"
        return text + (f" ({m.detail})" if m.detail else "")
    if m.status in LOUD:
        return f"!! {where}: {m.status.upper()}: locked {m.locked[:12]}: {m.detail}"
    return f"{where}: {m.status}" + (f" ({m.detail})" if m.detail else "")


def _change_line(c: FileChange) -> str:
    if c.change == "added":
        return f"+ {c.path} ({c.new_size} bytes, sha256 {(c.new_sha256 or '')[:12]})"
    if c.change == "removed":
        return f"- {c.path} ({c.old_size} bytes)"
    return (
        f"~ {c.path} ({c.old_size} -> {c.new_size} bytes, sha256 {(c.old_sha256 or '')[:12]} -> "
        f"{(c.new_sha256 or '')[:12]})"
    )


def outdated_json(report: OutdatedReport, *, lock: str) -> dict[str, Any]:
    return {
        "version": 1,
        "lock": lock,
        "behind": report.behind,
        "models": [
            {
                "id": m.id,
                "hub": m.hub,
                "ref": m.ref,
                "status": m.status,
                "locked": m.locked,
                "latest": m.latest,
                "latest_date": m.latest_date,
                "commits_behind": m.commits_behind,
                "changes": [
                    {
                        "path": c.path,
                        "change": c.change,
                        "old_size": c.old_size,
                        "new_size": c.new_size,
                        "old_sha256": c.old_sha256,
                        "new_sha256": c.new_sha256,
                    }
                    for c in m.changes
                ],
                "detail": m.detail,
            }
            for m in report.models
        ],
    }
