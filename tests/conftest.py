"""Fixtures for the whole suite: a loopback-only network, a repo store, a running mirror.

huggingface_hub reads ``HF_ENDPOINT``/``HF_HOME`` into ``huggingface_hub.constants`` when it is
first imported, and asks ``{HF_ENDPOINT}/api/agent-harnesses`` before its first request. So this
module, loaded before any test module, points those at a dead loopback port and a throw-away home
and drops any token from the environment: nothing in a test run can reach huggingface.co or read a
real login. Tests of the client itself pass ``endpoint=``/``cache_dir=`` explicitly; ptmlock's own
code reads the environment at call time, which ``hf_env`` sets per test.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_SESSION_HF_HOME = tempfile.mkdtemp(prefix="ptmlock-tests-hf-home-")
atexit.register(shutil.rmtree, _SESSION_HF_HOME, ignore_errors=True)
os.environ.update(
    HF_ENDPOINT="http://127.0.0.1:9",  # discard port: refused at once, never the real Hub
    HF_HOME=_SESSION_HF_HOME,
    HF_HUB_CACHE=str(Path(_SESSION_HF_HOME) / "hub"),
    HF_HUB_DISABLE_TELEMETRY="1",
)
for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_TOKEN_PATH"):
    os.environ.pop(_name, None)

from ptmlock.mirror import MirrorServer, RepoStore  # noqa: E402  (after the environment is set)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NonLoopbackConnection(ConnectionRefusedError):
    """Raised (and recorded, failing the test) for a connection that would leave the machine."""


def _is_loopback(address: Any) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a hostname: would need DNS, and may resolve anywhere
        return False


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test if anything connects outside 127.0.0.0/8 and ::1, or resolves a host name.

    Yields the list of refused attempts (a test of the guard itself may clear it).
    """
    attempts: list[str] = []

    def check(address: Any) -> None:
        if not _is_loopback(address):
            attempts.append(repr(address))
            raise NonLoopbackConnection(f"test tried to connect to {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        _real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return _real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(
            (host.decode() if isinstance(host, bytes) else host,)
        ):
            attempts.append(repr(host))
            raise socket.gaierror(socket.EAI_NONAME, f"test tried to resolve {host!r}")
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    if attempts:
        pytest.fail(f"non-loopback connection attempted: {', '.join(attempts)}")


@pytest.fixture
def store(tmp_path: Path) -> RepoStore:
    """An empty repo store under tmp_path."""
    return RepoStore(tmp_path / "mirror")


@pytest.fixture
def mirror(store: RepoStore) -> Iterator[MirrorServer]:
    """A running mirror over ``store`` on 127.0.0.1 (small tree pages: 1000 / 50 as the Hub)."""
    with MirrorServer(store) as server:
        yield server


@dataclass(frozen=True)
class HfEnv:
    """What ``hf_env`` set: the mirror's URL and the Hugging Face home and cache of this test."""

    endpoint: str
    home: Path
    cache: Path
    mirror: MirrorServer


@pytest.fixture
def hf_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mirror: MirrorServer) -> HfEnv:
    """Point the Hugging Face environment at ``mirror`` with a fresh home and cache.

    ``HF_HUB_DISABLE_XET`` stays unset: the mirror never sends Xet headers, so the client stays on
    plain HTTP exactly as it would against any non-Xet hub.
    """
    home = tmp_path / "hf-home"
    cache = home / "hub"
    monkeypatch.setenv("HF_ENDPOINT", mirror.url)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    return HfEnv(endpoint=mirror.url, home=home, cache=cache, mirror=mirror)
