"""``ptmlock audit`` (the unsafe-model gate) and ``ptmlock outdated`` (a report on newer pins)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ptmlock import errors
from ptmlock.cli._common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    SCHEMA_VERSION,
    add_command,
    add_lock_option,
    emit_json,
)

_LEVELS = ("info", "low", "medium", "high", "critical", "never")


def cmd_audit(args: argparse.Namespace) -> int:
    from ptmlock.audit import audit, load_policy
    from ptmlock.audit.output import report_json, report_sarif
    from ptmlock.env import offline_from_env
    from ptmlock.lockfile import read_lock
    from ptmlock.project_config import load_config
    from ptmlock.scan import scan
    from ptmlock.scan.walk import walk_project

    root = Path(args.path)
    if not root.is_dir():
        raise errors.ConfigError(f"{root}: not a directory")
    lock_path = Path(args.lock) if args.lock else root / "ptm.lock"
    lock = read_lock(lock_path)
    policy = load_policy(root)
    config = load_config(root)
    fail_on = args.fail_on or policy.fail_on
    cache_dir = Path(args.cache_dir) if args.cache_dir else None
    torch_dir = Path(args.torch_dir) if args.torch_dir else None
    offline = args.offline or offline_from_env()
    if args.fetch and not offline:
        from ptmlock.hubs import HubSet
        from ptmlock.install import install

        install(lock, hubs=HubSet(), cache_dir=cache_dir, torch_dir=torch_dir)
    view = None
    if not offline:
        from ptmlock.hubs.hf_repo import HfRepoView

        view = HfRepoView()
    references = scan(root, config=config).references
    files = walk_project(root.resolve(), config.exclude, [lambda rel: True]).files
    report = audit(
        lock,
        root=root,
        policy=policy,
        references=references,
        project_files=files,
        cache_dir=cache_dir,
        torch_dir=torch_dir,
        view=view,
    )
    threshold = None if fail_on == "never" else fail_on
    ok = not report.failed(threshold)
    if args.output_format == "json":
        body = report_json(report, lock=str(lock_path), fail_on=threshold)
        _emit(_document("audit", body, ok), args.output)
    elif args.output_format == "sarif":
        _emit(report_sarif(report, lock_path=lock_path, root=root), args.output)
    else:
        _print_report(report, threshold)
    return EXIT_OK if ok else EXIT_PROBLEMS


def _document(command: str, body: dict[str, Any], ok: bool) -> dict[str, Any]:
    """The envelope every ptmlock JSON document starts with, then the report."""
    return {"schema_version": SCHEMA_VERSION, "command": command, "ok": ok, "error": None, **body}


def _emit(data: dict[str, Any], output: str | None) -> None:
    if output:
        from ptmlock.atomic import write_atomic

        write_atomic(Path(output), (json.dumps(data, indent=2) + "\n").encode(), durable=False)
    else:
        emit_json(data)


def _print_report(report: Any, threshold: str | None) -> None:
    rows = [(f.severity.upper(), f.rule, f.where, f.message) for f in report.active]
    header = ("SEVERITY", "RULE", "WHERE", "FINDING")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for finding, row in zip([None, *report.active], [header, *rows], strict=True):
        cells = [c.ljust(w) for c, w in zip(row[:3], widths, strict=True)]
        print("  ".join([*cells, row[3]]).rstrip())
        if finding is not None:
            print(" " * (sum(widths) + 6) + f"fix: {finding.fix}")
    for finding in report.findings:
        if finding.suppressed is not None:
            print(f"suppressed {finding.rule} {finding.where}: {finding.suppressed}")
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n) or "no findings"
    scanned = sum(1 for f in report.files if f.status == "scanned")
    verdict = "FAILED" if report.failed(threshold) else "passed"
    print(
        f"audit {verdict} (fail-on {threshold or 'never'}): {counts}; "
        f"{report.models} model(s), {scanned} pickle file(s) scanned"
    )


def cmd_outdated(args: argparse.Namespace) -> int:
    from ptmlock.hubs.hf_repo import HfRepoView
    from ptmlock.lockfile import read_lock
    from ptmlock.outdated import outdated, outdated_json

    lock_path = Path(args.lock) if args.lock else Path("ptm.lock")
    lock = read_lock(lock_path)
    report = outdated(lock, HfRepoView())
    code = EXIT_PROBLEMS if args.exit_code and report.behind else EXIT_OK
    if args.output_format == "json":
        emit_json(_document("outdated", outdated_json(report, lock=str(lock_path)), code == 0))
    else:
        for line in report.lines():
            print(line)
    return code


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit`` and ``outdated`` to the ``ptmlock`` parser."""
    audit = add_command(
        sub,
        "audit",
        summary="the security gate: unsafe pickles, unpinned remote code, tokens, licences, "
        "signatures (exit 1 at --fail-on or above)",
        description="Inspect the locked, installed and verified files (pickle code scanned "
        "without unpickling, pickles where safetensors exist, remote code and its pins, "
        "signatures) and the project's code (trust_remote_code, tokens, unpinned loaders), "
        "with licence policy from [tool.ptmlock]. Each finding has a rule id, a severity, "
        "where it is and a one-line fix.",
        examples=[
            ("ptmlock audit", "audit the project here against its ptm.lock"),
            ("ptmlock audit --format sarif --output audit.sarif", "for code-scanning UIs"),
            ("ptmlock audit --fail-on critical --json", "gate only on critical findings"),
        ],
        exits=(0, 1, 2, 3),
        output=False,
    )
    audit.add_argument("path", nargs="?", default=".", help="project root (default: .)")
    add_lock_option(audit, "PATH/ptm.lock")
    audit.add_argument(
        "--cache-dir", metavar="DIR", help="Hugging Face cache (default: huggingface_hub's)"
    )
    audit.add_argument(
        "--torch-dir", metavar="DIR", help="torch checkpoints folder (default: torch's)"
    )
    _format_options(audit, ("table", "json", "sarif"))
    audit.add_argument("--output", metavar="FILE", help="write json/sarif here, not stdout")
    audit.add_argument(
        "--fail-on",
        choices=_LEVELS,
        default=None,
        help="exit 1 on a finding this severe or worse (default: high, or audit.fail-on)",
    )
    audit.add_argument("--fetch", action="store_true", help="install missing files first")
    audit.add_argument(
        "--offline", action="store_true", help="ask no hub (checks that need one are noted)"
    )
    audit.set_defaults(handler=cmd_audit)

    outdated = add_command(
        sub,
        "outdated",
        summary="newer commits on each model's requested ref (a report, exit 0)",
        description="For each locked model, whether its requested ref now points to a newer "
        "commit (with its date and the files that changed), and loudly when the locked commit "
        "is no longer reachable (force-pushed, deleted or renamed repo).",
        examples=[
            ("ptmlock outdated", "what moved upstream since the lock was written"),
            ("ptmlock outdated --exit-code", "fail a scheduled CI job when a pin is behind"),
            ("ptmlock outdated --json", "the same as JSON"),
        ],
        exits=(0, 1, 2, 3),
        output=False,
    )
    add_lock_option(outdated)
    _format_options(outdated, ("table", "json"))
    outdated.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when a model is behind or its locked commit is gone",
    )
    outdated.set_defaults(handler=cmd_outdated)


def _format_options(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    parser.add_argument(
        "--format",
        dest="output_format",
        choices=formats,
        default="table",
        help="output format (default: table)",
    )
    parser.add_argument(
        "--json",
        dest="output_format",
        action="store_const",
        const="json",
        help="the same as --format json",
    )
