"""``ptmlock add`` and ``ptmlock ignore``: edit ``[tool.ptmlock]`` in pyproject.toml."""

from __future__ import annotations

import argparse
from pathlib import Path

from ptmlock import errors
from ptmlock.cli._common import EXIT_OK


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
    add_model(
        pyproject,
        args.model_id,
        revision=args.revision,
        patterns=tuple(args.pattern or ()),
        sites=tuple(args.site or ()),
    )
    print(f"{pyproject}: added {args.model_id} to [tool.ptmlock]; run `ptmlock scan` to lock it")
    return EXIT_OK


def cmd_ignore(args: argparse.Namespace) -> int:
    from ptmlock.project_config import add_ignore

    pyproject = _pyproject(args)
    add_ignore(pyproject, args.entry)
    print(f"{pyproject}: ignoring {args.entry}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    add = sub.add_parser("add", help="declare a model the code doesn't show ([tool.ptmlock])")
    add.add_argument("model_id")
    add.add_argument("--revision")
    add.add_argument("--pattern", action="append", help="file pattern to lock (repeatable)")
    add.add_argument(
        "--site",
        action="append",
        metavar="FILE:LINE",
        help="an unresolved loader site this model is what loads (repeatable; `check` accepts it)",
    )
    add.add_argument("--project", default=".", help="folder holding pyproject.toml")
    add.set_defaults(handler=cmd_add)

    ign = sub.add_parser("ignore", help="ignore a model id or a file:line reference")
    ign.add_argument("entry")
    ign.add_argument("--project", default=".", help="folder holding pyproject.toml")
    ign.set_defaults(handler=cmd_ignore)
