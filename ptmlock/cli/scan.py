"""``ptmlock scan`` and ``ptmlock check``: the inventory, the lock, and the drift gate."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ptmlock import errors
from ptmlock.cli._common import EXIT_OK, EXIT_PROBLEMS, add_lock_option, emit_json
from ptmlock.models import Lock, Reference


def cmd_scan(args: argparse.Namespace) -> int:
    from ptmlock.hubs import HubSet
    from ptmlock.lockfile import read_lock, write_lock
    from ptmlock.locking import lock_references
    from ptmlock.project_config import load_config
    from ptmlock.scan import scan

    root = Path(args.path)
    if not root.is_dir():
        raise errors.ConfigError(f"{root}: not a directory")
    config = load_config(root)
    result = scan(root, config=config, jobs=args.jobs)
    refs = result.references
    if args.no_resolve:
        if args.format == "json":
            emit_json(
                {
                    "references": [asdict(r) for r in refs],
                    "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
                    "files_scanned": result.files_scanned,
                }
            )
        else:
            _print_references(refs, result.skipped)
        return EXIT_OK
    lock_path = Path(args.lock) if args.lock else root / "ptm.lock"
    previous = read_lock(lock_path) if lock_path.exists() else None
    hubs = HubSet()
    locked = lock_references(
        refs,
        hubs=hubs,
        supports=hubs.supports,
        previous=previous,
        upgrade=args.upgrade,
        upgrade_models=args.upgrade_model or (),
        patterns={m.id: tuple(m.patterns) for m in config.models if m.patterns},
    )
    if args.check:
        return _report_drift(
            lock_path, previous, locked.lock, locked.unresolved, args.format == "json"
        )
    changed = write_lock(locked.lock, lock_path)
    if args.format == "json":
        emit_json(
            {
                "lock": str(lock_path),
                "changed": changed,
                "models": [
                    {"hub": m.hub, "id": m.id, "revision": m.revision} for m in locked.lock.models
                ],
                "references": [asdict(r) for r in refs],
            }
        )
    else:
        _print_references(refs, result.skipped)
        for ref in locked.unsupported:
            print(
                f"note: {ref.location}: {ref.model} ({ref.hub}) not locked: hub not supported yet"
            )
        for ref in locked.unresolved:
            print(f"warning: {_unresolved_line(ref)}")
        if locked.unresolved:
            print(f"hint: {UNRESOLVED_HINT} (`ptmlock check` fails until then)")
        state = "written" if changed else "unchanged"
        print(f"{lock_path}: {len(locked.lock.models)} model(s), {state}")
    return EXIT_OK


UNRESOLVED_HINT = (
    "resolve it (a literal or constant id), declare the model in [tool.ptmlock] models with "
    'sites = ["FILE:LINE"] (`ptmlock add ID --site FILE:LINE`), or `ptmlock ignore FILE:LINE`'
)


def _unresolved_line(ref: Reference) -> str:
    return (
        f"{ref.location}: {ref.api}: model not resolved ({ref.reason or 'not static'}), "
        "so nothing is locked for it"
    )


def _report_drift(
    lock_path: Path,
    previous: Lock | None,
    lock: Lock,
    unresolved: Sequence[Reference],
    as_json: bool,
) -> int:
    """``scan --check``: exit 1 and say what differs when the lock is not what the code needs,
    or when a loader site loads a model the lock can't hold (unresolved, not declared or
    ignored): the application would fail offline there."""
    from ptmlock.lockfile import dumps_lock
    from ptmlock.locking import lock_drift

    drift = lock_drift(previous, lock)
    same = previous is not None and dumps_lock(lock) == dumps_lock(previous)
    if as_json:
        emit_json(
            {
                "lock": str(lock_path),
                "up_to_date": same,
                "drift": [asdict(d) for d in drift],
                "unresolved": [
                    {"file": r.file, "line": r.line, "api": r.api, "reason": r.reason}
                    for r in unresolved
                ],
            }
        )
    else:
        for item in drift:
            print(f"  {item}")
        for ref in unresolved:
            print(f"  unresolved {_unresolved_line(ref)}")
        state = "up to date" if same else "out of date: run ptmlock scan"
        print(f"{lock_path}: {state}" if previous else f"{lock_path}: missing: run ptmlock scan")
        if unresolved:
            print(f"{len(unresolved)} unresolved loader site(s); fix: {UNRESOLVED_HINT}")
    return EXIT_OK if same and not unresolved else EXIT_PROBLEMS


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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    scan = sub.add_parser("scan", help="find the models a project loads and write ptm.lock")
    scan.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    add_lock_option(scan, "PATH/ptm.lock")
    scan.add_argument("--no-resolve", action="store_true", help="inventory only, no network")
    scan.add_argument("--format", choices=("table", "json"), default="table")
    scan.add_argument(
        "--upgrade", action="store_true", help="move every pin to what the hub has now"
    )
    scan.add_argument("--upgrade-model", action="append", metavar="ID", help="move one model's pin")
    scan.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the lock is stale"
    )
    scan.add_argument("--jobs", type=int, default=None, help="parallel parsers")
    scan.set_defaults(handler=cmd_scan)

    check = sub.add_parser(
        "check",
        help="the CI gate: exit 1 and list what drifted if ptm.lock is not what the code needs "
        "(scan --check)",
    )
    check.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    add_lock_option(check, "PATH/ptm.lock")
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument("--jobs", type=int, default=None, help="parallel parsers")
    check.set_defaults(
        handler=cmd_scan, check=True, no_resolve=False, upgrade=False, upgrade_model=None
    )
