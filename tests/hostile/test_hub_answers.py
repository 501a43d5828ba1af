"""Hub answers: every field a server returns is checked before it reaches the lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmlock import errors
from ptmlock.cli import main
from ptmlock.hubs.huggingface import HuggingFaceHub
from ptmlock.models import ModelRequest
from ptmlock.retry import RetryPolicy
from tests.hostile.hubs import hub_script, model_info
from tests.hostile.servers import ScriptedServer

ONCE = RetryPolicy(attempts=1)
LFS = {"rfilename": "model.safetensors", "size": 10, "lfs": {"sha256": "a" * 64, "size": 10}}


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (model_info(sha="../../../../tmp/x"), "'sha'"),
        (model_info(sha=None), "'sha'"),
        (model_info(siblings=[LFS | {"lfs": {"sha256": "../../x", "size": 10}}]), "lfs.sha256"),
        (model_info(siblings=[LFS | {"lfs": {"sha256": "a" * 64, "size": -1}}]), "lfs.size"),
        (model_info(siblings=[LFS | {"size": -5}]), "siblings[0].size"),
        (model_info(siblings=[LFS | {"rfilename": "../../evil"}]), "rfilename"),
        (model_info(siblings={"not": "a list"}), "'siblings'"),
        ([model_info()], "a JSON list, not an object"),
        ("<html><body>Welcome to the proxy</body></html>", "HTML, not a JSON document"),
    ],
    ids=["commit path", "no commit", "sha256 path", "negative lfs size", "negative size",
         "unsafe path", "siblings object", "json array", "html"],
)  # fmt: skip
def test_a_malformed_hub_answer_is_one_line_naming_server_and_field(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: object,
    field: str,
) -> None:
    body = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
    with ScriptedServer(hub_script(info=body)) as server:
        with pytest.raises(errors.PtmlockError) as info:
            HuggingFaceHub(endpoint=server.url, policy=ONCE).resolve(
                ModelRequest(hub="huggingface", id="org/m")
            )
        message = str(info.value)
        assert server.url in message and field in message and "\n" not in message
        # and through the command line: exit 2 or 3 with that line, no lock written
        project = tmp_path / "project"
        project.mkdir()
        (project / "app.py").write_text(
            'from transformers import AutoModel\nAutoModel.from_pretrained("org/m")\n'
        )
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        code = main(["scan", str(project)])
    err = capsys.readouterr().err
    assert code in (2, 3) and field in err and "Traceback" not in err
    assert not (project / "ptm.lock").exists()
