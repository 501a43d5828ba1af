"""``ptmlock push``: the locked models into an OCI registry, for ``install --from oci://``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ptmlock.cli._common import (
    EXIT_OK,
    add_command,
    add_insecure_option,
    add_lock_option,
    emit_document,
    lock_path_of,
)
from ptmlock.sizes import human_size


def cmd_push(args: argparse.Namespace) -> int:
    from ptmlock.cli.install import _Progress
    from ptmlock.env import offline_from_env
    from ptmlock.hubs import HubSet
    from ptmlock.lockfile import read_lock
    from ptmlock.sources.oci_names import parse_location
    from ptmlock.sources.oci_push import push

    location = parse_location(args.registry)
    lock_path = lock_path_of(args)
    lock = read_lock(lock_path)
    as_json = args.output_format == "json"
    show = not args.quiet and not as_json and sys.stderr.isatty()
    progress = _Progress(sum(m.total_size for m in lock.models)) if show else None
    extra: dict[str, Any] = {"progress": progress} if progress else {}
    try:
        report = push(
            lock,
            location,
            hubs=HubSet(),
            insecure=args.insecure,
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            jobs=args.jobs,
            offline=args.offline or offline_from_env(),
            **extra,
        )
    finally:
        if progress:
            progress.close()
    if as_json:
        body = {
            "lock": str(lock_path),
            "registry": args.registry,
            "models": [asdict(m) for m in report.models],
            "seconds": round(report.seconds, 3),
        }
        emit_document("push", body)
    elif not args.quiet:
        for m in report.models:
            tags = ", ".join(m.tags)
            print(
                f"{m.model}@{m.revision[:12]} -> {m.reference} ({tags}) {m.digest}: "
                f"{m.uploaded} blob(s) sent ({human_size(m.bytes_uploaded)}), "
                f"{m.skipped} already there, {m.mounted} mounted"
            )
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    cmd = add_command(
        sub,
        "push",
        summary="push each locked model to an OCI registry (one ModelPack artifact per model)",
        description="Push each locked model at its locked revision as one OCI artifact "
        "(CNCF ModelPack media types; one raw layer per file, its digest the locked sha256) "
        "to REGISTRY/<namespace>/<org>/<name>, tagged with the revision and the requested "
        "ref. Files missing from the cache are fetched from the hub and verified first. "
        "Credentials come from $DOCKER_CONFIG/config.json (docker login).",
        examples=[
            ("ptmlock push oci://registry.internal:5000/models", "once, where the hub is"),
            ("ptmlock push oci://127.0.0.1:5000/models --insecure", "a local test registry"),
            ("ptmlock push oci://HOST/NS --offline --json", "only from the cache, JSON out"),
        ],
        exits=(0, 1, 2, 3),
    )
    cmd.add_argument("registry", metavar="oci://HOST[:PORT]/NAMESPACE", help="where to push")
    add_lock_option(cmd)
    cmd.add_argument("--cache-dir", metavar="DIR", help="HF cache (default: HF_HUB_CACHE/HF_HOME)")
    cmd.add_argument("--jobs", type=int, default=8, help="parallel uploads")
    cmd.add_argument(
        "--offline", action="store_true", help="push only from the cache; never ask the hub"
    )
    add_insecure_option(cmd)
    cmd.set_defaults(handler=cmd_push)
