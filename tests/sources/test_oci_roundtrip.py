"""``ptmlock push`` to a real registry (CNCF distribution) and ``install --from oci://`` back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import hf_hub_download

from ptmlock.cli import main
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.hubs.url import UrlHub
from ptmlock.install import install
from ptmlock.lockfile import write_lock
from ptmlock.mirror import RepoStore
from ptmlock.models import Lock, ModelRequest
from ptmlock.sources.oci import OciSource
from ptmlock.sources.oci_client import Registry
from ptmlock.sources.oci_names import parse_location
from ptmlock.sources.oci_push import PushReport, push
from ptmlock.verify import verify
from tests.conftest import HfEnv
from tests.helpers import record_calls
from tests.sources.helpers import BIG, FAST, lock_of, locked_model
from tests.sources.registry import RegistryServer


def _push(lock: Lock, url: str, **kwargs: Any) -> PushReport:
    hub = HuggingFaceHub(policy=FAST)
    location = parse_location(url)
    return push(lock, location, hubs={"huggingface": hub}, insecure=True, policy=FAST, **kwargs)


def test_push_then_install_from_the_registry_loads_offline_with_the_hub_gone(
    store: RepoStore,
    hf_env: HfEnv,
    oci_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = locked_model(store, big=True, requested="v1.0")
    lock_path = tmp_path / "ptm.lock"
    write_lock(lock_of(model), lock_path)
    assert main(["push", oci_url, "--lock", str(lock_path), "--insecure", "--json"]) == 0
    pushed = json.loads(capsys.readouterr().out)["models"][0]
    assert pushed["uploaded"] == len(model.files) + 1  # and the config blob
    assert pushed["tags"] == [model.revision, "v1.0"]
    assert pushed["reference"].endswith("/org/tiny")

    # a fleet machine: an empty cache and no hub at all
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    fleet = tmp_path / "fleet"
    args = ["install", "--lock", str(lock_path), "--cache-dir", str(fleet), "--json"]
    assert main([*args, "--from", oci_url, "--insecure"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["fetched"]) == len(model.files)
    for file in model.files:
        found = hf_hub_download(
            "org/tiny", file.path, revision="v1.0", cache_dir=fleet, local_files_only=True
        )
        assert hashlib.sha256(Path(found).read_bytes()).hexdigest() == file.sha256
    assert not list(fleet.rglob("*.incomplete"))
    assert verify(lock_of(model), cache_dir=fleet, full=True).ok
    assert main(["verify", "--lock", str(lock_path), "--cache-dir", str(fleet)]) == 0


def test_push_again_sends_nothing_and_a_file_another_model_has_is_mounted(
    store: RepoStore, hf_env: HfEnv, oci_url: str
) -> None:
    tiny, twin = locked_model(store, "org/tiny"), locked_model(store, "org/twin")
    assert {f.sha256 for f in tiny.files} == {f.sha256 for f in twin.files}
    first = _push(lock_of(tiny, twin), oci_url)
    sent, mounted = first.models
    assert sent.uploaded == len(tiny.files) + 1 and sent.mounted == 0
    # twin's files are linked from org/tiny, only its own config is sent
    assert (mounted.mounted, mounted.uploaded) == (len(twin.files), 1)
    again = _push(lock_of(tiny, twin), oci_url)
    for result in again.models:
        assert (result.uploaded, result.mounted, result.bytes_uploaded) == (0, 0, 0)
        assert result.skipped == len(tiny.files) + 1
    # the same lock gives the same manifest, byte for byte
    assert [m.digest for m in again.models] == [m.digest for m in first.models]


def test_a_large_file_goes_up_in_chunks_and_comes_back_whole(
    store: RepoStore, hf_env: HfEnv, oci_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = locked_model(store, big=True)
    patches = record_calls(monkeypatch, Registry, "_patch")
    _push(lock_of(model), oci_url, chunk_size=1024 * 1024)
    assert len(patches) == 4  # 3 MiB + 17 bytes in 1 MiB chunks
    # the registry checked the digest when the upload closed; read it back to be sure
    fleet = tmp_path / "fleet"
    with OciSource(parse_location(oci_url), insecure=True, policy=FAST) as source:
        install(lock_of(model), hubs={}, sources=[source], hub_fallback=False, cache_dir=fleet)
    big = next(f for f in model.files if f.size == len(BIG))
    assert (fleet / "models--org--tiny" / "blobs" / big.sha256).read_bytes() == BIG


def test_push_sends_the_cached_bytes_without_hashing_them_again(
    store: RepoStore, hf_env: HfEnv, oci_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = locked_model(store, big=True)
    install(lock_of(model), hubs={"huggingface": HuggingFaceHub(policy=FAST)}, policy=FAST)
    import ptmlock.install

    hashed = record_calls(monkeypatch, ptmlock.install, "sha256_file")
    _push(lock_of(model), oci_url)
    assert hashed == []  # the verified record vouched for every file


def test_install_tries_mirrors_in_order_then_the_hub_when_allowed(
    store: RepoStore,
    hf_env: HfEnv,
    oci_url: str,
    open_registry: RegistryServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pushed, unpushed = (
        locked_model(store, "org/tiny"),
        locked_model(store, "org/other", license="mit"),
    )
    _push(lock_of(pushed), oci_url)
    lock_path = tmp_path / "ptm.lock"
    write_lock(lock_of(pushed, unpushed), lock_path)
    empty = open_registry.url("nothing-here")
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.ptmlock]\nmirrors = ["{empty}", "{oci_url}"]\n'
    )
    args = ["install", "--lock", str(lock_path), "--insecure", "--cache-dir"]
    # org/other is in no mirror, and the hub is not allowed: one line naming it
    assert main([*args, str(tmp_path / "a")]) == 3
    err = capsys.readouterr().err
    assert "org/other@" in err and "no such tag" in err
    assert not (tmp_path / "a" / "models--org--other" / "snapshots").exists()
    # with the fallback the hub serves it; org/tiny still comes from the second mirror
    assert main([*args, str(tmp_path / "b"), "--hub-fallback", "--json"]) == 0
    fetched = json.loads(capsys.readouterr().out)["fetched"]
    assert {f["model"] for f in fetched} == {"org/tiny", "org/other"}
    assert verify(lock_of(pushed, unpushed), cache_dir=tmp_path / "b", full=True).ok


def test_a_url_checkpoint_goes_through_the_registry_into_torch_checkpoints(
    store: RepoStore, hf_env: HfEnv, oci_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = store.commit("org/weights", {"resnet50-0676ba61.pth": BIG[:100_000]})
    url = f"{hf_env.endpoint}/org/weights/resolve/{commit}/resnet50-0676ba61.pth"
    model = UrlHub(policy=FAST).resolve(ModelRequest(hub="url", id=url, libraries=("url",)))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-pusher"))
    hubs = {"url": UrlHub(policy=FAST)}
    location = parse_location(oci_url)
    report = push(lock_of(model), location, hubs=hubs, insecure=True, policy=FAST)
    assert report.models[0].reference.endswith("/url/127.0.0.1/org/weights/resolve/" + commit +
                                                "/resnet50-0676ba61.pth")  # fmt: skip
    assert report.models[0].tags == (model.revision,)  # the sha256 is the revision
    torch_dir = tmp_path / "torch-fleet" / "hub" / "checkpoints"
    with OciSource(location, insecure=True, policy=FAST) as source:
        install(lock_of(model), hubs={}, sources=[source], hub_fallback=False, torch_dir=torch_dir)
    assert (torch_dir / "resnet50-0676ba61.pth").read_bytes() == BIG[:100_000]


def test_a_file_an_earlier_push_sent_for_another_model_is_mounted_not_sent(
    store: RepoStore, hf_env: HfEnv, oci_url: str
) -> None:
    tiny, twin = locked_model(store, "org/tiny"), locked_model(store, "org/twin")
    _push(lock_of(tiny), oci_url)  # yesterday
    today = _push(lock_of(twin, tiny), oci_url).models[0]  # twin first: found by a HEAD
    assert (today.mounted, today.uploaded) == (len(twin.files), 1)  # only its config is new
