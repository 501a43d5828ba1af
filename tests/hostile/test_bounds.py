"""Bounded work: a small hostile input costs bounded time and memory, and is reported.

Each input is built here. The limits are lowered through their environment variables so the
bombs stay small; the ``timeout`` markers guard against a hang (they measure nothing: speed is
bench/bench_hostile.py's).
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ptmlock import errors
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.mirror import MirrorServer, RepoStore
from ptmlock.models import ModelRequest, Reference
from ptmlock.retry import RetryPolicy
from ptmlock.scan import scan
from ptmlock.transfer import RawGet, status_error
from tests.hostile.hubs import model_info
from tests.hostile.servers import Handler, ScriptedServer, trickle

ONCE = RetryPolicy(attempts=1)
LOAD = 'from transformers import AutoModel\nAutoModel.from_pretrained("{}")\n'


def _gzip_bomb(handler: Handler) -> None:
    answer = json.dumps(model_info(padding="0" * (32 << 20))).encode()  # 32 MB, ~32 KB zipped
    handler.send(200, gzip.compress(answer, 9), Content_Encoding="gzip")


def _gzip_bomb_error(handler: Handler) -> None:
    answer = json.dumps({"error": "0" * (32 << 20)}).encode()
    handler.send(404, gzip.compress(answer, 9), Content_Encoding="gzip")


def _one_byte_at_a_time(handler: Handler) -> None:
    answer = json.dumps(model_info()).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(answer)}\r\n\r\n".encode()
    trickle(handler, head, (answer[i : i + 1] for i in range(len(answer))), 0.05)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("script", "env", "message"),
    [
        (_gzip_bomb, "PTMLOCK_MAX_ANSWER_BYTES", "larger than 1.0MB once decompressed"),
        (_gzip_bomb_error, "PTMLOCK_MAX_ANSWER_BYTES", "larger than 1.0MB once decompressed"),
        (_one_byte_at_a_time, "PTMLOCK_ANSWER_SECONDS", "did not arrive whole within 1 s"),
    ],
    ids=["gzip bomb", "gzip bomb in an error", "slow answer"],
)
def test_a_hub_answer_past_its_bounds_is_refused_naming_the_server(
    monkeypatch: pytest.MonkeyPatch, script: object, env: str, message: str
) -> None:
    monkeypatch.setenv(env, "1000000" if "BYTES" in env else "1")
    with ScriptedServer(script) as server, pytest.raises(errors.HubError) as info:  # type: ignore[arg-type]
        HuggingFaceHub(endpoint=server.url, policy=ONCE).resolve(
            ModelRequest(hub="huggingface", id="org/m")
        )
    assert message in str(info.value) and server.url in str(info.value)


def _slow_head(handler: Handler) -> None:
    trickle(handler, b"HTTP/1.1 200 OK\r\n", (b"X-Slow: yes\r\n" for _ in range(1000)), 0.1)


def _slow_body(handler: Handler) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n"
    trickle(handler, head, (b"x" for _ in range(10_000_000)), 0.1)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("script", "what"),
    [(_slow_head, "its response"), (_slow_body, "the next bytes")],
    ids=["slow head", "slow body"],
)
def test_a_download_from_a_stalled_server_is_cut_off(
    monkeypatch: pytest.MonkeyPatch, script: object, what: str
) -> None:
    monkeypatch.setenv("PTMLOCK_STALL_SECONDS", "1")
    with ScriptedServer(script) as server:  # type: ignore[arg-type]
        get = RawGet(f"{server.url}/file", {}, 0, status_error)
        with pytest.raises(errors.TransientHubError) as info, get as stream:
            while stream.readinto(memoryview(bytearray(256 * 1024))):
                pass
    assert f"{what} did not arrive within 1 s" in str(info.value)
    assert info.value.hint is not None and "PTMLOCK_STALL_SECONDS" in info.value.hint


def _project(root: Path, files: dict[str, str]) -> Path:
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _models(references: Iterator[Reference] | tuple[Reference, ...]) -> set[str | None]:
    return {r.model for r in references}


@pytest.mark.timeout(60)
def test_a_yaml_alias_bomb_is_a_skipped_file(tmp_path: Path) -> None:
    laughs = "a: &a [model, model]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}' if i else '*a'] * 9)}]\n" for i in range(12)
    )
    root = _project(
        tmp_path,
        {
            "self.yaml": "model: &m [*m, *m]\n",
            "laughs.yaml": laughs,
            "app.py": LOAD.format("org/ok"),
        },
    )
    result = scan(root, cache=False)
    reasons = {s.path: s.reason for s in result.skipped}
    assert "alias" in reasons["laughs.yaml"] and "alias" in reasons["self.yaml"]
    assert _models(result.references) == {"org/ok"}


@pytest.mark.timeout(60)
def test_repeated_globstars_and_wildcards_match_in_linear_time(tmp_path: Path) -> None:
    deep = "/".join(["d"] * 30)
    root = _project(
        tmp_path,
        {
            ".gitignore": "**/" * 25 + "ignored.py\n" + "*a" * 25 + "b.py\n",
            "pyproject.toml": '[tool.ptmlock]\nexclude = ["' + "**/" * 25 + 'excluded.py"]\n',
            f"{deep}/ignored.py": LOAD.format("org/ignored"),
            f"{deep}/excluded.py": LOAD.format("org/excluded"),
            f"{deep}/{'a' * 200}.py": LOAD.format("org/kept"),
            f"{deep}/{'a' * 30}b.py": LOAD.format("org/starred"),
        },
    )
    result = scan(root, cache=False)
    assert _models(result.references) == {"org/kept"}
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in result.skipped}
    assert reasons["ignored.py"] == "gitignored" and reasons[f"{'a' * 30}b.py"] == "gitignored"
    assert reasons["excluded.py"] == "excluded by tool.ptmlock.exclude"


@pytest.mark.timeout(120)
def test_a_large_notebook_and_a_long_shell_line_scan_in_linear_time(tmp_path: Path) -> None:
    cells = [{"cell_type": "code", "source": ["x = 'from_pretrained'\n"]}] * 30_000
    cells.append({"cell_type": "code", "source": LOAD.format("org/notebook").splitlines(True)})
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    root = _project(
        tmp_path,
        {
            "big.ipynb": json.dumps(notebook, indent=1),
            "get.sh": "hf download org/shell " + "x" * 4_000_000 + "\n",
        },
    )
    result = scan(root, cache=False)
    found = {r.model: r for r in result.references}
    assert set(found) == {"org/notebook", "org/shell"} and not result.skipped
    text = (root / "big.ipynb").read_text().splitlines()
    assert "org/notebook" in text[found["org/notebook"].line - 1]  # the line of the file


def test_serve_refuses_an_oversized_request_body(store: RepoStore, mirror: MirrorServer) -> None:
    host, port = mirror.url.removeprefix("http://").split(":")
    with contextlib.closing(http.client.HTTPConnection(host, int(port), timeout=30)) as big:
        big.putrequest("POST", "/api/models/org/m/paths-info/main")
        big.putheader("Content-Length", str(400 << 20))  # claimed, never sent: not waited for
        big.endheaders(b"paths=x")
        answer = big.getresponse()
        assert answer.status == 413 and b"larger than" in answer.read()
    with contextlib.closing(http.client.HTTPConnection(host, int(port), timeout=30)) as small:
        small.request("GET", "/api/models/org/m")  # the server still answers
        assert small.getresponse().status in (401, 404)
