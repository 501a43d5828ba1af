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
    add_insecure_option,
    add_lock_option,
    emit_json,
    lock_path_of,
)
from ptmlock.sizes import human_size

if TYPE_CHECKING:
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

    lock = read_lock(lock_path_of(args))
    sources, hub_fallback = sources_of(args, lock_path_of(args))
    url_mirrors = load_config(lock_path_of(args).resolve().parent).url_mirrors
    total = sum(m.total_size for m in lock.models)
    show = not args.quiet and not args.json and sys.stderr.isatty()
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
    if args.json:
        emit_json(
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

    lock = read_lock(lock_path_of(args))
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
        emit_json(
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    inst = sub.add_parser("install", help="fetch the locked files, verify every byte, place them")
    add_lock_option(inst)
    inst.add_argument("--cache-dir", metavar="DIR", help="HF cache (default: HF_HUB_CACHE/HF_HOME)")
    inst.add_argument("--target", metavar="DIR", help="also materialize DIR/<model id>/ folders")
    inst.add_argument("--jobs", type=int, default=8, help="parallel downloads (default: 8)")
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
    inst.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary")
    inst.add_argument("--json", action="store_true", help="a JSON summary on stdout")
    inst.set_defaults(handler=cmd_install)

    ver = sub.add_parser("verify", help="check the cache against the lock (exit 1 on a mismatch)")
    add_lock_option(ver)
    ver.add_argument("--cache-dir", metavar="DIR", help="HF cache (default: HF_HUB_CACHE/HF_HOME)")
    ver.add_argument("--full", action="store_true", help="rehash everything, ignore the record")
    ver.add_argument("--json", action="store_true", help="a JSON report on stdout")
    ver.set_defaults(handler=cmd_verify)
