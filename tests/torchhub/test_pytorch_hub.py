"""torch.hub repos: pinned through the mirror's GitHub part, installed where torch.hub looks."""

from __future__ import annotations

import hashlib
import os

import pytest

from ptmlock import errors
from ptmlock.cli import main
from ptmlock.exporters._common import model_purl
from ptmlock.hubs.github import GitHub
from ptmlock.hubs.hubconf import entry_weights
from ptmlock.hubs.pytorch_hub import PytorchHub
from ptmlock.lockfile import read_lock
from ptmlock.models import ModelRequest
from ptmlock.retry import RetryPolicy
from ptmlock.url_mirrors import UrlMirrors
from tests.torchhub.conftest import TorchEnv, sha256

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)
WEIGHTS = os.urandom(200_000)
PREFIX = hashlib.sha256(WEIGHTS).hexdigest()[:8]
WEIGHT_URL = f"https://download.pytorch.org/models/tiny-{PREFIX}.pth"
HUBCONF = f"""\
dependencies = ["torch"]
from tinynet.models import small

model_urls = {{"tiny": {WEIGHT_URL!r}, "huge": "https://download.pytorch.org/models/huge-1.pth"}}


def tiny(pretrained=False):
    return _build("tiny", pretrained)


def _build(arch, pretrained):
    import torch

    net = torch.nn.Linear(2, 2)
    if pretrained:
        net.load_state_dict(torch.hub.load_state_dict_from_url(model_urls[arch]))
    return net
"""
SMALL = """\
SMALL_URL = "https://download.pytorch.org/models/small-abc.pth"


def small(pretrained=False):
    return SMALL_URL if pretrained else None
"""
TREE = {
    "hubconf.py": HUBCONF.encode(),
    "tinynet/__init__.py": b"",
    "tinynet/models.py": SMALL.encode(),
    "README.md": b"# tinynet\n",
}


def _repo(env: TorchEnv, branch: str = "main") -> str:
    commit = env.store.commit("acme/tinynet", TREE, branch=branch)
    env.store.tag("acme/tinynet", "v1", commit)
    env.serve(WEIGHT_URL, WEIGHTS)
    return commit


def test_entry_weights_follow_tables_constants_and_imports() -> None:
    sources = {k: v.decode() for k, v in TREE.items() if k.endswith(".py")}
    assert entry_weights(sources, ("tiny",)) == [WEIGHT_URL]  # not "huge": another entry's
    assert entry_weights(sources, ("small",)) == [
        "https://download.pytorch.org/models/small-abc.pth"
    ]
    assert entry_weights(sources, ("nothing",)) == []


def test_torch_hub_repo_scan_install_verify(torch_env: TorchEnv) -> None:
    commit = _repo(torch_env)
    app = "import torch\nnet = torch.hub.load('acme/tinynet:v1', 'tiny', pretrained=True)\n"
    (torch_env.project / "app.py").write_text(app)
    assert main(["scan", str(torch_env.project)]) == 0
    (model,) = read_lock(torch_env.project / "ptm.lock").models
    assert (model.hub, model.id, model.revision, model.requested) == (
        "pytorch_hub",
        "acme/tinynet",
        commit,
        "v1",
    )
    assert model.entries == ("tiny",)
    by_path = {f.path: f for f in model.files}
    assert by_path["hubconf.py"].sha256 == sha256(TREE["hubconf.py"])
    assert by_path[f"checkpoints/tiny-{PREFIX}.pth"].url == WEIGHT_URL
    assert set(by_path) == {*TREE, f"checkpoints/tiny-{PREFIX}.pth"}
    assert str(model_purl(model)) == f"pkg:github/acme/tinynet@{commit}"

    torch_env.mirror.requests.clear()
    assert main(["scan", "--check", str(torch_env.project)]) == 0  # the pin is kept
    assert not torch_env.mirror.requests.matching("/github/")  # without asking GitHub
    lock = ["--lock", str(torch_env.project / "ptm.lock")]
    assert main(["install", *lock, "--quiet"]) == 0
    hub = torch_env.torch_home / "hub"
    for path, data in TREE.items():
        assert (hub / "acme_tinynet_v1" / path).read_bytes() == data
    assert (hub / "checkpoints" / f"tiny-{PREFIX}.pth").read_bytes() == WEIGHTS
    assert "acme_tinynet" in (hub / "trusted_list").read_text().split()
    assert not list((hub / "acme_tinynet_v1").glob(".ptmlock*"))  # nothing of ours on sys.path
    assert main(["verify", *lock, "--full"]) == 0
    (hub / "acme_tinynet_v1" / "tinynet" / "models.py").write_text("evil = True\n")
    assert main(["verify", *lock]) == 1
    assert main(["install", *lock, "--quiet"]) == 0  # repaired from the pinned commit
    assert (hub / "acme_tinynet_v1" / "tinynet" / "models.py").read_bytes() == TREE[
        "tinynet/models.py"
    ]


@pytest.mark.parametrize("branch", ["main", "master"])
def test_no_ref_follows_torch_hub_default_branch_rule(torch_env: TorchEnv, branch: str) -> None:
    commit = _repo(torch_env, branch=branch)
    hub = PytorchHub(policy=FAST)
    model = hub.resolve(ModelRequest(hub="pytorch_hub", id="acme/tinynet", files=("tiny",)))
    assert (model.revision, model.requested, model.branch) == (commit, None, branch)
    assert main(["install", "--lock", str(_write(torch_env, model)), "--quiet"]) == 0
    assert (torch_env.torch_home / "hub" / f"acme_tinynet_{branch}" / "hubconf.py").is_file()


def _write(env: TorchEnv, model: object) -> object:
    from ptmlock.lockfile import write_lock
    from ptmlock.models import Lock, LockedModel

    assert isinstance(model, LockedModel)
    path = env.project / "ptm.lock"
    write_lock(Lock(models=(model,)), path)
    return path


def test_served_bytes_that_are_not_the_tree_blob_are_refused(torch_env: TorchEnv) -> None:
    _repo(torch_env)
    torch_env.mirror.faults.add(kind="corrupt", match="/github-raw/acme/tinynet/")
    with pytest.raises(errors.IntegrityError, match="not the tree's blob"):
        PytorchHub(policy=FAST).resolve(ModelRequest(hub="pytorch_hub", id="acme/tinynet"))


def test_unknown_repo_and_ref_are_hub_errors(torch_env: TorchEnv) -> None:
    _repo(torch_env)
    hub = PytorchHub(policy=FAST)
    with pytest.raises(errors.RevisionNotFoundError, match="no ref 'v9'"):
        hub.resolve(ModelRequest(hub="pytorch_hub", id="acme/tinynet", requested="v9"))
    with pytest.raises(errors.RevisionNotFoundError, match="main or master"):
        hub.resolve(ModelRequest(hub="pytorch_hub", id="acme/nothing"))


def test_github_token_goes_to_the_api_and_nowhere_else(
    torch_env: TorchEnv, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _repo(torch_env)
    token = "ghp_secret_token_value"
    torch_env.store.set_gated("acme/tinynet", "manual", tokens=[token])
    assert GitHub(policy=FAST).commit("acme", "tinynet", "v1") is None  # private: a 404
    torch_env.mirror.requests.clear()
    monkeypatch.setenv("GITHUB_TOKEN", token)
    (torch_env.project / "app.py").write_text(
        "import torch\ntorch.hub.load('acme/tinynet:v1', 'tiny')\n"
    )
    assert main(["scan", str(torch_env.project)]) == 0
    api = torch_env.mirror.requests.matching("/github")  # the API and raw files on its origin
    weights = torch_env.mirror.requests.matching("/files/download.pytorch.org/")
    assert api and all(r.authorized for r in api)
    assert weights and not any(r.authorized for r in weights)  # not sent to other hosts
    export = ["export", "--lock", str(torch_env.project / "ptm.lock"), "--format"]
    assert main([*export, "cyclonedx-json", "--validate"]) == 0
    written = (torch_env.project / "ptm.lock").read_text() + capsys.readouterr().out
    assert token not in written


def test_github_token_is_not_sent_to_an_artifact_proxy(
    torch_env: TorchEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    _repo(torch_env)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_token_value")
    port = torch_env.mirror.url.rsplit(":", 1)[1]  # the same server by another origin
    proxy = {"https://raw.githubusercontent.com/": f"http://localhost:{port}/github-raw/"}
    github = GitHub(policy=FAST, mirrors=UrlMirrors.of(proxy))
    with github.open_raw("acme", "tinynet", "v1", "hubconf.py") as stream:
        assert stream.readinto(memoryview(bytearray(10))) == 10
    (raw,) = torch_env.mirror.requests.matching("/github-raw/")
    assert not raw.authorized  # another origin than the API's: not GitHub, no token


def test_github_errors_say_what_to_do() -> None:
    from ptmlock.hubs.github import _api_error

    spent = _api_error(403, {"X-RateLimit-Remaining": "0"}, "https://api.github.com/repos/a/b")
    assert "rate limit" in str(spent) and spent.hint is not None and "GITHUB_TOKEN" in spent.hint
    assert isinstance(_api_error(403, {}, "u"), errors.GatedModelError)
    assert isinstance(_api_error(422, {}, "u"), errors.EntryNotFoundError)
    assert isinstance(_api_error(503, {}, "u"), errors.TransientHubError)


def test_api_bursts_of_5xx_are_retried(torch_env: TorchEnv) -> None:
    commit = _repo(torch_env)
    burst = torch_env.mirror.faults.add(kind="status", status=503, match="/github/", times=2)
    raw = torch_env.mirror.faults.add(kind="status", status=502, match="/github-raw/", times=1)
    patient = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)
    model = PytorchHub(policy=patient).resolve(
        ModelRequest(hub="pytorch_hub", id="acme/tinynet", requested="v1")
    )
    assert model.revision == commit and (burst.fired, raw.fired) == (2, 1)
