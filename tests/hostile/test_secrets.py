"""Secrets: the token never leaves its origin, whatever a server redirects to."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.models import ModelRequest
from ptmlock.retry import RetryPolicy
from tests.hostile.hubs import hub_script, locked_readme
from tests.hostile.servers import Handler, ScriptedServer

TOKEN = "hf_secretsecretsecret"
ONCE = RetryPolicy(attempts=1)


def _download(hub: HuggingFaceHub) -> None:
    """A file body through ptmlock's transfer module (install's path)."""
    model = locked_readme()
    with hub.open_file(model, model.files[0]) as stream:
        stream.readinto(memoryview(bytearray(64)))


def _resolve(hub: HuggingFaceHub) -> None:
    """A small file read at resolve time, through huggingface_hub's session (scan's path)."""
    hub.resolve(ModelRequest(hub="huggingface", id="org/m"))


@pytest.mark.parametrize("read", [_download, _resolve], ids=["download", "resolve"])
@pytest.mark.parametrize(
    ("target", "keeps_token"),
    [("other port", False), ("localhost, same port", False), ("same origin", True)],
)
def test_token_never_follows_a_redirect_to_another_origin(
    read: Callable[[HuggingFaceHub], None], target: str, keeps_token: bool
) -> None:
    with ScriptedServer(lambda h: h.send(200, b"hello")) as elsewhere:

        def redirect(handler: Handler) -> None:
            port = handler.server.server_address[1]
            location = {
                "other port": f"{elsewhere.url}/landed",
                "localhost, same port": f"http://localhost:{port}/landed",
                "same origin": f"http://127.0.0.1:{port}/landed",
            }[target]
            handler.send(302, Location=location)

        with ScriptedServer(hub_script(resolve=redirect)) as hub_server:
            read(HuggingFaceHub(endpoint=hub_server.url, token=TOKEN, policy=ONCE))
    landed = [r for r in (*hub_server.received, *elsewhere.received) if r.path == "/landed"]
    assert len(landed) == 1
    first = next(r for r in hub_server.received if "/resolve/" in r.path)
    assert first.headers.get("authorization") == f"Bearer {TOKEN}"  # it was sent to the hub
    sent = {k: v for k, v in landed[0].headers.items() if TOKEN in v}
    assert bool(sent) is keeps_token, sent
