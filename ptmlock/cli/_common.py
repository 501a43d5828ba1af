"""What every command shares: exit codes, the error-to-code table, output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ptmlock import errors

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


def err(message: str) -> None:
    print(f"ptmlock: error: {message}", file=sys.stderr)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False))


def lock_path_of(args: argparse.Namespace) -> Path:
    return Path(args.lock) if args.lock else Path("ptm.lock")


def add_lock_option(parser: argparse.ArgumentParser, default: str = "./ptm.lock") -> None:
    parser.add_argument("--lock", metavar="FILE", help=f"the lock file (default: {default})")


def add_insecure_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="talk plain HTTP to oci:// registries (a local test registry); default HTTPS",
    )
