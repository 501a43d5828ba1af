"""Shared helpers for the install and verify benchmarks.

Everything a benchmark writes lives under one temporary workspace (``Workspace``), removed at
the end. The model set is built once per invocation into a ``RepoStore`` and served by a
``MirrorServer`` in a child process bound to 127.0.0.1 (so the server's Python work never
competes with the measured client for the GIL; it still shares the two cores, as a local mirror
would). The child serves until its stdin closes.

Call ``Workspace.hf_environment`` before importing ``huggingface_hub`` (directly or through
``ptmlock.install``/``ptmlock.hubs``): huggingface_hub freezes ``HF_ENDPOINT``/``HF_HOME`` at
import, and the benchmark must never reach huggingface.co nor read a real login.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "CHUNK",
    "MB",
    "ChildRun",
    "ModelSet",
    "ServerProcess",
    "Table",
    "Workspace",
    "build_model_set",
    "cpu_seconds",
    "drop_tree",
    "hashlib_loop",
    "median",
    "progress",
    "read_all",
    "run_child",
    "target_note",
    "timed",
]

MB = 1_000_000
CHUNK = 4 * 1024 * 1024  # the read size of ptmlock.hashing, so "read the same way"
_POOL = 64 * 1024 * 1024  # random bytes generated once, sliced at random offsets
_PARENT_DIRS = ("/tmp", "/work")


# -- workspace ---------------------------------------------------------------------------------
class Workspace:
    """A temporary folder (on the filesystem with the most free space) removed on exit."""

    def __init__(self, need_bytes: int, keep: bool = False) -> None:
        parent = _roomiest(need_bytes)
        self.root = Path(tempfile.mkdtemp(prefix="ptmlock-bench-", dir=parent))
        self.keep = keep

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def path(self, name: str) -> Path:
        return self.root / name

    def hf_environment(self, endpoint: str) -> dict[str, str]:
        """Point huggingface_hub at ``endpoint`` with a throw-away home; no token at all."""
        home = self.root / "hf-home"
        home.mkdir(exist_ok=True)
        os.environ.update(
            HF_ENDPOINT=endpoint,
            HF_HOME=str(home),
            HF_HUB_CACHE=str(home / "hub"),
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            HF_TOKEN_PATH=str(home / "no-token"),
        )
        for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
            os.environ.pop(name, None)
        return dict(os.environ)


def _roomiest(need_bytes: int) -> str:
    best, free = _PARENT_DIRS[0], -1
    for parent in _PARENT_DIRS:
        try:
            avail = shutil.disk_usage(parent).free
        except OSError:
            continue
        if avail > free:
            best, free = parent, avail
    if free < need_bytes:
        raise SystemExit(f"need {need_bytes / 1e9:.1f} GB free in {best}, have {free / 1e9:.1f} GB")
    return best


def drop_tree(path: Path) -> None:
    """Delete ``path`` and flush, so the next run doesn't pay for this one's dirty pages."""
    shutil.rmtree(path, ignore_errors=True)
    os.sync()


# -- the model set -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSet:
    store: Path
    models: str  # repo id of the multi-file model set
    single: str  # repo id of the one-large-file repo (peak RSS)
    total_bytes: int
    single_bytes: int
    file_count: int


def _write_random(path: Path, size: int, rng: random.Random, pool: bytes) -> None:
    """``size`` incompressible, content-unique bytes: random slices of a random pool, each
    block prefixed by a random tag (generating GBs from the OS RNG runs at ~85 MB/s here)."""
    with path.open("wb") as out:
        left = size
        while left > 0:
            n = min(CHUNK, left)
            start = rng.randrange(0, len(pool) - n + 1)
            block = rng.randbytes(32) + pool[start : start + n - 32] if n > 32 else pool[:n]
            out.write(block)
            left -= n


def build_model_set(
    root: Path, scale: float, *, with_single: bool = True, seed: int = 20240101
) -> ModelSet:
    """2 x 900 MB + 1 x 200 MB ``*.safetensors`` + 50 small json/txt files (times ``scale``),
    and a repo holding one 2 GB file (times ``scale``), committed into a RepoStore."""
    from ptmlock.mirror import RepoStore

    rng = random.Random(seed)
    pool = os.urandom(_POOL)
    src = root / "src"
    models_src, single_src = src / "models", src / "single"
    models_src.mkdir(parents=True)
    large = {
        "model-00001-of-00002.safetensors": int(900 * MB * scale),
        "model-00002-of-00002.safetensors": int(900 * MB * scale),
        "adapter_model.safetensors": int(200 * MB * scale),
    }
    for name, size in large.items():
        _write_random(models_src / name, size, rng, pool)
    for i in range(25):
        config = {"index": i, "hidden_size": 64 * (i + 1), "pad": rng.randbytes(200 + i).hex()}
        (models_src / f"config_{i:02d}.json").write_text(json.dumps(config))
        text = "\n".join(f"token{j}-{rng.random()}" for j in range(40 * (i + 1)))
        (models_src / f"vocab_{i:02d}.txt").write_text(text)
    small_total = sum(p.stat().st_size for p in models_src.iterdir() if p.suffix != ".safetensors")
    store = RepoStore(root / "store")
    store.commit("bench/models", models_src, message="benchmark model set", link=True)
    single_bytes = 0
    if with_single:
        single_src.mkdir(parents=True)
        single_bytes = int(2000 * MB * scale)
        _write_random(single_src / "model.safetensors", single_bytes, rng, pool)
        store.commit("bench/single", single_src, message="one large file", link=True)
    return ModelSet(
        store=store.root,
        models="bench/models",
        single="bench/single",
        total_bytes=sum(large.values()) + small_total,
        single_bytes=single_bytes,
        file_count=len(large) + 50,
    )


def read_all(paths: Sequence[Path]) -> None:
    """Read files once so they are in the page cache (every run then starts equally warm)."""
    buffer = bytearray(CHUNK)
    for path in paths:
        with path.open("rb", buffering=0) as handle:
            while handle.readinto(buffer):
                pass


# -- the server --------------------------------------------------------------------------------
_SERVER_CODE = """
import sys
from pathlib import Path
from ptmlock.mirror import MirrorServer
with MirrorServer(Path(sys.argv[1]), "127.0.0.1", 0) as server:
    print(server.url, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
"""


class ServerProcess:
    """``MirrorServer`` over ``store`` in a child process on 127.0.0.1; ``url`` once started."""

    def __init__(self, store: Path) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER_CODE, str(store)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise SystemExit(f"mirror server did not start (said {self.url!r})")

    @property
    def pid(self) -> int:
        return self._proc.pid

    def close(self) -> None:
        stdin: IO[str] | None = self._proc.stdin
        if stdin is not None and not stdin.closed:
            stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- measuring ---------------------------------------------------------------------------------
def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_PF_KTHREAD = 0x00200000


def _process_times() -> dict[tuple[int, int], float]:
    """(pid, start time) -> user + system CPU seconds, with reaped children, of every
    user-space process (kernel threads left out), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[tuple[int, int], float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[6]) & _PF_KTHREAD:
            continue
        key = (int(entry.name), int(fields[19]))
        out[key] = sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
    return out


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of another (still running) process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float  # this process, all threads
    others: float  # CPU-seconds every other user-space process used meanwhile


@contextmanager
def timed(exclude_pid: int | None = None) -> Iterator[list[Timed]]:
    """``with timed() as t: ...`` then ``t[0].wall``, ``t[0].cpu``, ``t[0].others``.

    ``others`` is the CPU time every other user-space process used meanwhile (this process and
    ``exclude_pid``, our mirror server, left out; kernel threads too): the wall times are only
    comparable when it is small.
    """
    out: list[Timed] = []
    mine = {os.getpid(), exclude_pid}
    before = _process_times()
    wall, cpu = time.perf_counter(), cpu_seconds()
    yield out
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    after = _process_times()
    # a process that ended meanwhile moved its time into its parent's cutime: compare totals
    others = sum(t for k, t in after.items() if k[0] not in mine) - sum(
        t for k, t in before.items() if k[0] not in mine
    )
    out.append(Timed(wall, cpu, max(0.0, others)))


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    max_rss_mb: float
    cpu: float
    returncode: int
    stderr: str


# Linux keeps, across fork and exec, the peak RSS of the process a child was forked from: a child
# of this (large) benchmark process would report at least our own RSS. So a small launcher runs
# the command, and reports the command's own rusage (wait4) as one JSON line on stdout.
_LAUNCHER = """
import json, os, subprocess, sys, time
deadline = time.monotonic() + float(sys.argv[1])
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
while True:
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if pid:
        break
    if time.monotonic() > deadline:
        proc.kill()
    time.sleep(0.005)
print(json.dumps({"seconds": time.perf_counter() - started, "maxrss_kib": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime,
                  "returncode": os.waitstatus_to_exitcode(status)}))
"""


def run_child(cmd: Sequence[str], env: dict[str, str], timeout: float = 1800) -> ChildRun:
    """Run ``cmd`` (through the launcher); its own peak RSS, wall and CPU time."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", _LAUNCHER, str(timeout), *cmd],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout + 60,
        check=False,
    )
    try:
        facts = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"launcher failed: {done.stderr[-2000:]}") from None
    return ChildRun(
        seconds=facts["seconds"],
        max_rss_mb=facts["maxrss_kib"] / 1024,
        cpu=facts["cpu"],
        returncode=facts["returncode"],
        stderr=done.stderr[-2000:],
    )


def hashlib_loop(paths: Sequence[Path]) -> dict[str, str]:
    """sha256 of each file, one thread, 4 MiB ``readinto`` (what ptmlock.hashing does)."""
    import hashlib

    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    out = {}
    for path in paths:
        digest = hashlib.sha256()
        with path.open("rb", buffering=0) as handle:
            while got := handle.readinto(buffer):
                digest.update(view[:got])
        out[str(path)] = digest.hexdigest()
    return out


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- reporting ---------------------------------------------------------------------------------
class Table:
    """Rows of (what, value, note) printed aligned, and kept for ``--json``."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[str, str, str]] = []
        self.data: dict[str, Any] = {}

    def add(self, key: str, what: str, value: float, unit: str, note: str = "") -> None:
        self.data[key] = value
        shown = f"{value:.3f} {unit}" if abs(value) < 10 else f"{value:.1f} {unit}"
        self.rows.append((what, shown, note))

    def render(self) -> str:
        width = max((len(r[0]) for r in self.rows), default=0)
        vwidth = max((len(r[1]) for r in self.rows), default=0)
        lines = [self.title, "-" * len(self.title)]
        lines += [f"{w:<{width}}  {v:>{vwidth}}  {n}".rstrip() for w, v, n in self.rows]
        return "\n".join(lines)


def target_note(ok: bool, target: str) -> str:
    return f"target {target}: {'met' if ok else 'MISSED'}"


def progress(enabled: bool) -> Callable[[str], None]:
    def say(message: str) -> None:
        if enabled:
            print(f"# {message}", file=sys.stderr, flush=True)

    return say
