"""``ptmlock scan`` and ``ptmlock check``: the inventory, the lock, and the drift gate."""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptmlock import errors
from ptmlock.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    LOCK_NAME,
    add_command,
    add_lock_option,
    emit_document,
    project_root,
)

if TYPE_CHECKING:
    from ptmlock.drift import Drift
    from ptmlock.hubs import HubSet
    from ptmlock.models import Lock, Reference, ScanResult


class _ScanProgress:
    """On a terminal: one line, "files 4096/14360" then "parsing 300/900", redrawn at most five
    times a second and erased at the end."""

    def __init__(self) -> None:
        self.last = 0.0
        self.drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        label = "looking at" if stage == "files" else "parsing"
        sys.stderr.write(f"\r\x1b[2Kscan: {label} {done}/{total} files")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def _run_scan(args: argparse.Namespace, root: Path) -> tuple[ScanResult, dict[str, Any]]:
    """The scan with progress on a terminal; its summary (files, skips, references, time)."""
    from ptmlock.project_config import load_config
    from ptmlock.scan import scan

    started = time.monotonic()
    show = not args.quiet and args.output_format != "json" and sys.stderr.isatty()
    progress = _ScanProgress() if show else None
    extra: dict[str, Any] = {"progress": progress} if progress else {}
    try:
        result = scan(root, config=load_config(root), jobs=args.jobs, **extra)
    finally:
        if progress:
            progress.close()
    summary = {
        "files_scanned": result.files_scanned,
        "files_skipped": len(result.skipped),
        "references": len(result.references),
        "unresolved": sum(1 for r in result.references if r.model is None),
        "seconds": round(time.monotonic() - started, 3),
    }
    return result, summary


def _say_summary(args: argparse.Namespace, summary: dict[str, Any], models: int | None) -> None:
    if args.quiet or args.output_format == "json":
        return
    locked = f", {models} model(s) locked" if models is not None else ""
    print(
        f"scanned {summary['files_scanned']} file(s) ({summary['files_skipped']} skipped) in "
        f"{summary['seconds']:.2f}s: {summary['references']} reference(s){locked}",
        file=sys.stderr,
    )


def cmd_scan(args: argparse.Namespace) -> int:
    from ptmlock.project_config import load_config

    root = project_root(args.path)
    if not root.is_dir():
        raise errors.ConfigError(f"{root}: not a directory")
    if args.offline and not args.check:
        raise errors.ConfigError(
            "scan --offline: only with --check (scan asks the hub for new pins; with "
            "HF_HUB_OFFLINE=1 it keeps every pin and fails on a model it would have to resolve)"
        )
    if args.explain:  # writes nothing and needs no lock
        return _explain(args, _run_scan(args, root)[0].references)
    lock_path = Path(args.lock) if args.lock else root / LOCK_NAME
    previous = _read_previous(lock_path)
    if args.upgrade_model:
        _check_upgrade_ids(args.upgrade_model, previous, lock_path)
    result, summary = _run_scan(args, root)
    config = load_config(root)
    patterns = {m.id: tuple(m.patterns) for m in config.models if m.patterns}
    if args.check:
        return _check(args, lock_path, previous, result, summary, patterns)
    if args.no_resolve:
        return _inventory(args, result, summary)
    return _lock(args, lock_path, previous, result, summary, patterns)


def _read_previous(lock_path: Path) -> Lock | None:
    from ptmlock.lockfile import read_lock

    return read_lock(lock_path) if lock_path.exists() else None


def _check_upgrade_ids(ids: Sequence[str], previous: Lock | None, lock_path: Path) -> None:
    """``--upgrade-model`` moves a pin the lock holds; any other id is a mistake, said so."""
    held = sorted({m.id for m in previous.models}) if previous else []
    for model_id in ids:
        if model_id not in held:
            close = difflib.get_close_matches(model_id, held, n=1)
            raise errors.ConfigError(
                f"--upgrade-model {model_id}: {lock_path} holds no such model",
                hint=f"did you mean {close[0]}?"
                if close
                else f"the lock holds: {', '.join(held) or 'nothing yet'}",
            )


def _inventory(args: argparse.Namespace, result: ScanResult, summary: dict[str, Any]) -> int:
    if args.output_format == "json":
        emit_document("scan", _scan_body(None, False, result, summary))
    else:
        _print_references(result.references, result.skipped)
        _say_summary(args, summary, None)
    return EXIT_OK


def _scan_body(
    lock_path: Path | None,
    written: bool,
    result: ScanResult,
    summary: dict[str, Any],
    lock: Lock | None = None,
    changes: Sequence[Drift] = (),
    unsupported: Sequence[Reference] = (),
) -> dict[str, Any]:
    """The keys of ``scan --json``: the same whether it resolved (wrote a lock) or not."""
    return {
        "lock": str(lock_path) if lock_path else None,
        "written": written,
        "models": [
            {
                "hub": m.hub,
                "id": m.id,
                "requested": m.requested,
                "revision": m.revision,
                "files": len(m.files),
                "size": m.total_size,
            }
            for m in (lock.models if lock else ())
        ],
        "changes": [drift_json(d) for d in changes],
        "references": [asdict(r) for r in result.references],
        "unsupported": [asdict(r) for r in unsupported],
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
        "summary": summary,
    }


def _lock(
    args: argparse.Namespace,
    lock_path: Path,
    previous: Lock | None,
    result: ScanResult,
    summary: dict[str, Any],
    patterns: dict[str, tuple[str, ...]],
) -> int:
    from ptmlock.drift import lock_drift
    from ptmlock.hubs import HubSet
    from ptmlock.lockfile import write_lock
    from ptmlock.locking import lock_references
    from ptmlock.project_config import load_config

    config = load_config(project_root(args.path))
    hubs = HubSet(url_mirrors=dict(config.url_mirrors))
    locked = lock_references(
        result.references,
        hubs=hubs,
        supports=hubs.supports,
        previous=previous,
        upgrade=args.upgrade,
        upgrade_models=args.upgrade_model or (),
        patterns=patterns,
    )
    changes = lock_drift(previous, locked.lock)
    written = write_lock(locked.lock, lock_path)
    if args.output_format == "json":
        body = _scan_body(
            lock_path, written, result, summary, locked.lock, changes, locked.unsupported
        )
        emit_document("scan", body)
        return EXIT_OK
    if not args.quiet:
        _print_references(result.references, result.skipped)
    for ref in locked.unsupported:
        print(f"note: {ref.location}: {ref.model} ({ref.hub}) not locked: hub not supported yet")
    for ref in locked.unresolved:
        print(f"warning: {unresolved_line(ref)}")
    if locked.unresolved:
        print(f"hint: {UNRESOLVED_HINT} (`ptmlock check` fails until then)")
    for item in changes:
        print(moved_line(item))
    state = "written" if written else "unchanged"
    print(f"{lock_path}: {len(locked.lock.models)} model(s), {state}")
    _say_summary(args, summary, len(locked.lock.models))
    return EXIT_OK


def moved_line(item: Drift) -> str:
    """What ``scan`` did to one entry, as ``uv lock`` says it: ``updated ID old → new``."""
    name = f"{item.id} ({item.requested})" if item.requested else item.id
    revision = next((c for c in item.changes if c.field == "revision"), None)
    requested = next((c for c in item.changes if c.field == "requested"), None)
    if item.change == "added":
        pin = f" @ {revision.new[:12]}" if revision else ""
        return f"added {item.hub}:{name}{pin}"
    if item.change == "removed":
        return f"removed {item.hub}:{name}"
    if requested is not None and revision is not None:
        return (
            f"updated {item.hub}:{item.id} {requested.old or '(default)'} → "
            f"{requested.new or '(default)'} ({revision.old[:12]} → {revision.new[:12]})"
        )
    if revision is not None:
        return f"updated {item.hub}:{name} {revision.old[:12]} → {revision.new[:12]}"
    return f"changed {item.hub}:{name}: {item.detail}"


def _explain(args: argparse.Namespace, refs: Sequence[Reference]) -> int:
    """``scan --explain ID``: every place the project names ``ID`` and how it reaches a loader."""
    from ptmlock.named import locked_id  # the id the lock lists it by

    model = args.explain
    wanted = model.lower()

    def names(ref: Reference, model: str) -> set[str]:
        return {model.lower(), _unscoped(model), locked_id(model, ref.library).lower()}

    found = [r for r in refs if r.model and wanted in names(r, r.model)]
    if args.output_format == "json":
        body = {"model": model, "references": [asdict(r) for r in found]}
        emit_document("scan explain", body, ok=bool(found))
    elif found:
        print(model)
        for ref in found:
            print(f"  {ref.location}: {ref.api} ({ref.how}, {ref.confidence} confidence)")
            for hop in ref.chain:
                print(f"      {hop}")
    else:
        print(f"{model}: not named anywhere the scan looked (try the id as the scan lists it)")
    return EXIT_OK if found else EXIT_PROBLEMS


def _unscoped(model: str) -> str:
    """``ollama/qwen3.5:9b`` is asked for as ``qwen3.5:9b``; ``torchaudio/X`` as ``X``."""
    scope, _, name = model.partition("/")
    return (
        name.lower()
        if scope
        in {"ollama", "torchaudio", "torchvision", "timm", "clip", "whisper", "open_clip", "spacy"}
        else model.lower()
    )


def drift_json(item: Drift) -> dict[str, Any]:
    """One drift item for JSON: structured old/new values, the words too."""
    return {
        "change": item.change,
        "hub": item.hub,
        "id": item.id,
        "requested": item.requested,
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in item.changes],
        "used_by": list(item.used_by),
        "pending": item.pending,
        "note": item.note,
        "detail": item.detail,
    }


UNRESOLVED_HINT = (
    "resolve it (a literal or constant id), declare the model in [tool.ptmlock] models with "
    'sites = ["FILE:LINE"] (`ptmlock add ID --site FILE:LINE`), or `ptmlock ignore FILE:LINE`'
)


def unresolved_line(ref: Reference) -> str:
    """One unresolved loader site: where, which loader, why, and what that means."""
    return (
        f"{ref.location}: {ref.api}: model not resolved ({ref.reason or 'not static'}), "
        "so nothing is locked for it"
    )


def _finding(ref: Reference) -> dict[str, Any]:
    return {
        "rule": "unresolved-loader",
        "file": ref.file,
        "line": ref.line,
        "message": unresolved_line(ref),
        "api": ref.api,
        "reason": ref.reason,
        "fix": UNRESOLVED_HINT,
    }


def _check(
    args: argparse.Namespace,
    lock_path: Path,
    previous: Lock | None,
    result: ScanResult,
    summary: dict[str, Any],
    patterns: dict[str, tuple[str, ...]],
) -> int:
    """The gate: what drifted, from the code and the lock alone; the hub only for new pins."""
    from ptmlock.drift import code_drift, settle
    from ptmlock.env import offline_from_env
    from ptmlock.hubs import HubSet

    drift = code_drift(result.references, previous, supports=HubSet().supports, patterns=patterns)
    asked = not (args.offline or offline_from_env()) and any(d.pending for d in drift)
    reached = True
    if asked:
        drift, reached = settle(drift, quick_hubs(), previous)
    consulted = asked and reached
    up_to_date = previous is not None and not drift
    # a loader site whose model is unresolved (not declared, not ignored) locks nothing: the
    # lock may be current, yet the application would fail offline there
    unresolved = [r for r in result.references if r.model is None]
    if args.output_format == "json":
        body = {
            "lock": str(lock_path),
            "lock_exists": previous is not None,
            "up_to_date": up_to_date,
            "hub_consulted": consulted,
            "drift": [drift_json(d) for d in drift],
            "findings": [_finding(r) for r in unresolved],
            "summary": summary,
        }
        emit_document("check", body, ok=up_to_date and not unresolved)
    else:
        for item in drift:
            print(f"  {item}")
        if asked and not reached:
            print("note: the hub is unreachable, so new pins are not shown; the list above needs")
            print("      no hub and is complete")
        if previous is None:
            print(f"{lock_path}: missing: run ptmlock scan")
        else:
            state = "up to date" if up_to_date else "out of date: run ptmlock scan"
            print(f"{lock_path}: {state}")
        for ref in unresolved:
            print(f"  unresolved {unresolved_line(ref)}")
        if unresolved:
            print(f"{len(unresolved)} unresolved loader site(s); fix: {UNRESOLVED_HINT}")
        _say_summary(args, summary, None)
    return EXIT_OK if up_to_date and not unresolved else EXIT_PROBLEMS


def quick_hubs() -> HubSet:
    """Hubs for a gate: the Hugging Face one gives up on an unreachable endpoint after one
    quick retry (a CI job should not wait 15 s to learn what the code alone tells)."""
    from ptmlock.hubs import HUB_FACTORIES, HubSet
    from ptmlock.retry import RetryPolicy

    factories = dict(HUB_FACTORIES)
    if factories.get("huggingface") == "ptmlock.hubs.huggingface:HuggingFaceHub":
        from ptmlock.hubs.huggingface import HuggingFaceHub

        policy = RetryPolicy(attempts=2, base_delay=0.2, max_delay=0.5, deadline=5.0)
        factories["huggingface"] = lambda: HuggingFaceHub(policy=policy)
    return HubSet(factories)


def _print_references(refs: Sequence[Any], skipped: Sequence[Any]) -> None:
    rows = [
        (
            ref.location,
            ref.model or f"(unresolved: {ref.reason or 'not static'})",
            ref.revision or "",
            ref.api,
            f"{ref.how}/{ref.confidence}",
            ref.family or "",
        )
        for ref in refs
    ]
    header = ("WHERE", "MODEL", "REVISION", "LOADER", "HOW", "FAMILY")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )
    for skip in skipped:
        print(f"skipped {skip.path}: {skip.reason}")


_PATH_HELP = "project root (default: the nearest folder upwards with pyproject.toml or ptm.lock)"
_OFFLINE_HELP = (
    "never ask the hub: report added, removed and requested-ref drift from the code and the lock "
    "alone (the default falls back to this when the hub is unreachable)"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    scan = add_command(
        sub,
        "scan",
        summary="find the models a project loads and write ptm.lock",
        description="Find every model the project's code, configs, notebooks, scripts and docs "
        "load, pin each to a commit with every file's sha256, and write PATH/ptm.lock. "
        "Existing pins are kept byte for byte; only --upgrade / --upgrade-model move them. "
        "Prints what moved (added, updated ID old → new, removed) and a summary line.",
        examples=[
            ("ptmlock scan", "lock the project in this folder (or the nearest parent)"),
            ("ptmlock scan --no-resolve --json", "the inventory only, no network, as JSON"),
            ("ptmlock scan --explain org/name", "why org/name is in the lock: each hop"),
        ],
        exits=(0, 2, 3),
    )
    scan.add_argument("path", nargs="?", default=None, help=_PATH_HELP)
    add_lock_option(scan, "PATH/ptm.lock")
    scan.add_argument("--no-resolve", action="store_true", help="inventory only, no network")
    scan.add_argument(
        "--upgrade", action="store_true", help="move every pin to what the hub has now"
    )
    scan.add_argument(
        "--upgrade-model",
        action="append",
        metavar="ID",
        help="move this model's pin (repeatable; an id the lock does not hold is an error)",
    )
    scan.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the lock is stale"
    )
    scan.add_argument("--offline", action="store_true", help=f"with --check: {_OFFLINE_HELP}")
    scan.add_argument(
        "--jobs", type=int, default=None, help="parallel parsers (default: one per CPU)"
    )
    scan.add_argument(
        "--explain",
        metavar="ID",
        help="write nothing; show every place that names model ID and each hop from there to "
        "the loading call (exit 1 if none)",
    )
    scan.set_defaults(handler=cmd_scan)

    check = add_command(
        sub,
        "check",
        summary="the CI gate: exit 1 listing what drifted if ptm.lock is not what the code needs",
        description="Write nothing; exit 1 and list each model added, removed or changed "
        "(requested ref, file choice, where used) if ptm.lock is not what the code needs now. "
        "The drift comes from the code and the lock alone; the hub is asked only for the pin "
        "a changed request would get, and when it is unreachable the drift is still reported "
        "(the same as scan --check).",
        examples=[
            ("ptmlock check", "gate CI on the lock being current"),
            ("ptmlock check --offline", "the same, never touching the network"),
            ("ptmlock check --json | jq .drift", "what drifted, old and new values as JSON"),
        ],
        exits=(0, 1, 2, 3),
    )
    check.add_argument("path", nargs="?", default=None, help=_PATH_HELP)
    add_lock_option(check, "PATH/ptm.lock")
    check.add_argument("--offline", action="store_true", help=_OFFLINE_HELP)
    check.add_argument(
        "--jobs", type=int, default=None, help="parallel parsers (default: one per CPU)"
    )
    check.set_defaults(
        handler=cmd_scan,
        check=True,
        no_resolve=False,
        upgrade=False,
        upgrade_model=None,
        explain=None,
    )
