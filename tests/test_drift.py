"""Drift between a lock and the code (no hub), and between two locks (what scan moved)."""

from __future__ import annotations

import dataclasses

from ptmlock.drift import Drift, FieldChange, code_drift, lock_drift, settle
from ptmlock.errors import HubUnreachableError, ModelNotFoundError
from ptmlock.hubs.interface import Hub, OpenFile
from ptmlock.hubs.selection import recorded_selection
from ptmlock.models import Lock, LockedFile, LockedModel, ModelRequest, Reference

API = "transformers.AutoModel.from_pretrained"
SHA = "a" * 40
FILE = LockedFile(path="config.json", size=2, sha256="b" * 64)


def _ref(model: str, line: int, revision: str | None = None, **kw: object) -> Reference:
    fields: dict[str, object] = {"api": API} | kw
    return Reference(file="app.py", line=line, hub="huggingface", model=model, revision=revision,
                     **fields)  # type: ignore[arg-type]  # fmt: skip


def _entry(model: str, line: int, requested: str | None = None, **kw: object) -> LockedModel:
    """What locking writes for ``_ref(model, line, requested)``."""
    libraries, patterns = recorded_selection(("transformers",))
    fields: dict[str, object] = {
        "hub": "huggingface",
        "id": model,
        "revision": SHA,
        "requested": requested,
        "files": (FILE,),
        "used_by": (f"app.py:{line}",),
        "loaders": (API,),
        "libraries": libraries,
        "patterns": patterns,
    } | kw
    return LockedModel(**fields)  # type: ignore[arg-type]


def _drift(refs: list[Reference], lock: Lock | None) -> list[Drift]:
    return code_drift(refs, lock, supports=lambda hub, _id: hub == "huggingface")


def test_code_drift_is_empty_when_the_lock_matches_the_code() -> None:
    lock = Lock(models=(_entry("org/a", 3), _entry("org/b", 4, "v1")))
    assert _drift([_ref("org/a", 3), _ref("org/b", 4, "v1")], lock) == []


def test_code_drift_names_added_removed_and_requested_changes_without_a_hub() -> None:
    lock = Lock(models=(_entry("org/a", 3), _entry("org/b", 4, "v1"), _entry("org/gone", 5)))
    drift = _drift([_ref("org/a", 3), _ref("org/b", 4, "v2"), _ref("org/new", 6)], lock)
    assert [(d.change, d.id, d.pending) for d in drift] == [
        ("changed", "org/b", True),
        ("removed", "org/gone", False),
        ("added", "org/new", True),
    ]
    assert drift[0].changes == (FieldChange("requested", "v1", "v2"),)
    assert drift[0].requested == "v2"
    assert str(drift[1]) == "removed huggingface:org/gone: no longer used"
    assert drift[2].used_by == ("app.py:6",)


def test_code_drift_sees_where_used_and_file_choice_changes() -> None:
    lock = Lock(models=(_entry("org/a", 3), _entry("org/b", 4)))
    refs = [_ref("org/a", 9), _ref("org/b", 4, library="sentence-transformers")]
    moved, choice = _drift(refs, lock)
    assert moved.changes == (FieldChange("used_by", ["app.py:3"], ["app.py:9"]),)
    assert not moved.pending and moved.detail == "used by app.py:9 (was app.py:3)"
    assert choice.pending and [c.field for c in choice.changes] == ["libraries"]
    assert choice.request is not None and choice.request.requested == SHA  # same commit
    assert choice.requested is None  # what the code asks for, not the pin


def test_code_drift_ignores_doc_mentions_and_unsupported_hubs() -> None:
    refs = [
        _ref("org/doc", 1, confidence="low", how="doc"),
        Reference(file="t.py", line=2, hub="pytorch_hub", model="pytorch/vision", api="x"),
    ]
    assert _drift(refs, Lock()) == []


class _Hub(Hub):
    """Answers from a table; an id missing from it raises the error given for it."""

    name = "huggingface"

    def __init__(self, pins: dict[str, str], failures: dict[str, Exception]) -> None:
        self.pins, self.failures = pins, failures
        self.asked: list[str] = []

    def resolve(self, request: ModelRequest) -> LockedModel:
        self.asked.append(request.id)
        if request.id in self.failures:
            raise self.failures[request.id]
        return _entry(request.id, 1, revision=self.pins[request.id])

    def open_file(self, model: LockedModel, file: LockedFile, *, offset: int = 0) -> OpenFile:
        raise AssertionError("drift never downloads")


def test_settle_asks_only_for_pending_items_and_stops_when_unreachable() -> None:
    lock = Lock(models=(_entry("org/a", 3), _entry("org/b", 4, "v1")))
    refs = [_ref("org/a", 7), _ref("org/b", 4, "v2"), _ref("org/new", 6), _ref("org/x", 8)]
    hub = _Hub({"org/b": "c" * 40, "org/new": "d" * 40},
               {"org/x": ModelNotFoundError("org/x: no such model")})  # fmt: skip
    settled, reached = settle(_drift(refs, lock), lambda _: hub, lock)
    assert reached and sorted(hub.asked) == ["org/b", "org/new", "org/x"]  # not org/a
    by_id = {d.id: d for d in settled}
    assert FieldChange("revision", SHA, "c" * 40) in by_id["org/b"].changes
    assert by_id["org/new"].changes == (FieldChange("revision", None, "d" * 40),)
    assert "would pin dddddddddddd" in by_id["org/new"].detail
    assert by_id["org/x"].note == "the hub says: org/x: no such model"
    assert not any(d.pending for d in settled)
    down = _Hub({}, {name: HubUnreachableError("down") for name in ("org/b", "org/new", "org/x")})
    settled, reached = settle(_drift(refs, lock), lambda _: down, lock)
    assert not reached and len(down.asked) == 1  # gave up after the first
    assert [d.id for d in settled if d.pending] == ["org/b", "org/new", "org/x"]


def test_lock_drift_says_what_scan_moved() -> None:
    old = Lock(models=(_entry("org/a", 3), _entry("org/b", 4, "v1"), _entry("org/gone", 5)))
    new = Lock(
        models=(
            _entry("org/a", 3, revision="e" * 40),
            _entry("org/b", 4, "v2", revision="f" * 40),
            _entry("org/new", 6),
        )
    )
    assert lock_drift(old, old) == []
    drift = {d.id: d for d in lock_drift(old, new)}
    assert drift["org/a"].changes == (FieldChange("revision", SHA, "e" * 40),)
    assert drift["org/b"].change == "changed"  # asked differently: one model moved
    assert FieldChange("requested", "v1", "v2") in drift["org/b"].changes
    assert drift["org/gone"].change == "removed" and drift["org/new"].change == "added"
    fewer = dataclasses.replace(_entry("org/a", 3), files=())
    [files] = lock_drift(Lock(models=(_entry("org/a", 3),)), Lock(models=(fewer,)))
    assert files.changes == (FieldChange("files", ["config.json"], []),)
    assert [d.change for d in lock_drift(None, old)] == ["added"] * 3
