"""The real libraries load what ptmlock installed, with no network (the suite's loopback guard
fails a test on any other connection; here the mirror is also stopped before loading).

torchvision's own weight URL names a file by its sha256 prefix, which weights built here can't
have; so the test points the table entry *and* torchvision's enum member at a URL with the
prefix of the weights it built (the prefix rule itself is tested in test_families.py).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import torch
import torchvision
from torchvision.models import ResNet18_Weights

from ptmlock.cli import main
from ptmlock.lockfile import read_lock
from tests.torchhub.conftest import TorchEnv, sha256

HUBCONF = """\
dependencies = ["torch"]

model_urls = {"tiny": %r}


def tiny(pretrained=False):
    import torch

    net = torch.nn.Linear(4, 3)
    if pretrained:
        net.load_state_dict(torch.hub.load_state_dict_from_url(model_urls["tiny"]))
    return net
"""


def _saved(state: dict[str, torch.Tensor]) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _lock_and_install(env: TorchEnv, app: str) -> None:
    (env.project / "app.py").write_text(app, encoding="utf-8")
    assert main(["scan", str(env.project)]) == 0
    assert main(["install", "--lock", str(env.project / "ptm.lock"), "--quiet"]) == 0
    env.mirror.stop()  # nothing may be fetched from here on


def test_torchvision_resnet18_loads_the_installed_weights_offline(
    torch_env: TorchEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.manual_seed(0)
    state = torchvision.models.resnet18(weights=None).state_dict()
    data = _saved(state)
    prefix = sha256(data)[:8]
    url = f"https://download.pytorch.org/models/resnet18-{prefix}.pth"
    torch_env.tables.set(
        "torchvision", "resnet18:IMAGENET1K_V1", {"url": url, "file": f"resnet18-{prefix}.pth"}
    )
    torch_env.serve(url, data)
    _lock_and_install(
        torch_env,
        "from torchvision.models import resnet18, ResNet18_Weights\n"
        "net = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)\n",
    )
    monkeypatch.setattr(ResNet18_Weights.IMAGENET1K_V1.value, "url", url)
    net = torchvision.models.resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
    assert torch.equal(net.conv1.weight, state["conv1.weight"])
    assert torch.equal(net.fc.bias, state["fc.bias"])


def test_torch_hub_load_runs_the_installed_repo_offline(torch_env: TorchEnv) -> None:
    torch.manual_seed(1)
    state = torch.nn.Linear(4, 3).state_dict()
    data = _saved(state)
    url = f"https://download.pytorch.org/models/tiny-{sha256(data)[:8]}.pth"
    torch_env.store.commit("acme/tinynet", {"hubconf.py": (HUBCONF % url).encode()})
    torch_env.store.tag("acme/tinynet", "v1", "main")
    torch_env.serve(url, data)
    _lock_and_install(
        torch_env,
        "import torch\nnet = torch.hub.load('acme/tinynet:v1', 'tiny', pretrained=True)\n",
    )
    (model,) = read_lock(torch_env.project / "ptm.lock").models
    assert {f.path for f in model.files} == {"hubconf.py", f"checkpoints/{Path(url).name}"}
    assert os.environ["TORCH_HOME"] == str(torch_env.torch_home)
    net = torch.hub.load(  # type: ignore[no-untyped-call]  # torch.hub.load has no hints
        "acme/tinynet:v1", "tiny", pretrained=True, trust_repo="check"
    )
    assert torch.equal(net.weight, state["weight"]) and torch.equal(net.bias, state["bias"])


def test_facexlib_detector_loads_the_installed_weights_offline(torch_env: TorchEnv) -> None:
    from facexlib.detection.retinaface import RetinaFace  # needs opencv (requirements-ml)

    torch.manual_seed(0)
    net = RetinaFace(network_name="mobile0.25", half=False, device="cpu")
    data = _saved(net.state_dict())
    torch_env.store.commit("xinntao/facexlib", {"detection_mobilenet0.25_Final.pth": data})
    torch_env.store.tag("xinntao/facexlib", "v0.1.0", "main")
    call = "init_detection_model('retinaface_mobile0.25', device='cpu', model_rootpath='w/fx')"
    app = f"from facexlib.detection import init_detection_model\nnet = {call}\n"
    _lock_and_install(torch_env, app)
    (model,) = read_lock(torch_env.project / "ptm.lock").models
    assert (model.id, model.folder) == ("facexlib/retinaface_mobile0.25", "w/fx")
    # facexlib finds the file where it saves it and loads it (strict) with no download
    from facexlib.detection import init_detection_model

    loaded = init_detection_model("retinaface_mobile0.25", device="cpu", model_rootpath="w/fx")
    weights = {k: v for k, v in loaded.state_dict().items() if k in net.state_dict()}
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in weights.items()) and weights
