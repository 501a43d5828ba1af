"""The suite-wide guard: only loopback connections are allowed during tests."""

from __future__ import annotations

import socket

import httpx
import pytest

from ptmlock.mirror import MirrorServer
from tests.conftest import NonLoopbackConnection


@pytest.mark.parametrize(
    "address", [("192.0.2.1", 443), ("huggingface.co", 443), ("2001:db8::1", 80)]
)
def test_loopback_guard_refuses_other_hosts(
    _loopback_only: list[str], address: tuple[str, int]
) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family) as sock, pytest.raises(NonLoopbackConnection):
        sock.connect(address)
    assert _loopback_only == [repr(address)]
    _loopback_only.clear()  # recorded attempts fail the test at teardown; this one was expected


def test_loopback_guard_refuses_name_resolution(_loopback_only: list[str]) -> None:
    with pytest.raises(socket.gaierror):
        socket.create_connection(("huggingface.co", 443))
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://huggingface.co/api/models/gpt2")
    assert _loopback_only == ["'huggingface.co'", "'huggingface.co'"]
    _loopback_only.clear()


def test_loopback_guard_allows_loopback(mirror: MirrorServer) -> None:
    with httpx.Client() as client:
        assert client.get(f"{mirror.url}/api/agent-harnesses").status_code == 200


def test_loopback_guard_allows_ipv6_loopback(tmp_path_factory: pytest.TempPathFactory) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = MirrorServer(tmp_path_factory.mktemp("v6"), host="::1")
    except OSError:
        pytest.skip("cannot bind ::1 here")
    with server, httpx.Client() as client:
        assert server.url.startswith("http://[::1]:")
        assert client.get(f"{server.url}/api/models/org/none").status_code == 401
