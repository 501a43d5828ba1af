"""Starting and stopping the mirror: the context manager, ``serve`` for the CLI, logging."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import httpx
import pytest

from ptmlock.mirror import MirrorServer, RepoStore, serve


def test_server_stop_right_after_start(store: RepoStore) -> None:
    server = MirrorServer(store).start()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/api/agent-harnesses")


def test_server_stop_hangs_up_keep_alive_clients(store: RepoStore) -> None:
    with MirrorServer(store) as server, httpx.Client() as client:
        assert client.get(f"{server.url}/api/agent-harnesses").status_code == 200
    # the pooled connection was closed by the server; nothing is left hanging


def test_server_serve_runs_until_stopped_and_logs_requests(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    started: list[MirrorServer] = []
    ready = threading.Event()

    def on_ready(server: MirrorServer) -> None:
        started.append(server)
        ready.set()

    caplog.set_level(logging.INFO, logger="ptmlock.mirror")
    thread = threading.Thread(
        target=serve, args=(tmp_path, "127.0.0.1", 0), kwargs={"ready": on_ready}
    )
    thread.start()
    assert ready.wait(5)
    response = httpx.get(f"{started[0].url}/api/models/org/none")
    started[0].stop()
    thread.join(5)
    assert response.status_code == 401
    assert not thread.is_alive()
    assert any("/api/models/org/none" in r.getMessage() for r in caplog.records)
