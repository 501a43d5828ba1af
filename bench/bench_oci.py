"""OCI benchmark: ``install --from oci://`` a local registry vs from the hub vs snapshot_download.

The 2 GB model set (bench/_common.py) is served by the project's hub (``MirrorServer`` in a
child process) and, after one ``ptmlock push``, by a real registry (Debian's docker-registry,
CNCF distribution 2.8, filesystem storage), both on 127.0.0.1 with their files warm in the page
cache. Each repeat installs the same locked files into a fresh cache three ways, in rotating
order: ptmlock from the registry, ptmlock from the hub, ``snapshot_download`` from the hub
(ptmlock verifies every byte either way; snapshot_download hashes nothing). Then N processes of
``ptmlock install --from oci://`` at once into one shared cache (the per-blob file lock means
each blob is fetched once; the others wait and reuse it): total wall time, bytes fetched.

    python bench/bench_oci.py                  # 2 GB set, 3 repeats, 4 concurrent installs
    python bench/bench_oci.py --scale 0.1 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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
    timed,
)

from tests.sources.registry import RegistryServer  # the tests' registry launcher


def _concurrent(lock_path: Path, url: str, cache: Path, n: int) -> tuple[float, int, list[str]]:
    """``n`` install processes at once into ``cache``: (wall, bytes fetched in all, errors)."""
    cmd = [sys.executable, "-m", "ptmlock", "install", "--lock", str(lock_path), "--from", url,
           "--insecure", "--cache-dir", str(cache), "--json"]  # fmt: skip
    started = time.perf_counter()
    children = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(n)]  # fmt: skip
    outputs = [child.communicate() for child in children]
    wall = time.perf_counter() - started
    fetched, failures = 0, []
    for child, (out, err) in zip(children, outputs, strict=True):
        if child.returncode != 0:
            failures.append(err.strip())
        else:
            fetched += json.loads(out)["bytes_fetched"]
    return wall, fetched, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1.0 = 2 GB set)")
    parser.add_argument("--repeats", type=int, default=3, help="cold installs per way")
    parser.add_argument("--concurrent", type=int, default=4, help="installs at once (N)")
    parser.add_argument("--jobs", type=int, default=8, help="ptmlock install --jobs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    say = progress(not args.json)
    need = int(2000 * MB * args.scale * 6) + 500 * MB

    with Workspace(need) as ws:
        say(f"workspace {ws.root}; building the model set (scale {args.scale})")
        ms = build_model_set(ws.path("mirror"), args.scale, with_single=False)
        read_all(sorted((ms.store / "blobs").iterdir()))
        registry = RegistryServer(ws.path("registry"))
        url = registry.url("bench")
        try:
            with ServerProcess(ms.store) as server:
                ws.hf_environment(server.url)
                os.environ["DOCKER_CONFIG"] = str(ws.path("docker"))  # no real login
                from huggingface_hub import snapshot_download

                from ptmlock.hubs.huggingface import HuggingFaceHub
                from ptmlock.install import install
                from ptmlock.lockfile import write_lock
                from ptmlock.models import Lock, ModelRequest
                from ptmlock.sources.oci import OciSource
                from ptmlock.sources.oci_names import parse_location
                from ptmlock.sources.oci_push import push

                hub = HuggingFaceHub(endpoint=server.url)
                hubs = {"huggingface": hub}
                model = hub.resolve(
                    ModelRequest(hub="huggingface", id=ms.models, libraries=("snapshot",))
                )
                lock = Lock(models=(model,))
                locked = model.total_size
                allow = [f.path for f in model.files]
                say(f"locked {len(allow)} files, {locked / 1e9:.2f} GB")
                with timed(registry.pid) as tp:
                    pushed = push(lock, parse_location(url), hubs=hubs, insecure=True)
                push_s = tp[0].wall
                say(f"push: {push_s:.1f} s ({pushed.models[0].bytes_uploaded / 1e9:.2f} GB sent)")
                read_all(sorted((ws.path("registry") / "storage").rglob("data")))
                walls: dict[str, list[float]] = {"oci": [], "hub": [], "hf": []}
                cpus: dict[str, list[float]] = {"oci": [], "hub": [], "hf": []}
                ways = ["oci", "hub", "hf"]
                for rep in range(args.repeats):
                    for way in ways[rep % 3 :] + ways[: rep % 3]:
                        cache = ws.path(f"cache-{way}-{rep}")
                        exclude = registry.pid if way == "oci" else server.pid
                        with timed(exclude) as t:
                            if way == "oci":
                                with OciSource(parse_location(url), insecure=True) as source:
                                    report = install(lock, hubs={}, sources=[source],
                                                     hub_fallback=False, cache_dir=cache,
                                                     jobs=args.jobs)  # fmt: skip
                            elif way == "hub":
                                report = install(lock, hubs=hubs, cache_dir=cache, jobs=args.jobs)
                            else:
                                snapshot_download(ms.models, revision=model.revision,
                                                  cache_dir=cache, endpoint=server.url,
                                                  allow_patterns=allow)  # fmt: skip
                        if way != "hf" and report.bytes_fetched != locked:
                            raise SystemExit(f"{way}: fetched {report.bytes_fetched} bytes")
                        walls[way].append(t[0].wall)
                        cpus[way].append(t[0].cpu)
                        say(
                            f"repeat {rep + 1}: {way} {t[0].wall:.2f} s, "
                            f"others {t[0].others:.1f} CPU-s"
                        )
                        drop_tree(cache)

                lock_path = ws.path("ptm.lock")
                write_lock(lock, lock_path)
                wall_1, _, failures = _concurrent(lock_path, url, ws.path("one-cache"), 1)
                drop_tree(ws.path("one-cache"))
                shared = ws.path("shared-cache")
                wall_n, fetched_n, more = _concurrent(lock_path, url, shared, args.concurrent)
                failures += more
                if failures:
                    raise SystemExit(f"concurrent installs failed: {failures}")
                from ptmlock.verify import verify

                if not verify(lock, cache_dir=shared, full=True).ok:
                    raise SystemExit("the shared cache does not verify after concurrent installs")
                say(f"1 process: {wall_1:.2f} s; {args.concurrent} at once: {wall_n:.2f} s, "
                    f"{fetched_n / 1e9:.2f} GB fetched")  # fmt: skip
        finally:
            registry.stop()

    oci, hubw, hf = median(walls["oci"]), median(walls["hub"]), median(walls["hf"])
    table = Table(
        f"install of {len(allow)} files, {locked / 1e9:.2f} GB, median of {args.repeats} "
        f"({len(os.sched_getaffinity(0))} cores)"
    )
    for key, what, value in [
        ("oci_s", "ptmlock install --from oci:// (registry)", oci),
        ("hub_s", "ptmlock install from the hub server", hubw),
        ("snapshot_download_s", "snapshot_download from the hub server", hf),
    ]:
        way = key.split("_")[0] if key != "snapshot_download_s" else "hf"
        cpu = median(cpus[way])
        table.add(key, what, value, "s", f"{locked / MB / value:.0f} MB/s, CPU {cpu:.2f} s")
    table.add("ratio_oci_hub", "ratio registry / hub server", oci / hubw, "x")
    table.add("ratio_oci_hf", "ratio registry / snapshot_download", oci / hf, "x")
    table.add("push_s", "ptmlock push (cache warm, registry empty)", push_s, "s")
    table.add(
        "concurrent_s",
        f"{args.concurrent} installs at once, one shared cache",
        wall_n,
        "s",
        f"{fetched_n / 1e9:.2f} GB fetched in all (1 x the set = the lock held); "
        f"{wall_n / wall_1:.2f}x one such process ({wall_1:.2f} s)",
    )
    if args.json:
        print(json.dumps({"benchmark": "oci", "scale": args.scale, "results": table.data,
                          "runs": walls}, indent=2))  # fmt: skip
    else:
        print(table.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
