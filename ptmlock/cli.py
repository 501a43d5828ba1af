"""The ``ptmlock`` command: argparse subcommands over the library API.

This is the only module that prints or exits. Exit codes: 0 ok, 1 a check found problems,
2 usage, input or local storage error, 3 hub or network failure. An unexpected exception is a
bug: it is shown with its traceback and a request to report it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ptmlock import __version__, errors
from ptmlock.models import Lock
from ptmlock.sizes import human_size

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_HUB = 0, 1, 2, 3
# Most specific first: the first matching class decides the exit code.
EXIT_CODES: tuple[tuple[type[errors.PtmlockError], int], ...] = (
    (errors.IntegrityError, EXIT_PROBLEMS),
    (errors.LockFileError, EXIT_USAGE),
    (errors.ConfigError, EXIT_USAGE),
    (errors.HubError, EXIT_HUB),
    (errors.UnsafePathError, EXIT_HUB),
    (errors.PtmlockError, EXIT_USAGE),
)
Handler = Callable[[argparse.Namespace], int]


def _err(message: str) -> None:
    print(f"ptmlock: error: {message}", file=sys.stderr)


def _emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False))


def _lock_path(args: argparse.Namespace) -> Path:
    return Path(args.lock) if args.lock else Path("ptm.lock")


# -- scan ---------------------------------------------------------------------------------------
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
            _emit_json(
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
        return _report_drift(lock_path, previous, locked.lock, args.format == "json")
    changed = write_lock(locked.lock, lock_path)
    if args.format == "json":
        _emit_json(
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
        state = "written" if changed else "unchanged"
        print(f"{lock_path}: {len(locked.lock.models)} model(s), {state}")
    return EXIT_OK


def _report_drift(lock_path: Path, previous: Lock | None, lock: Lock, as_json: bool) -> int:
    """``scan --check``: exit 1 and say what differs when the lock is not what the code needs."""
    from ptmlock.lockfile import dumps_lock
    from ptmlock.locking import lock_drift

    drift = lock_drift(previous, lock)
    same = previous is not None and dumps_lock(lock) == dumps_lock(previous)
    if as_json:
        _emit_json(
            {"lock": str(lock_path), "up_to_date": same, "drift": [asdict(d) for d in drift]}
        )
    else:
        for item in drift:
            print(f"  {item}")
        state = "up to date" if same else "out of date: run ptmlock scan"
        print(f"{lock_path}: {state}" if previous else f"{lock_path}: missing: run ptmlock scan")
    return EXIT_OK if same else EXIT_PROBLEMS


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


# -- install / verify ---------------------------------------------------------------------------
class _Progress:
    """On a terminal: a line of overall bytes, speed and ETA, then a bar per active file,
    redrawn in place (ANSI) at most five times a second, the first time 0.2 s in (work that is
    done sooner shows nothing). Called from every worker thread."""

    WIDTH = 24  # characters of a file's bar
    SHOWN = 8  # active files drawn at most

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.started = self.last = time.monotonic()
        self.active: dict[str, list[int]] = {}
        self.drawn = 0  # lines on screen from the last draw
        self._lock = threading.Lock()

    def __call__(self, event: str, name: str, amount: int) -> None:
        with self._lock:
            self._update(event, name, amount)

    def _update(self, event: str, name: str, amount: int) -> None:
        if event == "reused":
            self.total -= amount  # nothing to fetch for it
        elif event == "start":
            self.active[name] = [0, amount]
        elif event == "bytes":
            self.done += amount
            if name in self.active:
                self.active[name][0] += amount
        elif event == "done":
            self.active.pop(name, None)
        now = time.monotonic()
        if now - self.last >= 0.2 or (event == "done" and self.drawn):
            self.last = now
            self._draw(now)

    def _lines(self, now: float) -> list[str]:
        speed = self.done / max(now - self.started, 1e-6)
        eta = max(self.total - self.done, 0) / speed if speed > 0 else 0
        fetched, total = human_size(self.done), human_size(self.total)
        lines = [
            f"{fetched} / {total}  {human_size(int(speed))}/s  ETA {eta:.0f}s"
            f"  ({len(self.active)} active)"
        ]
        for name, (done, size) in list(self.active.items())[: self.SHOWN]:
            filled = self.WIDTH * done // max(size, 1)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            lines.append(f"  [{bar}] {100 * done // max(size, 1):3d}%  {name[-60:]}")
        return lines

    def _draw(self, now: float) -> None:
        lines = self._lines(now)
        up = f"\x1b[{self.drawn}F" if self.drawn else "\r"
        blank = [""] * max(self.drawn - len(lines), 0)  # erase lines of finished files
        sys.stderr.write(up + "".join(f"\x1b[2K{line}\n" for line in lines + blank))
        sys.stderr.flush()
        self.drawn = len(lines) + len(blank)

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write(
                f"\x1b[{self.drawn}F" + "\x1b[2K\n" * self.drawn + f"\x1b[{self.drawn}F"
            )
            sys.stderr.flush()


def cmd_install(args: argparse.Namespace) -> int:
    from ptmlock.env import offline_from_env
    from ptmlock.hubs import HubSet
    from ptmlock.install import install
    from ptmlock.lockfile import read_lock

    lock = read_lock(_lock_path(args))
    total = sum(m.total_size for m in lock.models)
    show = not args.quiet and not args.json and sys.stderr.isatty()
    progress = _Progress(total) if show else None
    extra: dict[str, Any] = {"progress": progress} if progress else {}
    try:
        report = install(
            lock,
            hubs=HubSet(),
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            target=Path(args.target) if args.target else None,
            jobs=args.jobs,
            offline=args.offline or offline_from_env(),
            **extra,
        )
    finally:
        if progress:
            progress.close()
    if args.json:
        _emit_json(
            {
                "fetched": [asdict(f) for f in report.fetched],
                "reused": [asdict(f) for f in report.reused],
                "bytes_fetched": report.bytes_fetched,
                "seconds": round(report.seconds, 3),
            }
        )
    elif not args.quiet:
        if not report.fetched:
            print(f"nothing to do: {len(report.reused)} file(s) already installed and verified")
        else:
            rate = report.bytes_fetched / max(report.seconds, 1e-6)
            print(
                f"installed {len(report.fetched)} file(s), {human_size(report.bytes_fetched)} in "
                f"{report.seconds:.1f}s ({human_size(int(rate))}/s), every byte verified; "
                f"{len(report.reused)} already present"
            )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from ptmlock.lockfile import read_lock
    from ptmlock.verify import verify

    lock = read_lock(_lock_path(args))
    show = not args.json and sys.stderr.isatty()
    progress = _Progress(sum(m.total_size for m in lock.models)) if show else None
    extra: dict[str, Any] = {"progress": progress} if progress else {}
    try:
        report = verify(
            lock,
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            full=args.full,
            **extra,
        )
    finally:
        if progress:
            progress.close()
    if args.json:
        _emit_json(
            {
                "ok": report.ok,
                "checked": report.checked,
                "hashed": report.hashed,
                "problems": [asdict(p) for p in report.problems],
            }
        )
    else:
        for problem in report.problems:
            print(f"FAIL {problem}")
        verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        print(f"verified {report.checked} file(s) ({report.hashed} hashed): {verdict}")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


# -- export -------------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from ptmlock.atomic import write_atomic
    from ptmlock.env import endpoint_from_env
    from ptmlock.exporters import get_exporter
    from ptmlock.exporters.interface import ExportOptions
    from ptmlock.lockfile import read_lock

    lock_path = _lock_path(args)
    lock = read_lock(lock_path)
    exporter = get_exporter(args.format)
    merge = None
    if args.merge:
        try:
            merge = Path(args.merge).read_bytes()
        except OSError as exc:
            raise errors.ConfigError(f"{args.merge}: cannot read BOM to merge: {exc}") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and not epoch.strip().isdigit():
        raise errors.ConfigError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds")
    options = ExportOptions(
        project_name=args.project_name or lock_path.resolve().parent.name,
        project_version=args.project_version,
        spec_version=args.spec_version,
        merge=merge,
        reproducible=args.reproducible,
        source_date_epoch=int(epoch) if epoch is not None else None,
        endpoint=endpoint_from_env(),
        validate=args.validate,
    )
    document = exporter.export(lock, options)
    if args.output and args.output != "-":
        write_atomic(Path(args.output), document)
        print(
            f"wrote {args.output} ({exporter.name}, {len(lock.models)} model(s))", file=sys.stderr
        )
    else:
        sys.stdout.buffer.write(document)
    return EXIT_OK


# -- serve / mirror -----------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from ptmlock.mirror.server import serve

    root = Path(args.dir)
    if not root.is_dir():
        raise errors.ConfigError(f"{root}: not a directory")

    def ready(server: Any) -> None:
        repos = len(server.store.repos())
        print(f"serving {repos} repo(s) from {root} at {server.url} (Ctrl-C stops)", flush=True)

    try:
        serve(root, host=args.host, port=args.port, ready=ready)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise errors.ConfigError(f"cannot listen on {args.host}:{args.port}: {exc}") from None
    return EXIT_OK


def cmd_mirror_add(args: argparse.Namespace) -> int:
    from ptmlock.mirror.store import RepoStore

    folder = Path(args.folder)
    if not folder.is_dir():
        raise errors.ConfigError(f"{folder}: not a directory")
    store = RepoStore(Path(args.dir))
    commit = store.commit(args.repo_id, folder, branch=args.branch, message=args.message)
    for tag in args.tag or ():
        store.tag(args.repo_id, tag, commit)
    if args.gated:
        store.set_gated(args.repo_id, "manual", tokens=args.token or [])
    print(f"{args.repo_id}@{commit} ({args.branch})")
    return EXIT_OK


def cmd_mirror_import(args: argparse.Namespace) -> int:
    from ptmlock.env import hf_cache_dir
    from ptmlock.mirror import RepoStore, import_folders, import_hf_cache

    store = RepoStore(Path(args.dir))
    if args.from_folders:
        source = Path(args.from_folders)
        if not source.is_dir():
            raise errors.ConfigError(f"{source}: not a directory")
        for repo_id, commit in import_folders(store, source, link=args.link).items():
            print(f"{repo_id}@{commit}")
    else:
        cache = Path(args.from_cache) if args.from_cache else hf_cache_dir()
        if not cache.is_dir():
            raise errors.ConfigError(f"{cache}: not a Hugging Face cache directory")
        for repo_id, commits in import_hf_cache(store, cache, link=args.link).items():
            print(f"{repo_id}: {len(commits)} snapshot(s)")
    return EXIT_OK


# -- [tool.ptmlock] -----------------------------------------------------------------------------
def _pyproject(args: argparse.Namespace) -> Path:
    folder = Path(args.project)
    if not folder.is_dir():
        raise errors.ConfigError(f"{folder}: not a directory (--project names the project root)")
    return folder / "pyproject.toml"


def cmd_add(args: argparse.Namespace) -> int:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils._validators import validate_repo_id

    from ptmlock.project_config import add_model

    pyproject = _pyproject(args)
    try:
        validate_repo_id(args.model_id)
    except HFValidationError:
        raise errors.ConfigError(
            f"{args.model_id!r} is not a Hugging Face model id (expected org/name or name)"
        ) from None
    add_model(pyproject, args.model_id, revision=args.revision, patterns=tuple(args.pattern or ()))
    print(f"{pyproject}: added {args.model_id} to [tool.ptmlock]; run `ptmlock scan` to lock it")
    return EXIT_OK


def cmd_ignore(args: argparse.Namespace) -> int:
    from ptmlock.project_config import add_ignore

    pyproject = _pyproject(args)
    add_ignore(pyproject, args.entry)
    print(f"{pyproject}: ignoring {args.entry}")
    return EXIT_OK


# -- the parser ---------------------------------------------------------------------------------
def _add_lock(parser: argparse.ArgumentParser, default: str = "./ptm.lock") -> None:
    parser.add_argument("--lock", metavar="FILE", help=f"the lock file (default: {default})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ptmlock",
        description="The lockfile for pre-trained models: find every model a project loads, pin "
        "it with hashes in ptm.lock, install exactly those bytes, export an ML-BOM.",
        epilog="Exit codes: 0 ok, 1 a check found problems, 2 usage, input or local storage "
        "error, 3 hub or network failure, 70 a bug in ptmlock, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"ptmlock {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = sub.add_parser("scan", help="find the models a project loads and write ptm.lock")
    scan.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    _add_lock(scan, "PATH/ptm.lock")
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
    _add_lock(check, "PATH/ptm.lock")
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument("--jobs", type=int, default=None, help="parallel parsers")
    check.set_defaults(
        handler=cmd_scan, check=True, no_resolve=False, upgrade=False, upgrade_model=None
    )

    inst = sub.add_parser("install", help="fetch the locked files, verify every byte, place them")
    _add_lock(inst)
    inst.add_argument("--cache-dir", metavar="DIR", help="HF cache (default: HF_HUB_CACHE/HF_HOME)")
    inst.add_argument("--target", metavar="DIR", help="also materialize DIR/<model id>/ folders")
    inst.add_argument("--jobs", type=int, default=8, help="parallel downloads (default: 8)")
    inst.add_argument(
        "--offline", action="store_true", help="no network; fail listing what's missing"
    )
    inst.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary")
    inst.add_argument("--json", action="store_true", help="a JSON summary on stdout")
    inst.set_defaults(handler=cmd_install)

    ver = sub.add_parser("verify", help="check the cache against the lock (exit 1 on a mismatch)")
    _add_lock(ver)
    ver.add_argument("--cache-dir", metavar="DIR", help="HF cache (default: HF_HUB_CACHE/HF_HOME)")
    ver.add_argument("--full", action="store_true", help="rehash everything, ignore the record")
    ver.add_argument("--json", action="store_true", help="a JSON report on stdout")
    ver.set_defaults(handler=cmd_verify)

    exp = sub.add_parser("export", help="write an ML-BOM of the lock")
    _add_lock(exp)
    exp.add_argument(
        "--format", required=True, help="cyclonedx-json, cyclonedx-xml, spdx-json, markdown"
    )
    exp.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    exp.add_argument(
        "--spec-version", help="format version: 1.5, 1.6 (default) or 1.7 for CycloneDX"
    )
    exp.add_argument("--merge", metavar="BOM", help="add the models to this existing BOM")
    exp.add_argument(
        "--reproducible", action="store_true", help="fixed serial number and timestamp"
    )
    exp.add_argument(
        "--validate",
        action="store_true",
        help="also schema-validate CycloneDX JSON (slow on large BOMs; XML is always validated)",
    )
    exp.add_argument("--project-name", help="the root component (default: the lock's folder name)")
    exp.add_argument("--project-version", help="the root component's version")
    exp.set_defaults(handler=cmd_export)

    srv = sub.add_parser("serve", help="serve a folder of model repos as a read-only Hub")
    srv.add_argument("dir", help="the mirror folder (built with `ptmlock mirror add`)")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8765)
    srv.set_defaults(handler=cmd_serve)

    mirror = sub.add_parser("mirror", help="build model repos for `ptmlock serve`")
    msub = mirror.add_subparsers(dest="mirror_command", required=True, metavar="ACTION")
    madd = msub.add_parser("add", help="commit a folder of files as a model repo revision")
    madd.add_argument("dir", help="the mirror folder")
    madd.add_argument("repo_id", help="e.g. org/name")
    madd.add_argument("folder", help="the files of the new commit")
    madd.add_argument("--branch", default="main")
    madd.add_argument("--tag", action="append", help="also tag the commit (repeatable)")
    madd.add_argument("--message", default="", help="commit message")
    madd.add_argument("--gated", action="store_true", help="require a token for file downloads")
    madd.add_argument("--token", action="append", help="a token allowed to read a gated repo")
    madd.set_defaults(handler=cmd_mirror_add)
    mimp = msub.add_parser("import", help="import repo folders or a Hugging Face cache (air gap)")
    mimp.add_argument("dir", help="the mirror folder")
    source = mimp.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-folders", metavar="SRC", help="SRC/org/name/ folders of files")
    source.add_argument(
        "--from-cache",
        metavar="CACHE",
        nargs="?",
        const="",
        help="an HF cache (default: HF_HUB_CACHE); commit ids are kept, so locks still apply",
    )
    mimp.add_argument("--link", action="store_true", help="hard-link files instead of copying")
    mimp.set_defaults(handler=cmd_mirror_import)

    add = sub.add_parser("add", help="declare a model the code doesn't show ([tool.ptmlock])")
    add.add_argument("model_id")
    add.add_argument("--revision")
    add.add_argument("--pattern", action="append", help="file pattern to lock (repeatable)")
    add.add_argument("--project", default=".", help="folder holding pyproject.toml")
    add.set_defaults(handler=cmd_add)

    ign = sub.add_parser("ignore", help="ignore a model id or a file:line reference")
    ign.add_argument("entry")
    ign.add_argument("--project", default=".", help="folder holding pyproject.toml")
    ign.set_defaults(handler=cmd_ignore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    handler: Handler = args.handler
    try:
        return handler(args)
    except errors.PtmlockError as exc:
        _err(str(exc))
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))
    except KeyboardInterrupt:
        _err("interrupted; nothing partial was left at a final path")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # the machine's answer (a path that can't be read or written)
        _err(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
        if args.verbose:
            traceback.print_exc()
        return EXIT_USAGE
    except Exception:
        traceback.print_exc()
        _err("this is a bug in ptmlock: please report it with the traceback above")
        return 70


if __name__ == "__main__":
    sys.exit(main())
