"""References + the previous lock + hubs -> the new lock.

Pins are kept: a model already in the previous lock, asked for the same way and choosing the
same files, keeps its entry (only where-used facts are refreshed), with no hub request at all.
When its file choice changed it is re-resolved at its pinned commit. Only ``upgrade`` (all)
or ``upgrade_models`` (by id) move a pin. References to hubs this build can't resolve, and
references whose model is unknown, are returned beside the lock, never silently dropped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from ptmlock.errors import RevisionNotFoundError
from ptmlock.hubs.interface import Hub
from ptmlock.hubs.selection import recorded_selection
from ptmlock.models import Lock, LockedModel, ModelRequest, Reference, Requirement
from ptmlock.named import locked_id

__all__ = [
    "LockResult",
    "lock_references",
    "request_key",
    "requests_from_references",
    "required_requests",
]

log = logging.getLogger(__name__)
NAMED_IN_CODE = "named in code"  # the api of a reference scan/link.py makes from a bare string


@dataclass(frozen=True, slots=True)
class LockResult:
    lock: Lock
    unresolved: tuple[Reference, ...]  # sites whose model the scan could not name
    unsupported: tuple[Reference, ...]  # models on hubs this build does not resolve yet
    resolved: tuple[str, ...]  # ids that needed a hub request


def requests_from_references(references: Iterable[Reference]) -> list[ModelRequest]:
    """One request per (hub, model, requested revision), merging every site that loads it.

    Low-confidence references (a model named in a README, say) are reported by the scan but
    not locked: installing what no code loads is a defect. ``ptmlock add`` declares one.
    """
    grouped: dict[tuple[str, str, str | None], list[Reference]] = defaultdict(list)
    for ref in references:
        if ref.model is not None and ref.confidence != "low":
            grouped[(ref.hub, locked_id(ref.model, ref.library), ref.revision)].append(ref)
    requests = []
    for (hub, model, revision), refs in sorted(grouped.items(), key=lambda kv: _sort_key(kv[0])):
        groups = sorted({r.group for r in refs if r.group})
        requests.append(
            ModelRequest(
                hub=hub,  # type: ignore[arg-type]  # came from a Reference, already a HubName
                id=model,
                requested=revision,
                libraries=_libraries(refs),
                files=tuple(sorted({f for r in refs for f in r.files})),
                used_by=tuple(sorted({r.location for r in refs}, key=_location_key)),
                loaders=tuple(sorted({r.api for r in refs})),
                group=groups[0] if groups else None,
                folder=min((r.folder for r in refs if r.folder), default=None),
            )
        )
    return requests


def _libraries(refs: list[Reference]) -> tuple[str, ...]:
    """The file policies of the loaders that load a model. A string merely naming the model
    elsewhere in code (``named in code``: a table of names, say) only guesses a library: it
    counts when no loader call says which library reads the model."""
    loaded = {r.library for r in refs if r.api != NAMED_IN_CODE}
    return tuple(sorted(loaded or {r.library for r in refs}))


def lock_references(
    references: Sequence[Reference],
    *,
    hubs: Callable[[str], Hub],
    supports: Callable[[str, str], bool],
    previous: Lock | None = None,
    upgrade: bool = False,
    upgrade_models: Iterable[str] = (),
    jobs: int = 4,
    patterns: dict[str, tuple[str, ...]] | None = None,
) -> LockResult:
    """Lock every resolvable reference. ``patterns`` maps model id -> user file patterns."""
    upgrading = set(upgrade_models)
    requests = [
        replace(r, patterns=(patterns or {}).get(r.id, ()))
        for r in requests_from_references(references)
    ]
    families = {locked_id(r.model, r.library): r.family for r in references if r.model and r.family}
    supported = [r for r in requests if supports(r.hub, r.id)]
    unsupported = tuple(
        r
        for r in references
        if r.model is not None and r.confidence != "low" and not supports(r.hub, r.model)
    )

    def pin(request: ModelRequest) -> tuple[LockedModel, bool]:
        old = _previous_entry(previous, request)
        if old is not None and not upgrade and request.id not in upgrading:
            wanted = recorded_selection(request.libraries, request.patterns, request.files)
            if (old.libraries, old.patterns) == wanted:
                return _refresh(old, request), False
            pinned = replace(request, requested=old.revision)
            fresh = _resolve(hubs, pinned, "the commit the lock pins")
            # the branch a ref-less torch.hub repo was found on stays what it was
            return replace(fresh, requested=request.requested, branch=old.branch), True
        return _resolve(
            hubs, request, "asked for at " + (", ".join(request.used_by[:3]) or "?")
        ), True

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pinned = _pin_with_requirements(supported, lambda batch: list(pool.map(pin, batch)))
    models = tuple(
        replace(model, family=model.family or families.get(model.id)) for model, _ in pinned
    )
    return LockResult(
        lock=Lock(models=tuple(sorted(models, key=lambda m: (m.hub, m.id, m.requested or "")))),
        unresolved=tuple(r for r in references if r.model is None),
        unsupported=unsupported,
        resolved=tuple(model.id for model, asked in pinned if asked),
    )


# requirements of requirements are followed this deep (remote code of a base model's remote
# code); a longer chain is a loop or a repo built to make locking run forever
_MAX_DEPTH = 4


def _pin_with_requirements(
    requests: list[ModelRequest],
    pin_all: Callable[[list[ModelRequest]], list[tuple[LockedModel, bool]]],
) -> list[tuple[LockedModel, bool]]:
    """Pin ``requests``, then the repos the pinned models require (``LockedModel.requires``),
    merged into the request for the same model and revision when the code loads it too."""
    by_key = {request_key(r): r for r in requests}
    pinned = dict(zip(by_key, pin_all(requests), strict=True))
    for _ in range(_MAX_DEPTH):
        wanted = required_requests(by_key, (model for model, _asked in pinned.values()))
        batch = [r for key, r in sorted(wanted.items()) if by_key.get(key) != r]
        if not batch:
            break
        by_key.update((request_key(r), r) for r in batch)
        pinned.update(zip((request_key(r) for r in batch), pin_all(batch), strict=True))
    return list(pinned.values())


def required_requests(
    by_key: Mapping[tuple[str, str, str], ModelRequest], models: Iterable[LockedModel]
) -> dict[tuple[str, str, str], ModelRequest]:
    """The request for each repo ``models`` require, merged into the code's own request for the
    same (hub, id, requested) in ``by_key`` when there is one."""
    wanted: dict[tuple[str, str, str], ModelRequest] = {}
    for model in models:
        for requirement in model.requires:
            key = ("huggingface", requirement.id, requirement.revision or "")
            base = wanted.get(key) or by_key.get(key) or _requirement_request(requirement)
            wanted[key] = _merge_requirement(base, requirement, model.id)
    return wanted


def request_key(request: ModelRequest) -> tuple[str, str, str]:
    """(hub, id, requested or "") of a request: what one lock entry stands for."""
    return (request.hub, request.id, request.requested or "")


def _requirement_request(requirement: Requirement) -> ModelRequest:
    return ModelRequest(
        hub="huggingface", id=requirement.id, requested=requirement.revision, libraries=()
    )


def _merge_requirement(
    request: ModelRequest, requirement: Requirement, needed_by: str
) -> ModelRequest:
    return replace(
        request,
        libraries=tuple(sorted({*request.libraries, requirement.library})),
        files=tuple(sorted({*request.files, *requirement.files})),
        required_by=tuple(sorted({*request.required_by, needed_by})),
    )


def _resolve(hubs: Callable[[str], Hub], request: ModelRequest, where: str) -> LockedModel:
    """Pin ``request``; a missing revision is named, with where the project asks for it."""
    try:
        return hubs(request.hub).resolve(request)
    except RevisionNotFoundError as exc:
        raise RevisionNotFoundError(
            f"{exc} {request.requested!r} ({where})",
            hint="name a branch, tag or commit the model has, or run `ptmlock scan --upgrade-model`"
            if where.startswith("the commit")
            else "name a branch, tag or commit the model has",
        ) from None


def _previous_entry(previous: Lock | None, request: ModelRequest) -> LockedModel | None:
    if previous is None:
        return None
    return next(
        (
            m
            for m in previous.models
            if (m.hub, m.id, m.requested) == (request.hub, request.id, request.requested)
        ),
        None,
    )


def _refresh(old: LockedModel, request: ModelRequest) -> LockedModel:
    return replace(
        old,
        used_by=request.used_by,
        loaders=request.loaders,
        group=request.group,
        required_by=request.required_by,
        folder=request.folder,
    )


def _sort_key(key: tuple[str, str, str | None]) -> tuple[str, str, str]:
    return (key[0], key[1], key[2] or "")


def _location_key(location: str) -> tuple[str, int]:
    file, _, line = location.rpartition(":")
    return (file, int(line) if line.isdigit() else 0)
