"""``ptmlock export``: an ML-BOM of the lock."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ptmlock import errors
from ptmlock.cli._common import EXIT_OK, add_command, add_lock_option, lock_path_of

if TYPE_CHECKING:
    from ptmlock.models import Lock


def cmd_export(args: argparse.Namespace) -> int:
    from ptmlock.atomic import write_atomic
    from ptmlock.env import endpoint_from_env
    from ptmlock.exporters import get_exporter
    from ptmlock.exporters.interface import ExportOptions
    from ptmlock.lockfile import read_lock

    lock_path = lock_path_of(args)
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
    _note_unrecorded_endpoints(lock, lock_path)
    options = ExportOptions(
        project_name=args.project_name or lock_path.resolve().parent.name,
        project_version=args.project_version,
        spec_version=args.spec_version,
        merge=merge,
        reproducible=args.reproducible,
        source_date_epoch=int(epoch) if epoch is not None else None,
        endpoint=endpoint_from_env(),
        validate=args.validate,
        distributions=tuple(args.distributions or ()),
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


def _note_unrecorded_endpoints(lock: Lock, lock_path: Path) -> None:
    """Say so when an older lock (no recorded endpoints) makes the SBOM depend on HF_ENDPOINT."""
    from ptmlock.endpoint import public_endpoint
    from ptmlock.env import endpoint_from_env

    missing = [m.id for m in lock.models if m.hub == "huggingface" and m.endpoint is None]
    if missing:
        print(
            f"note: {lock_path}: {len(missing)} model(s) ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}) have no recorded endpoint (an older lock); "
            f"the SBOM names this machine's {public_endpoint(endpoint_from_env())} for them",
            file=sys.stderr,
        )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    exp = add_command(
        sub,
        "export",
        summary="write an ML-BOM of the lock",
        description="Write a bill of materials of the locked models: CycloneDX 1.5-1.7 (JSON or "
        "XML) with one machine-learning-model component per model and a file component per "
        "file, SPDX 3.0.1 with the AI profile, or a Markdown table. The document itself is the "
        "output, so --format names the document's format (there is no --json summary).",
        examples=[
            ("ptmlock export --format cyclonedx-json -o models.cdx.json", "the ML-BOM"),
            ("ptmlock export --format cyclonedx-json --merge sbom.json -o all.json", "one BOM"),
            ("ptmlock export --format markdown", 'a "Models used" table for release notes'),
        ],
        exits=(0, 2),
        output=False,
    )
    add_lock_option(exp)
    exp.add_argument(
        "--format",
        required=True,
        help="the document: cyclonedx-json, cyclonedx-xml, spdx-json or markdown (required)",
    )
    exp.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    exp.add_argument(
        "--spec-version",
        help="format version: 1.5, 1.6 (default) or 1.7 for CycloneDX; 3.0.1 (the only one) "
        "for spdx-json",
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
    exp.add_argument(
        "--distribution",
        dest="distributions",
        action="append",
        metavar="oci://HOST/NAMESPACE",
        help="a registry the models were pushed to (ptmlock push): named in CycloneDX as "
        "each model's distribution reference (repeatable)",
    )
    exp.add_argument("--project-name", help="the root component (default: the lock's folder name)")
    exp.add_argument("--project-version", help="the root component's version")
    exp.set_defaults(handler=cmd_export)
