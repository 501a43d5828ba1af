"""``ptmlock install`` and ``ptmlock verify``, with the progress display they share."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptmlock.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    add_command,
    add_insecure_option,
    add_lock_option,
    emit_document,
    lock_path_of,
)
from ptmlock.sizes import human_size

if TYPE_CHECKING:
    from ptmlock.drift import Drift
    from ptmlock.models import Lock
    from ptmlock.sources.interface import Source


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


def sources_of(args: argparse.Namespace, lock_path: Path) -> tuple[list[Source], bool]:
    """The sources to install from (``--from``, else ``[tool.ptmlock] mirrors`` beside the
    lock) and whether the hub may serve what none of them has."""
    from ptmlock.project_config import load_config
    from ptmlock.sources import make_sources

    if args.sources:
        urls, fallback = args.sources, False
    else:
        config = load_config(lock_path.resolve().parent)
        urls, fallback = list(config.mirrors), config.hub_fallback
    if args.hub_fallback is not None:
        fallback = args.hub_fallback
    return make_sources(urls, insecure=args.insecure), fallback


def cmd_install(args: argparse.Namespace) -> int:
    from ptmlock.env import offline_from_env
    from ptmlock.hubs import HubSet
    from ptmlock.install import install
    from ptmlock.lockfile import read_lock
    from ptmlock.project_config import load_config

    lock_path = lock_path_of(args)
    lock = read_lock(lock_path)
    as_json = args.output_format == "json"
    if args.locked:
        drift = _drift_from_code(args, lock_path, lock)
        if drift:
            return _refuse_stale(lock_path, drift, as_json)
    sources, hub_fallback = sources_of(args, lock_path)
    url_mirrors = load_config(lock_path.resolve().parent).url_mirrors
    total = sum(m.total_size for m in lock.models)
    show = not args.quiet and not as_json and sys.stderr.isatty()
    progress = _Progress(total) if show else None
    extra: dict[str, Any] = {"progress": progress} if progress else {}
    try:
        report = install(
            lock,
            hubs=HubSet(url_mirrors=dict(url_mirrors)),
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            target=Path(args.target) if args.target else None,
            jobs=args.jobs,
            offline=args.offline or offline_from_env(),
            sources=sources,
            hub_fallback=hub_fallback,
            **extra,
        )
    finally:
        for source in sources:
            source.close()
        if progress:
            progress.close()
    if as_json:
        emit_document("install", _install_body(lock_path, report, []))
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


def _install_body(lock_path: Path, report: Any, drift: list[Drift]) -> dict[str, Any]:
    """The keys of ``install --json``, the same when ``--locked`` refused."""
    from ptmlock.cli.scan import drift_json

    return {
        "lock": str(lock_path),
        "drift": [drift_json(d) for d in drift],
        "fetched": [asdict(f) for f in report.fetched] if report else [],
        "reused": [asdict(f) for f in report.reused] if report else [],
        "bytes_fetched": report.bytes_fetched if report else 0,
        "seconds": round(report.seconds, 3) if report else 0.0,
    }


def _drift_from_code(args: argparse.Namespace, lock_path: Path, lock: Lock) -> list[Drift]:
    """``--locked``: how the lock differs from what the project's code needs (no hub asked)."""
    from ptmlock.drift import code_drift
    from ptmlock.hubs import HubSet
    from ptmlock.project_config import load_config
    from ptmlock.scan import scan

    root = Path(args.project) if args.project else lock_path.resolve().parent
    config = load_config(root)
    result = scan(root, config=config)
    patterns = {m.id: tuple(m.patterns) for m in config.models if m.patterns}
    return code_drift(result.references, lock, supports=HubSet().supports, patterns=patterns)


def _refuse_stale(lock_path: Path, drift: list[Drift], as_json: bool) -> int:
    if as_json:
        emit_document("install", _install_body(lock_path, None, drift), ok=False)
    else:
        for item in drift:
            print(f"  {item}", file=sys.stderr)
    print(
        f"ptmlock: error: {lock_path} is out of date with the code ({len(drift)} model(s) "
        "drifted) and --locked was given; nothing was installed\n"
        "  hint: run `ptmlock scan` and commit ptm.lock, or use --frozen to install it as is",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS


def cmd_verify(args: argparse.Namespace) -> int:
    from ptmlock.lockfile import read_lock
    from ptmlock.verify import verify

    lock_path = lock_path_of(args)
    lock = read_lock(lock_path)
    show = not args.quiet and args.output_format != "json" and sys.stderr.isatty()
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
    if args.output_format == "json":
        body = {
            "lock": str(lock_path),
            "checked": report.checked,
            "hashed": report.hashed,
            "problems": [_problem_json(p) for p in report.problems],
        }
        emit_document("verify", body, ok=report.ok)
    else:
        for problem in report.problems:
            print(f"FAIL {problem}")
        verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        print(f"verified {report.checked} file(s) ({report.hashed} hashed): {verdict}")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _problem_json(problem: Any) -> dict[str, Any]:
    """A verify problem; sizes as numbers, hashes (and "missing") as strings."""
    data: dict[str, Any] = asdict(problem)
    if problem.kind == "size":
        data["expected"], data["actual"] = int(problem.expected), int(problem.actual)
    return data


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    inst = add_command(
        sub,
        "install",
        summary="fetch the locked files, verify every byte, place them",
        description="Fetch every file ptm.lock names, verify its size and sha256 while "
        "streaming, and place it where the loading library looks (the Hugging Face cache, "
        "torch's checkpoints) so the application runs unchanged. Files already installed and "
        "verified cost one stat each. The lock is installed as it is (as with --frozen) unless "
        "--locked asks to check it against the code first.",
        examples=[
            ("ptmlock install --locked", "CI: fail if ptm.lock is stale, else install it"),
            ("ptmlock install --target ./models", "also DIR/<org>/<name>/ folders (images)"),
            ("HF_ENDPOINT=http://mirror:8765 ptmlock install", "from a ptmlock serve mirror"),
        ],
        exits=(0, 1, 2, 3),
    )
    add_lock_option(inst)
    mode = inst.add_mutually_exclusive_group()
    mode.add_argument(
        "--locked",
        action="store_true",
        help="first check the lock against the code (as `check --offline` does) and fail with "
        "the drift, installing nothing, if it is out of date (uv sync --locked, npm ci)",
    )
    mode.add_argument(
        "--frozen",
        action="store_true",
        help="install the lock as it is and never look at the code (what install does by default)",
    )
    inst.add_argument(
        "--project",
        metavar="DIR",
        help="with --locked: the project whose code the lock must match (default: the "
        "lock's folder)",
    )
    inst.add_argument("--cache-dir", metavar="DIR", help="HF cache (default: HF_HUB_CACHE/HF_HOME)")
    inst.add_argument("--target", metavar="DIR", help="also materialize DIR/<model id>/ folders")
    inst.add_argument("--jobs", type=int, default=8, help="parallel downloads")
    inst.add_argument(
        "--offline", action="store_true", help="no network; fail listing what's missing"
    )
    inst.add_argument(
        "--from",
        dest="sources",
        action="append",
        metavar="URL",
        help="fetch from this source instead of the hub, e.g. oci://HOST[:PORT]/NAMESPACE "
        "(repeatable, tried in order; default: [tool.ptmlock] mirrors)",
    )
    inst.add_argument(
        "--hub-fallback",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fetch from the hub what no source has (default: [tool.ptmlock] hub-fallback, "
        "else no)",
    )
    add_insecure_option(inst)
    inst.set_defaults(handler=cmd_install)

    ver = add_command(
        sub,
        "verify",
        summary="check the cache against the lock (exit 1 on a mismatch)",
        description="Check that every file ptm.lock names is installed with its exact size and "
        "sha256. Files recorded as verified (same size, mtime and inode) are not read again "
        "unless --full; exit 1 listing each file missing or different.",
        examples=[
            ("ptmlock verify", "after install, or on a machine that got a cache copied in"),
            ("ptmlock verify --full", "rehash every byte, trust no record"),
            ("ptmlock verify --json", "problems as JSON (sizes as numbers)"),
        ],
        exits=(0, 1, 2),
    )
    add_lock_option(ver)
    ver.add_argument("--cache-dir", metavar="DIR", help="HF cache (default: HF_HUB_CACHE/HF_HOME)")
    ver.add_argument("--full", action="store_true", help="rehash everything, ignore the record")
    ver.set_defaults(handler=cmd_verify)
