"""``ptmlock serve`` and ``ptmlock mirror add|import``: the Hub-compatible mirror."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ptmlock import errors
from ptmlock.cli._common import EXIT_OK, add_command, emit_document
from ptmlock.endpoint import is_public_endpoint


def cmd_serve(args: argparse.Namespace) -> int:
    from ptmlock.mirror.server import serve

    root = Path(args.dir)
    if not root.is_dir():
        raise errors.ConfigError(f"{root}: not a directory")
    if args.url is None and args.host in ("0.0.0.0", "::", ""):
        raise errors.ConfigError(
            f"--host {args.host or '(all)'}: say the address clients use with --url",
            hint="e.g. --url http://models.internal:8765 (redirects and page links name it)",
        )
    if args.url is not None and not is_public_endpoint(args.url.rstrip("/")):
        raise errors.ConfigError(f"--url {args.url!r}: not an http(s) URL without credentials")

    def ready(server: Any) -> None:
        repos = len(server.store.repos())
        print(f"serving {repos} repo(s) from {root} at {server.url} (Ctrl-C stops)", flush=True)

    try:
        serve(root, host=args.host, port=args.port, url=args.url, ready=ready)
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
    if args.output_format == "json":
        body = {
            "mirror": args.dir,
            "repos": [{"id": args.repo_id, "commits": [commit]}],
            "branch": args.branch,
            "tags": list(args.tag or ()),
        }
        emit_document("mirror add", body)
    else:
        print(f"{args.repo_id}@{commit} ({args.branch})")
    return EXIT_OK


def cmd_mirror_import(args: argparse.Namespace) -> int:
    from ptmlock.env import hf_cache_dir
    from ptmlock.mirror import RepoStore, import_folders, import_hf_cache

    store = RepoStore(Path(args.dir))
    repos: dict[str, list[str]] = {}
    if args.from_folders:
        source = Path(args.from_folders)
        if not source.is_dir():
            raise errors.ConfigError(f"{source}: not a directory")
        for repo_id, commit in import_folders(store, source, link=args.link).items():
            repos[repo_id] = [commit]
    else:
        cache = Path(args.from_cache) if args.from_cache else hf_cache_dir()
        if not cache.is_dir():
            raise errors.ConfigError(f"{cache}: not a Hugging Face cache directory")
        for repo_id, commits in import_hf_cache(store, cache, link=args.link).items():
            repos[repo_id] = list(commits)
    if args.output_format == "json":
        rows = [{"id": repo, "commits": commits} for repo, commits in repos.items()]
        emit_document("mirror import", {"mirror": args.dir, "repos": rows})
    elif args.from_folders:
        for repo_id, commits in repos.items():
            print(f"{repo_id}@{commits[0]}")
    else:
        for repo_id, commits in repos.items():
            print(f"{repo_id}: {len(commits)} snapshot(s)")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands to the ``ptmlock`` parser."""
    srv = add_command(
        sub,
        "serve",
        summary="serve a folder of model repos as a read-only Hub",
        description="Serve a mirror folder (built with `ptmlock mirror add` or `mirror import`) "
        "as a read-only Hugging Face Hub: huggingface_hub, transformers and ptmlock itself read "
        "it through HF_ENDPOINT. Runs until Ctrl-C; prints its URL once listening.",
        examples=[
            ("ptmlock serve ./mirror", "on 127.0.0.1:8765"),
            (
                "ptmlock serve ./mirror --host 0.0.0.0 --url http://HOST:8765",
                "for a fleet (HF_ENDPOINT=http://HOST:8765)",
            ),
            ("ptmlock serve ./mirror --port 0", "any free port (the URL is printed)"),
        ],
        exits=(0, 2),
        output=False,
    )
    srv.add_argument("dir", help="the mirror folder (built with `ptmlock mirror add`)")
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on")
    srv.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free one)")
    srv.add_argument(
        "--url",
        help="the address clients reach it at, named in redirects and page links "
        "(default http://HOST:PORT; needed with --host 0.0.0.0)",
    )
    srv.set_defaults(handler=cmd_serve)

    mirror = add_command(
        sub,
        "mirror",
        summary="build model repos for `ptmlock serve`",
        description="Build a mirror folder of model repos (content-addressed blobs, commits, "
        "branches, tags) for `ptmlock serve`: commit a folder of files, or import a populated "
        "Hugging Face cache with its commit ids (so existing locks apply).",
        examples=[
            ("ptmlock mirror add ./mirror org/name ./files --tag v1", "commit a folder"),
            ("ptmlock mirror import ./mirror --from-cache", "the HF cache, commit ids kept"),
            ("ptmlock mirror import ./mirror --from-folders ./models", "SRC/org/name/ folders"),
        ],
        exits=(0, 2),
        output=False,
    )
    msub = mirror.add_subparsers(dest="mirror_command", required=True, metavar="ACTION")
    madd = add_command(
        msub,
        "add",
        summary="commit a folder of files as a model repo revision",
        description="Commit the files of FOLDER as a new revision of repo ORG/NAME in the mirror "
        "at DIR (on --branch), optionally tagged; prints ORG/NAME@COMMIT.",
        examples=[
            ("ptmlock mirror add ./mirror org/name ./files", "a new commit on main"),
            ("ptmlock mirror add ./mirror org/name ./v2 --tag v2.0", "and tag it"),
            ("ptmlock mirror add ./mirror org/gated ./f --gated --token T", "only T may read"),
        ],
        exits=(0, 2),
    )
    madd.add_argument("dir", help="the mirror folder")
    madd.add_argument("repo_id", help="e.g. org/name")
    madd.add_argument("folder", help="the files of the new commit")
    madd.add_argument("--branch", default="main", help="the branch the commit goes on")
    madd.add_argument("--tag", action="append", help="also tag the commit (repeatable)")
    madd.add_argument("--message", default="", help="commit message (default: none)")
    madd.add_argument("--gated", action="store_true", help="require a token for file downloads")
    madd.add_argument("--token", action="append", help="a token allowed to read a gated repo")
    madd.set_defaults(handler=cmd_mirror_add)
    mimp = add_command(
        msub,
        "import",
        summary="import repo folders or a Hugging Face cache (air gap)",
        description="Import into the mirror at DIR either every snapshot of a Hugging Face cache "
        "(commit ids, branches and files kept, so locks made against the Hub still apply) or "
        "SRC/org/name/ folders of files (one commit each).",
        examples=[
            ("ptmlock mirror import ./mirror --from-cache", "the cache at HF_HUB_CACHE"),
            ("ptmlock mirror import ./mirror --from-cache /media/hf-cache --link", "hard links"),
            ("ptmlock mirror import ./mirror --from-folders ./models", "plain folders"),
        ],
        exits=(0, 2),
    )
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
