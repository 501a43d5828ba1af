"""Install benchmark: ``ptmlock install`` against ``huggingface_hub.snapshot_download``.

Both fetch exactly the same files (the locked list) at the same commit from the same local
mirror (a ``MirrorServer`` in a child process on 127.0.0.1, its files warm in the page cache)
into a fresh cache each run; the order alternates across repeats and every run's cache is
deleted and flushed before the next. ptmlock verifies every byte; snapshot_download hashes
nothing. Also: a warm re-install into the populated cache, and the peak RSS of installing one
large file with each tool in a child process.

    python bench/bench_install.py                # 2 GB model set + 2 GB single file, 3 repeats
    python bench/bench_install.py --scale 0.1    # quick: 200 MB + 200 MB
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # the bench folder is not a package
    MB,
    ServerProcess,
    Table,
    Workspace,
    build_model_set,
    drop_tree,
    median,
    progress,
    read_all,
    run_child,
    target_note,
    timed,
)

_HF_CHILD = """
import sys
from huggingface_hub import snapshot_download
snapshot_download(sys.argv[1], revision=sys.argv[2], cache_dir=sys.argv[3], endpoint=sys.argv[4])
"""
_IMPORTS_CHILD = "import huggingface_hub, ptmlock.cli, ptmlock.install, ptmlock.hubs.huggingface"


def _tree_bytes(folder: Path) -> tuple[int, int]:
    """(files, bytes) reachable under ``folder`` following links (what a loader would read)."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1.0 = 2 GB set)")
    parser.add_argument("--repeats", type=int, default=3, help="cold installs per tool")
    parser.add_argument("--jobs", type=int, default=8, help="ptmlock install --jobs")
    parser.add_argument("--no-rss", action="store_true", help="skip the single-file RSS runs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep", action="store_true", help="keep the temp workspace")
    args = parser.parse_args(argv)
    say = progress(not args.json)
    need = int(4000 * MB * args.scale * 2.2) + 500 * MB

    with Workspace(need, keep=args.keep) as ws:
        say(f"workspace {ws.root}; building the model set (scale {args.scale})")
        ms = build_model_set(ws.path("mirror"), args.scale, with_single=not args.no_rss)
        read_all(sorted((ms.store / "blobs").iterdir()))  # every run reads warm server files
        with ServerProcess(ms.store) as server:
            env = ws.hf_environment(server.url)
            # only now: huggingface_hub reads HF_ENDPOINT/HF_HOME when first imported
            from huggingface_hub import hf_hub_download, snapshot_download

            from ptmlock.hubs.huggingface import HuggingFaceHub
            from ptmlock.install import install
            from ptmlock.lockfile import write_lock
            from ptmlock.models import Lock, ModelRequest

            hub = HuggingFaceHub(endpoint=server.url)
            hubs = {"huggingface": hub}
            model = hub.resolve(
                ModelRequest(hub="huggingface", id=ms.models, libraries=("snapshot",))
            )
            lock = Lock(models=(model,))
            allow = [f.path for f in model.files]
            locked_bytes = sum(f.size for f in model.files)
            say(f"locked {len(allow)} files, {locked_bytes / 1e9:.2f} GB at {model.revision[:12]}")

            # warm-up (connections, huggingface_hub's first-request handshake), not measured
            small = min(model.files, key=lambda f: f.size)
            hf_hub_download(
                ms.models,
                small.path,
                revision=model.revision,
                cache_dir=ws.path("warmup-hf"),
                endpoint=server.url,
            )
            small_model = dataclasses.replace(model, files=(small,))
            install(Lock(models=(small_model,)), hubs=hubs, cache_dir=ws.path("warmup-ptm"))

            hf_wall: list[float] = []
            hf_cpu: list[float] = []
            ptm_wall: list[float] = []
            ptm_cpu: list[float] = []
            warm_wall: list[float] = []
            shared: list[float] = []  # share of the machine other processes used meanwhile
            for rep in range(args.repeats):
                order = ("hf", "ptm") if rep % 2 == 0 else ("ptm", "hf")
                for tool in order:
                    cache = ws.path(f"cache-{tool}-{rep}")
                    if tool == "hf":
                        with timed(server.pid) as t:
                            folder = snapshot_download(
                                ms.models,
                                revision=model.revision,
                                cache_dir=cache,
                                endpoint=server.url,
                                allow_patterns=allow,
                            )
                        count, size = _tree_bytes(Path(str(folder)))
                        if (count, size) != (len(allow), locked_bytes):
                            raise SystemExit(f"snapshot_download got {count} files, {size} bytes")
                        hf_wall.append(t[0].wall)
                        hf_cpu.append(t[0].cpu)
                    else:
                        with timed(server.pid) as t:
                            report = install(lock, hubs=hubs, cache_dir=cache, jobs=args.jobs)
                        if report.bytes_fetched != locked_bytes:
                            raise SystemExit(f"ptmlock fetched {report.bytes_fetched} bytes")
                        ptm_wall.append(t[0].wall)
                        ptm_cpu.append(t[0].cpu)
                        with timed() as w:
                            again = install(lock, hubs=hubs, cache_dir=cache, jobs=args.jobs)
                        if again.fetched:
                            raise SystemExit("warm re-install fetched files")
                        warm_wall.append(w[0].wall)
                    shared.append(t[0].others / (t[0].wall * _cores()))
                    say(f"repeat {rep + 1}: {tool} {t[0].wall:.2f} s, others {shared[-1]:.0%}")
                    drop_tree(cache)

            rss: dict[str, float] = {}
            if not args.no_rss:
                single = hub.resolve(
                    ModelRequest(hub="huggingface", id=ms.single, libraries=("snapshot",))
                )
                lock_path = ws.path("single.lock")
                write_lock(Lock(models=(single,)), lock_path)
                runs = {
                    "imports": [sys.executable, "-c", _IMPORTS_CHILD],
                    "ptmlock": [
                        sys.executable,
                        "-m",
                        "ptmlock",
                        "install",
                        "-q",
                        "--lock",
                        str(lock_path),
                        "--cache-dir",
                        str(ws.path("rss-ptm")),
                    ],
                    "snapshot_download": [
                        sys.executable,
                        "-c",
                        _HF_CHILD,
                        ms.single,
                        single.revision,
                        str(ws.path("rss-hf")),
                        server.url,
                    ],
                }
                for name, cmd in runs.items():
                    child = run_child(cmd, env)
                    if child.returncode != 0:
                        raise SystemExit(f"{name} child failed: {child.stderr}")
                    rss[name] = child.max_rss_mb
                    rss[name + "_seconds"] = child.seconds
                    say(f"{name}: peak RSS {child.max_rss_mb:.0f} MB, {child.seconds:.2f} s")
                    drop_tree(ws.path("rss-ptm"))
                    drop_tree(ws.path("rss-hf"))

    table = Table(
        f"install: {len(allow)} files, {locked_bytes / 1e9:.2f} GB, "
        f"median of {args.repeats} (machine: {_cores()} cores)"
    )
    hf_s, ptm_s = median(hf_wall), median(ptm_wall)
    table.add(
        "snapshot_download_s",
        "snapshot_download (no hashing)",
        hf_s,
        "s",
        f"{locked_bytes / MB / hf_s:.0f} MB/s, CPU {median(hf_cpu):.2f} s",
    )
    table.add(
        "ptmlock_install_s",
        "ptmlock install (sha256 of every byte)",
        ptm_s,
        "s",
        f"{locked_bytes / MB / ptm_s:.0f} MB/s, CPU {median(ptm_cpu):.2f} s",
    )
    ratio = ptm_s / hf_s
    table.add(
        "ratio",
        "ratio ptmlock / snapshot_download",
        ratio,
        "x",
        target_note(ratio <= 0.5, "<= 0.5x"),
    )
    cpu_ratio = median(ptm_cpu) / median(hf_cpu)
    table.add(
        "cpu_ratio",
        "CPU-time ratio ptmlock / snapshot_download",
        cpu_ratio,
        "x",
        "client process CPU; steadier than wall time on a shared machine",
    )
    warm = median(warm_wall)
    table.add(
        "warm_reinstall_s",
        "warm re-install (nothing to do)",
        warm,
        "s",
        target_note(warm < 0.2, "< 0.2 s"),
    )
    table.add(
        "others_share",
        "CPU share other processes used meanwhile",
        max(shared),
        "",
        "max over the timed runs; > 0.05 means a shared machine: wall times are noisy",
    )
    if rss:
        gb = ms.single_bytes / 1e9
        table.add(
            "rss_ptmlock_mb",
            f"peak RSS, ptmlock install of 1 x {gb:.1f} GB",
            rss["ptmlock"],
            "MB",
            target_note(rss["ptmlock"] < 100, "< 100 MB") + f"; {rss['ptmlock_seconds']:.1f} s",
        )
        table.add(
            "rss_snapshot_download_mb",
            "peak RSS, snapshot_download of the same",
            rss["snapshot_download"],
            "MB",
            f"{rss['snapshot_download_seconds']:.1f} s",
        )
        table.add("rss_imports_mb", "peak RSS, importing both (baseline)", rss["imports"], "MB")
    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "install",
                    "scale": args.scale,
                    "files": len(allow),
                    "bytes": locked_bytes,
                    "cores": _cores(),
                    "results": table.data,
                    "runs": {
                        "snapshot_download": hf_wall,
                        "ptmlock": ptm_wall,
                        "warm": warm_wall,
                        "snapshot_download_cpu": hf_cpu,
                        "ptmlock_cpu": ptm_cpu,
                    },
                },
                indent=2,
            )
        )
    else:
        print(table.render())
    return 0


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
