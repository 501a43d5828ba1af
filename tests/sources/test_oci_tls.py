"""HTTPS registries: trusted through the system store or SSL_CERT_FILE, never silently not;
plain HTTP only with --insecure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ptmlock.cli import main
from ptmlock.lockfile import write_lock
from ptmlock.mirror import RepoStore
from tests.conftest import HfEnv
from tests.sources.helpers import lock_of, locked_model
from tests.sources.registry import RegistryServer


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    server = RegistryServer(tmp_path_factory.mktemp("registry-tls"), tls=True)
    yield server
    server.stop()


def _lock(store: RepoStore, folder: Path) -> Path:
    path = folder / "ptm.lock"
    write_lock(lock_of(locked_model(store)), path)
    return path


def test_a_certificate_nobody_trusts_is_refused_in_one_line(
    store: RepoStore,
    hf_env: HfEnv,
    tls_registry: RegistryServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    lock = _lock(store, tmp_path)
    assert main(["push", tls_registry.url("tls"), "--lock", str(lock)]) == 3
    err = capsys.readouterr().err
    assert f"https://{tls_registry.host}: TLS certificate not trusted" in err.splitlines()[0]
    assert "SSL_CERT_FILE" in err


def test_push_and_install_over_https_with_the_ca_in_ssl_cert_file(
    store: RepoStore,
    hf_env: HfEnv,
    tls_registry: RegistryServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_registry.ca_file))
    lock = _lock(store, tmp_path)
    url = tls_registry.url("tls")
    assert main(["push", url, "--lock", str(lock), "-q"]) == 0
    cache = str(tmp_path / "fleet")
    assert main(["install", "--lock", str(lock), "--from", url, "--cache-dir", cache, "-q"]) == 0
    assert main(["verify", "--lock", str(lock), "--cache-dir", cache, "--full"]) == 0


def test_a_plain_http_registry_needs_insecure(
    store: RepoStore,
    hf_env: HfEnv,
    oci_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lock = _lock(store, tmp_path)
    assert main(["push", oci_url, "--lock", str(lock)]) == 3
    err = capsys.readouterr().err
    assert "the registry does not speak HTTPS" in err and "--insecure" in err
