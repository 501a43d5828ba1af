"""Verified install into the Hugging Face cache, over real HTTP, including faults."""

from __future__ import annotations

import errno
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import hf_hub_download

from ptmlock import errors
from ptmlock.cli import main
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.install import install
from ptmlock.lockfile import write_lock
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.models import Lock, ModelRequest
from ptmlock.retry import RetryPolicy
from ptmlock.verify import verify
from tests.conftest import HfEnv
from tests.helpers import make_transformers_repo, record_calls

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)
BIG = os.urandom(3 * 1024 * 1024 + 17)  # several chunks, so a cut lands mid-body


def _lock(store: RepoStore, *, big: bool = False, requested: str | None = None) -> Lock:
    extra = {"model-00001-of-00001.safetensors": BIG} if big else {}
    commit = make_transformers_repo(store, "org/tiny", extra=extra)
    store.tag("org/tiny", "v1.0", commit)
    hub = HuggingFaceHub(policy=FAST)
    return Lock(
        models=(hub.resolve(ModelRequest(hub="huggingface", id="org/tiny", requested=requested)),)
    )


def _lock_file(store: RepoStore, folder: Path, *, big: bool = False) -> tuple[Lock, Path]:
    """``_lock`` written to ``folder/ptm.lock``, for tests that run the command line."""
    lock = _lock(store, big=big)
    path = folder / "ptm.lock"
    write_lock(lock, path)
    return lock, path


def _install(lock: Lock, env: HfEnv, **kwargs: object) -> object:
    hub = HuggingFaceHub(policy=FAST)
    return install(lock, hubs={"huggingface": hub}, policy=FAST, **kwargs)  # type: ignore[arg-type]


def test_install_places_files_where_huggingface_hub_reads_them(
    store: RepoStore, hf_env: HfEnv
) -> None:
    lock = _lock(store, requested="v1.0")
    model = lock.models[0]
    report = _install(lock, hf_env)
    assert len(report.fetched) == len(model.files)  # type: ignore[attr-defined]
    repo = hf_env.cache / "models--org--tiny"
    assert (repo / "refs" / "v1.0").read_text() == model.revision
    for file in model.files:
        blob = repo / "blobs" / file.sha256
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == file.sha256
        link = repo / "snapshots" / model.revision / file.path
        assert link.is_symlink() and link.resolve() == blob.resolve()
        # the real client, offline, finds the file through the ref the project asks for
        found = hf_hub_download(
            "org/tiny", file.path, revision="v1.0", cache_dir=hf_env.cache, local_files_only=True
        )
        assert Path(found).read_bytes() == blob.read_bytes()
    assert not list(repo.rglob("*.incomplete"))


def test_install_second_run_reuses_everything(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    lock = _lock(store)
    _install(lock, hf_env)
    before = len(mirror.requests)
    report = _install(lock, hf_env)
    assert report.fetched == [] and len(report.reused) == len(lock.models[0].files)  # type: ignore[attr-defined]
    assert len(mirror.requests) == before  # no network at all
    assert (hf_env.cache / "models--org--tiny" / "refs" / "main").read_text() == lock.models[
        0
    ].revision


def test_install_never_waits_for_the_disk_but_a_lock_write_does(
    store: RepoStore, hf_env: HfEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one fsync on ext4 flushes every dirty page of the filesystem: 2-3 s after a 2 GB
    # install (bench/README.md). Cache files are bookkeeping, as in huggingface_hub's cache;
    # files people commit are still flushed before their rename.
    lock = _lock(store, requested="v1.0")
    synced = record_calls(monkeypatch, os, "fsync")
    _install(lock, hf_env)
    assert synced == []
    assert (hf_env.cache / "models--org--tiny" / "refs" / "v1.0").read_text() == lock.models[
        0
    ].revision
    write_lock(lock, tmp_path / "ptm.lock")
    assert len(synced) == 1


def test_a_fresh_partial_file_is_a_new_file_never_one_truncated_to_zero(tmp_path: Path) -> None:
    # ext4 flushes a file truncated to zero when it is closed (auto_da_alloc): 0.3 s per
    # 900 MB during which the download waits. A restart makes a new inode instead.
    from ptmlock.confine import open_partial

    partial = tmp_path / "blob.incomplete"
    partial.write_bytes(b"")
    old_inode = partial.stat().st_ino
    keep = tmp_path / "keep"  # hold the old inode so the new file can't reuse its number
    os.link(partial, keep)
    with open_partial(partial, 0) as out:
        out.write(b"new")
    assert partial.stat().st_ino != old_inode and partial.read_bytes() == b"new"
    # resuming keeps the bytes received and drops anything past them
    partial.write_bytes(b"0123456789")
    with open_partial(partial, 4) as out:
        out.write(b"ab")
    assert partial.read_bytes() == b"0123ab"


def test_install_refuses_corrupt_bytes_and_leaves_no_trace(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    lock = _lock(store)
    corrupt = mirror.faults.add(kind="corrupt", match="/config.json")
    with pytest.raises(errors.IntegrityError) as info:
        _install(lock, hf_env)
    assert corrupt.fired == 1  # wrong bytes are not a transient failure: never fetched again
    file = next(f for f in lock.models[0].files if f.path == "config.json")
    message = str(info.value)
    assert "org/tiny" in message and "config.json" in message and file.sha256 in message
    repo = hf_env.cache / "models--org--tiny"
    assert not (repo / "blobs" / file.sha256).exists()
    assert not (repo / "snapshots" / lock.models[0].revision / "config.json").exists()
    assert not list(repo.rglob("*.incomplete"))


def test_install_resumes_a_truncated_body_with_range(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    lock = _lock(store, big=True)
    fault = mirror.faults.add(
        kind="truncate", match=hashlib.sha256(BIG).hexdigest(), after_bytes=1_500_000, times=1
    )
    _install(lock, hf_env)
    assert fault.fired == 1
    ranges = [r.range for r in mirror.requests if r.range]
    assert ranges and ranges[0].startswith("bytes=") and ranges[0] != "bytes=0-"
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok


def test_install_restarts_when_the_server_ignores_range(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    lock = _lock(store, big=True)
    sha = hashlib.sha256(BIG).hexdigest()
    mirror.faults.add(kind="truncate", match=sha, after_bytes=1_000_000, times=1)
    mirror.faults.add(kind="ignore_range", match=sha)
    _install(lock, hf_env)
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok


def test_install_survives_a_burst_of_500s_and_429s(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    lock = _lock(store)
    errors_500 = mirror.faults.add(kind="status", status=500, times=2, match="tokenizer.json")
    errors_429 = mirror.faults.add(
        kind="status", status=429, retry_after=0.01, times=2, match="vocab.txt"
    )
    _install(lock, hf_env)
    assert errors_500.fired == 2 and errors_429.fired == 2
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok


def test_install_gives_up_after_bounded_retries(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    lock = _lock(store)
    mirror.faults.add(kind="status", status=503, match="config.json")
    with pytest.raises(errors.TransientHubError, match="503"):
        _install(lock, hf_env)


def test_install_offline_lists_what_is_missing_without_network(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    lock = _lock(store)
    before = len(mirror.requests)
    with pytest.raises(errors.OfflineError) as info:
        _install(lock, hf_env, offline=True)
    for file in lock.models[0].files:
        assert f"org/tiny/{file.path}" in str(info.value)
    assert len(mirror.requests) == before
    _install(lock, hf_env)
    _install(lock, hf_env, offline=True)  # populated: fine


def test_install_target_materializes_hardlinked_folders(
    store: RepoStore, hf_env: HfEnv, tmp_path: Path
) -> None:
    lock = _lock(store)
    target = tmp_path / "models"
    _install(lock, hf_env, target=target)
    for file in lock.models[0].files:
        placed = target / "org" / "tiny" / file.path
        blob = hf_env.cache / "models--org--tiny" / "blobs" / file.sha256
        assert placed.read_bytes() == blob.read_bytes()
        assert placed.stat().st_ino == blob.stat().st_ino


def test_install_target_on_another_filesystem_copies_once(
    store: RepoStore, hf_env: HfEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cross_device(source: object, destination: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)  # what a target on another volume answers
    lock = _lock(store)
    target = tmp_path / "models"
    copies = record_calls(monkeypatch, shutil, "copy2")
    _install(lock, hf_env, target=target)
    files = lock.models[0].files
    assert len(copies) == len(files)
    for file in files:
        placed = target / "org" / "tiny" / file.path
        blob = hf_env.cache / "models--org--tiny" / "blobs" / file.sha256
        assert placed.read_bytes() == blob.read_bytes()
        assert placed.stat().st_ino != blob.stat().st_ino
    copies.clear()
    _install(lock, hf_env, target=target)
    assert copies == []  # unchanged copies are recognised, not copied again
    edited = target / "org" / "tiny" / "config.json"
    edited.write_text('{"edited": true}')
    _install(lock, hf_env, target=target)
    assert len(copies) == 1 and hashlib.sha256(edited.read_bytes()).hexdigest() == next(
        f.sha256 for f in files if f.path == "config.json"
    )


def test_install_two_at_once_into_one_cache(store: RepoStore, hf_env: HfEnv) -> None:
    lock = _lock(store, big=True)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            _install(lock, hf_env)
        except BaseException as exc:  # recorded, asserted below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok


def test_verify_catches_a_flipped_byte_and_a_missing_file(store: RepoStore, hf_env: HfEnv) -> None:
    lock = _lock(store)
    _install(lock, hf_env)
    assert verify(lock, cache_dir=hf_env.cache).ok
    model = lock.models[0]
    weights = next(f for f in model.files if f.path == "model.safetensors")
    blob = hf_env.cache / "models--org--tiny" / "blobs" / weights.sha256
    data = bytearray(blob.read_bytes())
    data[100] ^= 0x01
    blob.write_bytes(bytes(data))
    (hf_env.cache / "models--org--tiny" / "snapshots" / model.revision / "vocab.txt").unlink()
    report = verify(lock, cache_dir=hf_env.cache)
    kinds = {(p.path, p.kind) for p in report.problems}
    assert kinds == {("model.safetensors", "sha256"), ("vocab.txt", "missing")}
    # and a re-install repairs both
    _install(lock, hf_env)
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok


def test_install_retries_dropped_connections_and_a_slow_server(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer
) -> None:
    lock = _lock(store, big=True)
    dropped = mirror.faults.add(kind="drop", match="vocab.txt", times=2)
    mirror.faults.add(
        kind="slow", match=hashlib.sha256(BIG).hexdigest(), latency=0.2, bytes_per_second=8e6
    )
    _install(lock, hf_env)
    assert dropped.fired == 2
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok


def test_install_ctrl_c_leaves_no_half_file_and_resumes(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer, tmp_path: Path
) -> None:
    lock, lock_path = _lock_file(store, tmp_path, big=True)
    sha = hashlib.sha256(BIG).hexdigest()
    mirror.faults.add(kind="slow", match=sha, bytes_per_second=400_000)
    blob = hf_env.cache / "models--org--tiny" / "blobs" / sha
    partial = blob.with_name(sha + ".incomplete")
    command = [sys.executable, "-m", "ptmlock", "install", "--lock", str(lock_path), "-q"]
    with subprocess.Popen(command, env=dict(os.environ), stderr=subprocess.PIPE, text=True) as proc:
        deadline = time.monotonic() + 30
        while not (partial.exists() and partial.stat().st_size > 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not blob.exists() and partial.exists()  # nothing unverified at a final path
    have = partial.stat().st_size
    assert 0 < have < len(BIG)
    mirror.faults.clear()
    report = _install(lock, hf_env)
    assert any(f.action == "resumed" for f in report.fetched)  # type: ignore[attr-defined]
    assert f"bytes={have}-" in [r.range for r in mirror.requests]
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok


def test_install_two_processes_at_once_into_one_cache(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer, tmp_path: Path
) -> None:
    lock, lock_path = _lock_file(store, tmp_path, big=True)
    mirror.faults.add(kind="slow", match=hashlib.sha256(BIG).hexdigest(), bytes_per_second=4e6)
    command = [sys.executable, "-m", "ptmlock", "install", "--lock", str(lock_path), "--json"]
    procs = [
        subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok
    blob = hf_env.cache / "models--org--tiny" / "blobs" / hashlib.sha256(BIG).hexdigest()
    assert not blob.with_name(blob.name + ".incomplete").exists()


def test_install_gated_needs_the_token_and_never_shows_it(
    store: RepoStore, hf_env: HfEnv, monkeypatch: pytest.MonkeyPatch, mirror: MirrorServer
) -> None:
    make_transformers_repo(store, "org/gated")
    store.set_gated("org/gated", "manual", tokens=["hf_secret_ok"])
    monkeypatch.setenv("HF_TOKEN", "hf_secret_ok")
    lock = Lock(
        models=(
            HuggingFaceHub(policy=FAST).resolve(ModelRequest(hub="huggingface", id="org/gated")),
        )
    )
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(errors.GatedModelError) as info:
        install(lock, hubs={"huggingface": HuggingFaceHub(token="", policy=FAST)}, policy=FAST)
    assert info.value.hint is not None and "HF_TOKEN" in info.value.hint
    wrong = HuggingFaceHub(token="hf_wrong_token", policy=FAST)
    with pytest.raises(errors.GatedModelError) as info:
        install(lock, hubs={"huggingface": wrong}, policy=FAST)
    assert "hf_wrong_token" not in str(info.value)
    right = HuggingFaceHub(token="hf_secret_ok", policy=FAST)
    mirror.requests.clear()
    install(lock, hubs={"huggingface": right}, policy=FAST)
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok
    assert all(r.authorized for r in mirror.requests if "/resolve/" in r.path)


# -- local storage: no space, a file too large, a cache that is not a folder ---------------------
def test_verify_reports_progress_per_file_and_byte(store: RepoStore, hf_env: HfEnv) -> None:
    lock = _lock(store, big=True)
    _install(lock, hf_env)
    events: list[tuple[str, str, int]] = []
    lock_events = threading.Lock()

    def record(event: str, name: str, amount: int) -> None:
        with lock_events:
            events.append((event, name, amount))

    files = {f"org/tiny/{f.path}": f.size for f in lock.models[0].files}
    assert verify(lock, cache_dir=hf_env.cache, full=True, progress=record).ok
    for name, size in files.items():
        mine = [(event, n) for event, who, n in events if who == name]
        assert mine[0] == ("start", size) and mine[-1] == ("done", size)
        assert sum(n for e, n in mine if e == "bytes") == size
    events.clear()
    assert verify(lock, cache_dir=hf_env.cache, progress=record).ok  # the record: no hashing
    assert sorted(events) == sorted(("reused", name, size) for name, size in files.items())


def test_install_checks_free_space_before_fetching_anything(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = _lock(store, big=True)
    real = shutil.disk_usage

    def nearly_full(path: str | os.PathLike[str]) -> Any:
        return real(path)._replace(free=len(BIG) // 2)

    monkeypatch.setattr(shutil, "disk_usage", nearly_full)
    mirror.requests.clear()
    with pytest.raises(errors.StorageError) as info:
        _install(lock, hf_env)
    message = str(info.value)
    assert "need 3.1MB" in message and "1.6MB is free" in message
    assert info.value.hint is not None and "--cache-dir" in info.value.hint
    assert not [r for r in mirror.requests if "/resolve/" in r.path]
    assert not (hf_env.cache / "models--org--tiny" / "blobs").exists()


def test_install_out_of_room_mid_file_is_one_clear_line_and_resumes_later(
    store: RepoStore, hf_env: HfEnv, tmp_path: Path
) -> None:
    # a real write failure: the kernel refuses bytes past RLIMIT_FSIZE (EFBIG), even for root
    lock, lock_path = _lock_file(store, tmp_path, big=True)
    limit = len(BIG) // 2

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "ptmlock", "install", "--lock", str(lock_path), "--jobs", "1"]
    done = subprocess.run(
        command, env=dict(os.environ), capture_output=True, text=True, preexec_fn=small_files
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    blob = hf_env.cache / "models--org--tiny" / "blobs" / hashlib.sha256(BIG).hexdigest()
    partial = blob.with_name(blob.name + ".incomplete")
    assert lines[0] == f"ptmlock: error: {partial}: File too large", done.stderr
    assert len(lines) == 2 and "free some space" in lines[1]
    assert not blob.exists() and 0 < partial.stat().st_size <= limit
    report = _install(lock, hf_env)  # room again: continues from the bytes kept
    assert any(r.action == "resumed" for r in report.files)  # type: ignore[attr-defined]
    assert verify(lock, cache_dir=hf_env.cache, full=True).ok


def test_install_into_a_cache_that_is_a_file_names_it(
    store: RepoStore, hf_env: HfEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lock_path = _lock_file(store, tmp_path)
    not_a_folder = tmp_path / "cache-is-a-file"
    not_a_folder.write_text("oops")
    code = main(["install", "--lock", str(lock_path), "--cache-dir", str(not_a_folder)])
    err = capsys.readouterr().err
    assert code == 2 and "this is a bug" not in err
    assert err.startswith(f"ptmlock: error: {not_a_folder}") and "Not a directory" in err
    assert not_a_folder.read_text() == "oops"


def test_install_offline_calls_a_present_wrong_file_corrupt_with_the_verify_code(
    store: RepoStore, hf_env: HfEnv, mirror: MirrorServer, tmp_path: Path
) -> None:
    lock, path = _lock_file(store, tmp_path)
    _install(lock, hf_env)
    config = next(f for f in lock.models[0].files if f.path == "config.json")
    blob = hf_env.cache / "models--org--tiny" / "blobs" / config.sha256
    blob.chmod(0o644)
    blob.write_bytes(b"x" * config.size)  # same size, other bytes
    os.utime(blob, ns=(1, 1))  # and a new mtime: the record no longer vouches for it
    before = len(mirror.requests)
    with pytest.raises(errors.IntegrityError, match=r"corrupt.*org/tiny/config\.json"):
        _install(lock, hf_env, offline=True)
    assert main(["install", "--lock", str(path), "--offline", "-q"]) == 1  # verify's code
    assert len(mirror.requests) == before
    assert blob.read_bytes() == b"x" * config.size  # offline changes nothing


def test_install_writes_the_negative_cache_markers_huggingface_hub_reads(
    store: RepoStore, hf_env: HfEnv
) -> None:
    from huggingface_hub import _CACHED_NO_EXIST, try_to_load_from_cache

    lock = _lock(store)
    model = lock.models[0]
    assert "special_tokens_map.json" in model.absent  # probed by AutoTokenizer, not in the repo
    assert not {f.path for f in model.files} & set(model.absent)
    _install(lock, hf_env)
    for path in model.absent:
        found = try_to_load_from_cache("org/tiny", path, cache_dir=hf_env.cache)
        assert found is _CACHED_NO_EXIST, path
    _install(lock, hf_env, offline=True)  # markers are not content: nothing to verify
