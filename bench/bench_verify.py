"""Verify benchmark: ``ptmlock.verify(full=True)`` against ``hashlib.sha256`` on the same files.

The model set (2 x 900 MB + 1 x 200 MB + 50 small files, times ``--scale``) is installed once
with ptmlock from a local mirror; then, on the same warm files, read the same way (4 MiB
``readinto``): a one-thread hashlib loop (the per-core limit), ``verify(full=True, jobs=1)``
(per-core ratio), ``verify(full=True)`` with its default jobs (does it use every core?), a
two-thread hashlib loop (the best the file sizes allow), ``sha256sum``, and a warm ``verify``
(no ``full``: the record makes it one stat per file).

    python bench/bench_verify.py                # 2 GB, 3 repeats
    python bench/bench_verify.py --scale 0.1    # quick
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # the bench folder is not a package
    MB,
    ServerProcess,
    Table,
    Workspace,
    build_model_set,
    hashlib_loop,
    median,
    progress,
    read_all,
    run_child,
    target_note,
    timed,
)


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def _threaded_hashlib(paths: list[Path], threads: int) -> None:
    """hashlib over ``paths`` on ``threads`` threads, largest first (the best schedule)."""
    ordered = sorted(paths, key=lambda p: -p.stat().st_size)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda p: hashlib_loop([p]), ordered))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1.0 = 2 GB set)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--keep", action="store_true", help="keep the temp workspace")
    args = parser.parse_args(argv)
    say = progress(not args.json)
    cores = _cores()
    need = int(2000 * MB * args.scale * 2.2) + 500 * MB

    with Workspace(need, keep=args.keep) as ws:
        say(f"workspace {ws.root}; building and installing the model set (scale {args.scale})")
        ms = build_model_set(ws.path("mirror"), args.scale, with_single=False)
        cache = ws.path("cache")
        with ServerProcess(ms.store) as server:
            ws.hf_environment(server.url)
            from ptmlock.hubs.huggingface import HuggingFaceHub
            from ptmlock.install import install
            from ptmlock.models import Lock, ModelRequest
            from ptmlock.verify import verify

            hub = HuggingFaceHub(endpoint=server.url)
            model = hub.resolve(
                ModelRequest(hub="huggingface", id=ms.models, libraries=("snapshot",))
            )
            lock = Lock(models=(model,))
            install(lock, hubs={"huggingface": hub}, cache_dir=cache)
        shutil.rmtree(ms.store, ignore_errors=True)  # only the installed copy is read from now
        blobs = cache / ("models--" + ms.models.replace("/", "--")) / "blobs"
        paths = [blobs / f.sha256 for f in model.files]
        total = sum(p.stat().st_size for p in paths)
        read_all(paths)  # every measurement reads the same warm page cache

        runs: dict[str, list[float]] = {
            k: []
            for k in (
                "hashlib",
                "verify_1",
                "verify_1_cpu",
                "verify",
                "verify_cpu",
                "hashlib_2",
                "hashlib_2_cpu",
                "sha256sum",
                "warm",
                "others",
            )
        }
        sha256sum = shutil.which("sha256sum")
        for rep in range(args.repeats):
            steps = ["hashlib", "verify_1", "verify", "hashlib_2", "sha256sum"]
            if rep % 2:
                steps.reverse()
            for step in steps:
                if step == "sha256sum":
                    if sha256sum:
                        child = run_child([sha256sum, *map(str, paths)], dict(os.environ))
                        runs["sha256sum"].append(child.seconds)
                    continue
                with timed() as t:
                    if step == "hashlib":
                        hashlib_loop(paths)
                    elif step == "hashlib_2":
                        _threaded_hashlib(paths, cores)
                    else:
                        report = verify(
                            lock, cache_dir=cache, full=True, jobs=1 if step == "verify_1" else None
                        )
                        if not report.ok or report.hashed != len(paths):
                            raise SystemExit(f"verify failed: {report}")
                runs[step].append(t[0].wall)
                if step != "hashlib":
                    runs[step + "_cpu"].append(t[0].cpu)
                runs["others"].append(t[0].others / (t[0].wall * cores))
                say(f"repeat {rep + 1}: {step} {t[0].wall:.2f} s, others {runs['others'][-1]:.0%}")
            with timed() as t:
                report = verify(lock, cache_dir=cache)
            if not report.ok or report.hashed:
                raise SystemExit(f"warm verify rehashed or failed: {report}")
            runs["warm"].append(t[0].wall)

    def rate(key: str) -> float:
        return total / MB / median(runs[key])

    table = Table(
        f"verify: {len(paths)} files, {total / 1e9:.2f} GB, warm page cache, "
        f"median of {args.repeats} (machine: {cores} cores)"
    )
    table.add(
        "hashlib_mb_s",
        "hashlib.sha256, 1 thread, 4 MiB reads",
        rate("hashlib"),
        "MB/s",
        "the per-core limit",
    )
    per_core = rate("verify_1") / rate("hashlib")
    table.add(
        "verify_jobs1_mb_s",
        "verify(full=True, jobs=1)",
        rate("verify_1"),
        "MB/s",
        f"{per_core:.2f}x hashlib; " + target_note(per_core >= 0.9, ">= 0.9x per core"),
    )
    table.add("per_core_ratio", "  ratio verify(jobs=1) / hashlib", per_core, "x")
    speedup = median(runs["hashlib"]) / median(runs["verify"])
    cpu_wall = median(runs["verify_cpu"]) / median(runs["verify"])
    table.add(
        "verify_mb_s",
        "verify(full=True), default jobs",
        rate("verify"),
        "MB/s",
        f"CPU/wall {cpu_wall:.2f}",
    )
    best = median(runs["hashlib"]) / median(runs["hashlib_2"])
    best_cpu_wall = median(runs["hashlib_2_cpu"]) / median(runs["hashlib_2"])
    as_good = speedup >= 0.9 * best
    table.add(
        "verify_speedup",
        "  speed-up over 1-thread hashlib",
        speedup,
        "x",
        ("as parallel as" if as_good else "LESS parallel than") + " hashlib threads (next row)",
    )
    table.add(
        "hashlib_threads_speedup",
        f"  hashlib on {cores} threads, largest first",
        best,
        "x",
        f"CPU/wall {best_cpu_wall:.2f}: what these file sizes and this machine allow",
    )
    if runs["sha256sum"]:
        table.add("sha256sum_mb_s", "sha256sum (coreutils), reference", rate("sha256sum"), "MB/s")
    warm = median(runs["warm"])
    table.add(
        "warm_verify_s",
        "warm verify (record present)",
        warm,
        "s",
        target_note(warm < 0.2, "< 0.2 s"),
    )
    table.add(
        "others_share",
        "CPU share other processes used meanwhile",
        max(runs["others"]),
        "",
        "max over the timed runs; > 0.05 means a shared machine: numbers are noisy",
    )
    if args.json:
        print(
            json.dumps(
                {
                    "benchmark": "verify",
                    "scale": args.scale,
                    "files": len(paths),
                    "bytes": total,
                    "cores": cores,
                    "results": table.data,
                    "runs": runs,
                },
                indent=2,
            )
        )
    else:
        print(table.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
