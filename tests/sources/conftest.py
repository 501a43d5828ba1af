"""Fixtures for the source tests: real registries on 127.0.0.1, and no real Docker login."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sources.registry import RegistryServer, TokenServer

_namespaces = itertools.count()


@pytest.fixture(autouse=True)
def _no_docker_login(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty DOCKER_CONFIG: no test reads the machine's ~/.docker/config.json."""
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder


@pytest.fixture(scope="session")
def open_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """One open registry for the session; each test takes its own namespace (``oci_url``)."""
    server = RegistryServer(tmp_path_factory.mktemp("registry-open"))
    yield server
    server.stop()


@pytest.fixture
def oci_url(open_registry: RegistryServer) -> str:
    """``oci://127.0.0.1:PORT/t<n>`` on the open registry, a namespace no other test uses."""
    return open_registry.url(f"t{next(_namespaces)}")


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry behind htpasswd (registry.USER / registry.PASSWORD)."""
    server = RegistryServer(tmp_path_factory.mktemp("registry-basic"), auth="basic")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    with TokenServer(tmp_path_factory.mktemp("token")) as server:
        yield server


@pytest.fixture(scope="module")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory, token_server: TokenServer
) -> Iterator[RegistryServer]:
    """A registry behind the distribution token flow (``token_server`` is its realm)."""
    server = RegistryServer(tmp_path_factory.mktemp("registry-token"), auth=token_server)
    yield server
    server.stop()
