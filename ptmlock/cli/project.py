"""``ptmlock add`` and ``ptmlock ignore``: edit ``[tool.ptmlock]`` in pyproject.toml.

``add`` merges into an existing declaration (the options given replace those values, the rest
are kept) and says what changed; it asks the hub at once whether the id, revision and patterns
exist, as ``uv add`` resolves at once. ``ignore`` says when an entry matches nothing the scan
finds. Both refuse to create a pyproject.toml: a missing one means the wrong folder.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from ptmlock import errors
from ptmlock.cli._common import (
    EXIT_OK,
    PYPROJECT,
    add_command,
    emit_document,
    find_upwards,
    warn,
)


def _pyproject(args: argparse.Namespace) -> Path:
    """``--project DIR``'s pyproject.toml, else the nearest one upwards; never a new one."""
    if args.project is not None:
        folder = Path(args.project)
        if not folder.is_dir():
            raise errors.ConfigError(
                f"{folder}: not a directory (--project names the project root)"
            )
        found: Path | None = folder / PYPROJECT
        if found is not None and not found.is_file():
            found = None
        where = f"in {folder}"
    else:
        found = find_upwards(PYPROJECT)
        where = f"in {Path.cwd()} or any parent folder"
    if found is None:
        raise errors.ConfigError(
            f"no {PYPROJECT} {where}: ptmlock keeps its settings in the project's {PYPROJECT}",
            hint=f"run it in the project, pass --project DIR, or create {PYPROJECT} first "
            "(for example with `uv init`)",
        )
    return found


def cmd_add(args: argparse.Namespace) -> int:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils._validators import validate_repo_id

    from ptmlock.project_config import add_model, load_config

    pyproject = _pyproject(args)
    model_id = args.model_id
    try:
        validate_repo_id(model_id)
    except HFValidationError:
        raise errors.ConfigError(
            f"{model_id!r} is not a Hugging Face model id (expected org/name or name)"
        ) from None
    existing = next((m for m in load_config(pyproject.parent).models if m.id == model_id), None)
    kept = existing.revision if existing else None
    revision = args.revision if args.revision is not None else kept
    patterns = tuple(args.pattern) if args.pattern else (existing.patterns if existing else ())
    library = args.library or (existing.library if existing else "transformers")
    sites = tuple(args.site) if args.site else (existing.sites if existing else ())
    changes = _changes(existing, revision, patterns, library, sites)
    pin = None if args.offline else _validate(model_id, revision, patterns, library)
    if existing is None or changes:
        add_model(
            pyproject,
            model_id,
            revision=revision,
            patterns=patterns,
            hub=existing.hub if existing else "huggingface",
            library=library if library != "transformers" else None,
            sites=sites,
        )
    action = "added" if existing is None else "updated" if changes else "unchanged"
    if args.output_format == "json":
        body = {
            "pyproject": str(pyproject),
            "id": model_id,
            "action": action,
            "changes": [{"field": f, "old": old, "new": new} for f, old, new in changes],
            "revision": revision,
            "patterns": list(patterns),
            "library": library,
            "pin": pin,
        }
        emit_document("add", body)
        return EXIT_OK
    checked = f" ({pin['revision'][:12]}, {pin['files']} file(s))" if pin else ""
    if action == "added":
        asked = f" at {revision}" if revision else ""
        print(f"{pyproject}: added {model_id}{asked}{checked} to [tool.ptmlock]")
    elif action == "updated":
        said = "; ".join(f"{f} {_show(old)} → {_show(new)}" for f, old, new in changes)
        print(f"{pyproject}: updated {model_id}{checked}: {said}")
    else:
        print(f"{pyproject}: {model_id} already declared like that{checked}; nothing changed")
    if action != "unchanged" and not args.quiet:
        print("run `ptmlock scan` to lock it", file=sys.stderr)
    return EXIT_OK


def _changes(
    existing: Any,
    revision: str | None,
    patterns: tuple[str, ...],
    library: str,
    sites: tuple[str, ...] = (),
) -> list[tuple[str, Any, Any]]:
    if existing is None:
        return []
    pairs = (
        ("revision", existing.revision, revision),
        ("patterns", list(existing.patterns), list(patterns)),
        ("library", existing.library, library),
        ("sites", list(existing.sites), list(sites)),
    )
    return [(name, old, new) for name, old, new in pairs if old != new]


def _show(value: Any) -> str:
    if value is None or value == []:
        return "(default)"
    return ", ".join(value) if isinstance(value, list) else str(value)


def _validate(
    model_id: str, revision: str | None, patterns: tuple[str, ...], library: str
) -> dict[str, Any]:
    """Pin it once now (nothing is written): the id, revision and patterns must exist."""
    from ptmlock.cli.scan import quick_hubs
    from ptmlock.models import ModelRequest

    request = ModelRequest(
        hub="huggingface", id=model_id, requested=revision, libraries=(library,), patterns=patterns
    )
    try:
        pinned = quick_hubs()("huggingface").resolve(request)
    except errors.RevisionNotFoundError as exc:
        raise errors.RevisionNotFoundError(
            f"{exc}: {revision!r} (given as ptmlock add --revision)",
            hint="name a branch, tag or full commit the model has",
        ) from None
    except errors.TransientHubError as exc:
        raise type(exc)(
            str(exc), hint="ptmlock add checks the model on the hub; --offline skips that"
        ) from None
    if not pinned.files:
        raise errors.ConfigError(
            f"{model_id}@{pinned.revision[:12]}: the patterns {', '.join(patterns) or '(default)'}"
            " select no file",
            hint="check the patterns against the model's file list",
        )
    return {"revision": pinned.revision, "files": len(pinned.files)}


def cmd_ignore(args: argparse.Namespace) -> int:
    from ptmlock.project_config import add_ignore, load_config
    from ptmlock.scan import scan

    pyproject = _pyproject(args)
    root = pyproject.parent
    config = load_config(root)
    already = args.entry in config.ignore
    refs = scan(root, config=replace(config, ignore=())).references
    matches = sorted({r.location for r in refs if args.entry in (r.model, r.location)})
    if not already:
        add_ignore(pyproject, args.entry)
    if args.output_format == "json":
        body = {
            "pyproject": str(pyproject),
            "entry": args.entry,
            "action": "unchanged" if already else "added",
            "matches": matches,
        }
        emit_document("ignore", body)
    else:
        state = "already ignoring" if already else "ignoring"
        where = f" ({len(matches)} reference(s): {', '.join(matches[:5])})" if matches else ""
        print(f"{pyproject}: {state} {args.entry}{where}")
    if not matches:
        names = sorted({r.model for r in refs if r.model} | {r.location for r in refs})
        close = difflib.get_close_matches(args.entry, names, n=1)
        warn(
            f"{args.entry!r} matches no reference the scan finds in {root} (no model id or "
            f"file:line like it)" + (f"; did you mean {close[0]!r}?" if close else "")
        )
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    add = add_command(
        sub,
        "add",
        summary="declare a model the code doesn't show ([tool.ptmlock])",
        description="Declare a model in [[tool.ptmlock.models]] of pyproject.toml (found here "
        "or in a parent folder; never created). The hub is asked at once whether the id, "
        "revision and patterns exist. Adding an id already declared merges: the options given "
        "replace those values, the others are kept, and what changed is printed.",
        examples=[
            ("ptmlock add org/name", "lock org/name at the hub's default branch"),
            ("ptmlock add org/name --revision v1.0 --pattern '*.safetensors'", "tag + files"),
            ("ptmlock add org/name --revision v2.0", "move it to v2.0, keeping its patterns"),
        ],
        exits=(0, 2, 3),
    )
    add.add_argument("model_id", metavar="ID", help="the Hugging Face model id, org/name")
    add.add_argument("--revision", help="branch, tag or commit (default: the hub's default branch)")
    add.add_argument(
        "--pattern",
        action="append",
        help="file pattern to lock, replacing the library's choice (repeatable; default: what "
        "the library reads)",
    )
    add.add_argument(
        "--library",
        help="whose file choice applies, e.g. sentence-transformers (default: transformers)",
    )
    add.add_argument(
        "--site",
        action="append",
        metavar="FILE:LINE",
        help="an unresolved loader site whose model this is (repeatable; `check` then accepts it)",
    )
    add.add_argument("--offline", action="store_true", help="record it without asking the hub")
    add.add_argument(
        "--project",
        metavar="DIR",
        help="folder holding pyproject.toml (default: the nearest one upwards)",
    )
    add.set_defaults(handler=cmd_add)

    ign = add_command(
        sub,
        "ignore",
        summary="ignore a model id or a file:line reference",
        description="Add a model id or a FILE:LINE location to tool.ptmlock.ignore in "
        "pyproject.toml: the scan drops those references. Warns when the entry matches no "
        "reference the scan finds (a typo, or code that moved).",
        examples=[
            ("ptmlock ignore gpt2", "drop every reference to gpt2"),
            ("ptmlock ignore scripts/demo.py:12", "drop the one on that line"),
            ("ptmlock ignore gpt2 --json", "and say which references it matched, as JSON"),
        ],
        exits=(0, 2),
    )
    ign.add_argument("entry", metavar="ID-or-FILE:LINE", help="a model id or file:line")
    ign.add_argument(
        "--project",
        metavar="DIR",
        help="folder holding pyproject.toml (default: the nearest one upwards)",
    )
    ign.set_defaults(handler=cmd_ignore)
