"""Registries that ask for credentials: htpasswd (basic) and the distribution token flow, with
credentials from DOCKER_CONFIG as ``docker login`` writes them, and never shown anywhere."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from ptmlock.cli import main
from ptmlock.install import install
from ptmlock.lockfile import read_lock, write_lock
from ptmlock.mirror import RepoStore
from ptmlock.sources.oci import OciSource
from ptmlock.sources.oci_names import parse_location
from ptmlock.verify import verify
from tests.conftest import HfEnv
from tests.sources.helpers import FAST, lock_of, locked_model
from tests.sources.registry import PASSWORD, RegistryServer, TokenServer, docker_config

_namespaces = iter(range(1000))


def _lock(store: RepoStore, folder: Path) -> Path:
    path = folder / "ptm.lock"
    write_lock(lock_of(locked_model(store, requested="v1.0")), path)
    return path


def _round_trip(registry: RegistryServer, lock: Path, folder: Path) -> list[str]:
    """push, then install into a fresh cache from the registry: the commands' exit codes."""
    url = registry.url(f"auth{next(_namespaces)}")
    pushed = main(["-vv", "push", url, "--lock", str(lock), "--insecure", "-q"])
    cache = folder / f"fleet-{url.rsplit('/', 1)[1]}"
    installed = main(["-vv", "install", "--lock", str(lock), "--from", url, "--insecure",
                      "--cache-dir", str(cache), "-q"])  # fmt: skip
    return [str(pushed), str(installed)]


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_a_registry_that_asks_for_credentials_without_them_is_one_line_naming_the_file(
    kind: str,
    request: pytest.FixtureRequest,
    store: RepoStore,
    hf_env: HfEnv,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    registry: RegistryServer = request.getfixturevalue(f"{kind}_registry")
    lock = _lock(store, tmp_path)
    url = registry.url("nocreds")
    fleet = tmp_path / "fleet"
    code = main(["install", "--lock", str(lock), "--from", url, "--insecure",
                 "--cache-dir", str(fleet)])  # fmt: skip
    assert code == 3
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert "org/tiny@" in first and "from oci://" in first
    assert f"{registry.host} asks for credentials and none are configured" in first
    assert "docker login" in err
    assert not list(fleet.rglob("snapshots/*/*"))  # nothing placed
    assert main(["push", url, "--lock", str(lock), "--insecure"]) == 3


@pytest.mark.parametrize("kind", ["basic", "token"])
def test_credentials_from_docker_config_push_and_install_and_are_never_shown(
    kind: str,
    request: pytest.FixtureRequest,
    store: RepoStore,
    hf_env: HfEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry: RegistryServer = request.getfixturevalue(f"{kind}_registry")
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config(tmp_path / "docker", registry.host)))
    lock = _lock(store, tmp_path)
    with caplog.at_level(logging.DEBUG):
        assert _round_trip(registry, lock, tmp_path) == ["0", "0"]
    shown = capsys.readouterr()
    everything = shown.out + shown.err + caplog.text + lock.read_text()
    assert PASSWORD not in everything
    assert "Authorization" not in caplog.text


def test_a_wrong_password_is_refused_in_one_line(
    store: RepoStore,
    hf_env: HfEnv,
    basic_registry: RegistryServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = docker_config(tmp_path / "docker", basic_registry.host, password="wrong-one")
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    lock = _lock(store, tmp_path)
    assert main(["push", basic_registry.url("wrong"), "--lock", str(lock), "--insecure"]) == 3
    err = capsys.readouterr().err
    assert "refused the configured credentials" in err and "wrong-one" not in err


def test_short_lived_tokens_are_renewed_before_they_expire(
    store: RepoStore,
    hf_env: HfEnv,
    token_registry: RegistryServer,
    token_server: TokenServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "DOCKER_CONFIG", str(docker_config(tmp_path / "docker", token_registry.host))
    )
    lock_path = _lock(store, tmp_path)
    url = token_registry.url("renew")
    assert main(["push", url, "--lock", str(lock_path), "--insecure", "-q"]) == 0
    monkeypatch.setattr(token_server, "lifetime", 1)
    lock = read_lock(lock_path)
    with OciSource(parse_location(url), insecure=True, policy=FAST) as source:
        install(lock, hubs={}, sources=[source], hub_fallback=False, cache_dir=tmp_path / "a")
        issued = token_server.issued
        time.sleep(1.2)  # the token has expired; the manifest check is not repeated
        install(lock, hubs={}, sources=[source], hub_fallback=False, cache_dir=tmp_path / "b")
    assert token_server.issued == issued + 1  # renewed once, then shared by every download
    assert verify(lock, cache_dir=tmp_path / "b", full=True).ok
