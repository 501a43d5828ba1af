"""``ptmlock serve``: its answers do not take orders from the request."""

from __future__ import annotations

import contextlib
import http.client
import json
from pathlib import Path

import pytest

from ptmlock.cli import main
from ptmlock.mirror import MirrorServer, RepoStore
from tests.helpers import make_transformers_repo


def _get(mirror: MirrorServer, path: str, **headers: str) -> http.client.HTTPResponse:
    host, port = mirror.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", path, headers=headers)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


def test_serve_names_its_own_address_and_refuses_a_bad_cursor(
    store: RepoStore, mirror: MirrorServer
) -> None:
    commit = make_transformers_repo(store, "org/m")
    lfs = _get(mirror, f"/org/m/resolve/{commit}/model.safetensors", Host="evil.example")
    assert lfs.status == 302
    assert lfs.getheader("Location", "").startswith(f"{mirror.url}/cdn/")
    for cursor in ("abc", "-1", "1e9", "9" * 40):
        page = _get(mirror, f"/api/models/org/m/tree/main?cursor={cursor}")
        assert page.status == 400, cursor
    assert _get(mirror, "/api/models/org/m/tree/main?cursor=0").status == 200


def test_serve_advertises_the_url_it_is_given(store: RepoStore) -> None:
    commit = make_transformers_repo(store, "org/m")
    with MirrorServer(store, url="http://models.internal:8765") as mirror:
        host, port = mirror._httpd.authority.split(":")  # where it listens
        with contextlib.closing(http.client.HTTPConnection(host, int(port), timeout=30)) as c:
            c.request("GET", f"/org/m/resolve/{commit}/model.safetensors")
            location = c.getresponse().getheader("Location", "")
    assert location.startswith("http://models.internal:8765/cdn/")


def test_serve_on_every_address_needs_its_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", str(tmp_path), "--host", "0.0.0.0"])
    assert code == 2 and "--url" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_serve_answers_for_a_card_holding_a_yaml_bomb(
    store: RepoStore, mirror: MirrorServer
) -> None:
    laughs = "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 12))
    card = b"---\nlicense: mit\nloop: &l [*l]\na0: &a0 [x]\n" + laughs.encode() + b"---\n"
    make_transformers_repo(store, "org/m", extra={"README.md": card})
    host, port = mirror.url.removeprefix("http://").split(":")
    with contextlib.closing(http.client.HTTPConnection(host, int(port), timeout=30)) as c:
        c.request("GET", "/api/models/org/m")
        answer = c.getresponse()
        info = json.loads(answer.read())
    assert answer.status == 200 and not info.get("cardData")
