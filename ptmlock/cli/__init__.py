"""The ``ptmlock`` command: argparse subcommands over the library API.

This package is the only code that prints or exits. One module per group of subcommands, each
with a ``register(sub)`` that adds its parsers; ``COMMANDS`` below is the registry. Exit codes
(``_common.EXIT_CODES``): 0 ok, 1 a check found problems, 2 usage, input or local storage error,
3 hub or network failure. An unexpected exception is a bug: it is shown with its traceback and a
request to report it.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from ptmlock import __version__, errors
from ptmlock.cli import audit, export, install, mirror, project, push, scan
from ptmlock.cli._common import EXIT_CODES, EXIT_OK, EXIT_USAGE, Handler, err

__all__ = ["build_parser", "main"]

# Each module adds its subcommands, in the order ``--help`` lists them.
COMMANDS = (scan, install, push, export, audit, mirror, project)


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
    for module in COMMANDS:
        module.register(sub)
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
        err(str(exc))
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))
    except KeyboardInterrupt:
        err("interrupted; nothing partial was left at a final path")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # the machine's answer (a path that can't be read or written)
        err(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
        if args.verbose:
            traceback.print_exc()
        return EXIT_USAGE
    except Exception:
        traceback.print_exc()
        err("this is a bug in ptmlock: please report it with the traceback above")
        return 70


if __name__ == "__main__":
    sys.exit(main())
