"""Each loader family from a small app: scan, lock, install into fresh caches, verify.

The mirror stands in for download.pytorch.org, openaipublic, github.com (releases and the REST
API) and the Hugging Face Hub; the app is scanned by the real scanner and the CLI runs
in-process, so every resolver speaks real HTTP.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ptmlock.cli import main
from ptmlock.lockfile import read_lock
from ptmlock.models import LockedModel
from tests.torchhub.conftest import TorchEnv, sha256

WEIGHTS = os.urandom(300_000)


def _scan_install_verify(env: TorchEnv, app: str) -> LockedModel:
    """Write the app, scan it, install into the fresh caches, verify; the one locked model."""
    (env.project / "app.py").write_text(app, encoding="utf-8")
    assert main(["scan", str(env.project)]) == 0
    lock = read_lock(env.project / "ptm.lock")
    assert len(lock.models) == 1, lock.models
    env.scan_requests = [r.path for r in env.mirror.requests]
    env.mirror.requests.clear()
    assert main(["scan", "--check", str(env.project)]) == 0  # the pin is kept, no request
    assert not [r for r in env.mirror.requests if not r.path.startswith("/api/agent")]
    lock_arg = ["--lock", str(env.project / "ptm.lock")]
    assert main(["install", *lock_arg, "--quiet"]) == 0
    assert main(["verify", *lock_arg, "--full"]) == 0
    return lock.models[0]


def _tamper_is_caught(env: TorchEnv, installed: Path) -> None:
    data = bytearray(installed.read_bytes())
    data[len(data) // 2] ^= 0x01
    installed.write_bytes(bytes(data))
    assert main(["verify", "--lock", str(env.project / "ptm.lock")]) == 1


def test_torchvision_weights_land_in_torch_checkpoints(torch_env: TorchEnv) -> None:
    prefix = sha256(WEIGHTS)[:8]
    url = f"https://download.pytorch.org/models/resnet18-{prefix}.pth"
    torch_env.tables.set(
        "torchvision", "resnet18:IMAGENET1K_V1", {"url": url, "file": f"resnet18-{prefix}.pth"}
    )
    torch_env.tables.alias("torchvision", "resnet18:DEFAULT", "resnet18:IMAGENET1K_V1")
    torch_env.serve(url, WEIGHTS)
    model = _scan_install_verify(
        torch_env, "import torchvision\nnet = torchvision.models.resnet18(weights='DEFAULT')\n"
    )
    assert (model.hub, model.id, model.revision) == (
        "url",
        "torchvision/resnet18:DEFAULT",
        sha256(WEIGHTS),
    )
    assert model.files[0].url == url  # the original URL, not the mirror's
    assert model.libraries == ("torchvision",)
    installed = torch_env.checkpoints / f"resnet18-{prefix}.pth"
    assert installed.read_bytes() == WEIGHTS
    _tamper_is_caught(torch_env, installed)


def test_torchvision_hash_prefix_that_disagrees_is_an_error(
    torch_env: TorchEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://download.pytorch.org/models/resnet18-00000000.pth"  # not the bytes' sha256
    torch_env.tables.set("torchvision", "resnet18:IMAGENET1K_V1", {"url": url, "file": "r.pth"})
    torch_env.serve(url, WEIGHTS)
    (torch_env.project / "app.py").write_text(
        "from torchvision.models import resnet18, ResNet18_Weights\n"
        "resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)\n"
    )
    assert main(["scan", str(torch_env.project)]) != 0
    err = capsys.readouterr().err
    assert "carries the hash 00000000" in err and "torchvision would refuse" in err
    assert not (torch_env.project / "ptm.lock").exists()


@pytest.mark.parametrize(
    ("library", "app", "name", "folder"),
    [
        ("whisper", "import whisper\nwhisper.load_model('base')\n", "base", "xdg/whisper"),
        ("clip", "import clip\nclip.load('ViT-B/32')\n", "ViT-B/32", "home/.cache/clip"),
    ],
)
def test_whisper_and_clip_weights_land_in_their_caches(
    torch_env: TorchEnv, library: str, app: str, name: str, folder: str
) -> None:
    digest = sha256(WEIGHTS)
    file = name.replace("/", "-") + ".pt"
    url = f"https://openaipublic.azureedge.net/{library}/models/{digest}/{file}"
    torch_env.tables.set(library, name, {"url": url, "file": file, "sha256": digest})
    torch_env.serve(url, WEIGHTS)
    model = _scan_install_verify(torch_env, app)
    assert model.id == f"{library}/{name}" and model.revision == digest
    installed = torch_env.project.parent / folder / file
    assert installed.read_bytes() == WEIGHTS
    _tamper_is_caught(torch_env, installed)


def test_whisper_sha256_in_the_url_that_disagrees_is_an_error(torch_env: TorchEnv) -> None:
    url = f"https://openaipublic.azureedge.net/whisper/models/{'0' * 64}/base.pt"
    torch_env.tables.set("whisper", "base", {"url": url, "file": "base.pt"})
    torch_env.serve(url, WEIGHTS)
    (torch_env.project / "app.py").write_text("import whisper\nwhisper.load_model('base')\n")
    assert main(["scan", str(torch_env.project)]) != 0
    assert not (torch_env.project / "ptm.lock").exists()


def test_ultralytics_release_asset_checked_against_the_release(torch_env: TorchEnv) -> None:
    torch_env.store.commit("ultralytics/assets", {"yolov8n.pt": WEIGHTS})
    torch_env.store.tag("ultralytics/assets", "v8.4.0", "main")
    model = _scan_install_verify(torch_env, "from ultralytics import YOLO\nYOLO('yolov8n.pt')\n")
    assert model.id == "ultralytics/yolov8n.pt"
    assert model.files[0].url == (
        "https://github.com/ultralytics/assets/releases/download/v8.4.0/yolov8n.pt"
    )
    assert "/github/repos/ultralytics/assets/releases/tags/v8.4.0" in torch_env.scan_requests
    # where the release download redirected to, without the signed query
    assert model.files[0].resolved_url is not None and "?" not in model.files[0].resolved_url
    assert (torch_env.project / "yolov8n.pt").read_bytes() == WEIGHTS


def test_facexlib_checkpoints_land_where_facexlib_saves_them(
    torch_env: TorchEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an installed facexlib package (found, never imported): its ``weights`` folder is the target
    site = tmp_path / "site"
    (site / "facexlib").mkdir(parents=True)
    (site / "facexlib" / "__init__.py").write_text("raise ImportError('never imported')\n")
    monkeypatch.syspath_prepend(str(site))
    torch_env.store.commit("xinntao/facexlib", {"detection_Resnet50_Final.pth": WEIGHTS})
    torch_env.store.tag("xinntao/facexlib", "v0.1.0", "main")
    model = _scan_install_verify(
        torch_env,
        "from facexlib.detection import init_detection_model\n"
        "net = init_detection_model('retinaface_resnet50', half=False, device='cpu')\n",
    )
    assert (model.id, model.revision) == ("facexlib/retinaface_resnet50", sha256(WEIGHTS))
    assert model.files[0].url == (
        "https://github.com/xinntao/facexlib/releases/download/v0.1.0/detection_Resnet50_Final.pth"
    )
    installed = site / "facexlib" / "weights" / "detection_Resnet50_Final.pth"
    assert installed.read_bytes() == WEIGHTS
    _tamper_is_caught(torch_env, installed)


def _installed_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Path:
    """A package ``name`` importable from a folder of its own (found, never imported)."""
    site = tmp_path / "site"
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text("raise ImportError('never imported')\n")
    monkeypatch.syspath_prepend(str(site))
    return site


def test_realesrganer_checkpoint_urls_land_where_it_saves_them(
    torch_env: TorchEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _installed_package(tmp_path, monkeypatch, "realesrgan")
    torch_env.store.commit("xinntao/Real-ESRGAN", {"RealESRGAN_x4plus.pth": WEIGHTS})
    torch_env.store.tag("xinntao/Real-ESRGAN", "v0.1.0", "main")
    url = "https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.0/RealESRGAN_x4plus.pth"
    app = f"from realesrgan import RealESRGANer\nRealESRGANer(4, {url!r}, model=None)\n"
    model = _scan_install_verify(torch_env, app)
    assert (model.id, model.revision) == (url, sha256(WEIGHTS))
    installed = site / "weights" / "RealESRGAN_x4plus.pth"  # <root>/weights, as realesrgan does
    assert installed.read_bytes() == WEIGHTS
    assert not (torch_env.checkpoints / "RealESRGAN_x4plus.pth").exists()
    _tamper_is_caught(torch_env, installed)


def test_a_download_into_a_folder_the_call_names_installs_there(torch_env: TorchEnv) -> None:
    torch_env.store.commit("sczhou/CodeFormer", {"codeformer.pth": WEIGHTS})
    torch_env.store.tag("sczhou/CodeFormer", "v0.1.0", "main")
    url = "https://github.com/sczhou/CodeFormer/releases/download/v0.1.0/codeformer.pth"
    model = _scan_install_verify(
        torch_env,
        "from basicsr.utils.download_util import load_file_from_url\n"
        f"path = load_file_from_url(url={url!r}, model_dir='./weights/CodeFormer/')\n",
    )
    assert (model.id, model.folder) == (url, "weights/CodeFormer")
    # where basicsr saves it: the folder as given, under where the application runs
    installed = torch_env.project / "weights" / "CodeFormer" / "codeformer.pth"
    assert installed.read_bytes() == WEIGHTS
    assert not (torch_env.checkpoints / "codeformer.pth").exists()
    _tamper_is_caught(torch_env, installed)
    # the call moves the folder: check sees it from the code alone, scan records it
    (torch_env.project / "app.py").write_text(
        "from basicsr.utils.download_util import load_file_from_url\n"
        f"path = load_file_from_url({url!r}, 'weights/cf')\n"
    )
    assert main(["check", "--offline", str(torch_env.project)]) == 1
    assert main(["scan", str(torch_env.project)]) == 0
    assert read_lock(torch_env.project / "ptm.lock").models[0].folder == "weights/cf"


def test_gfpganer_also_locks_the_face_models_it_downloads_itself(
    torch_env: TorchEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _installed_package(tmp_path, monkeypatch, "gfpgan")
    detector, parser = os.urandom(1000), os.urandom(2000)
    torch_env.store.commit("xinntao/facexlib", {"detection_Resnet50_Final.pth": detector})
    torch_env.store.tag("xinntao/facexlib", "v0.1.0", "main")
    torch_env.store.commit("xinntao/facexlib", {"parsing_parsenet.pth": parser})
    torch_env.store.tag("xinntao/facexlib", "v0.2.2", "main")
    torch_env.store.commit("TencentARC/GFPGAN", {"GFPGANv1.3.pth": WEIGHTS})
    torch_env.store.tag("TencentARC/GFPGAN", "v1.3.0", "main")
    url = "https://github.com/TencentARC/GFPGAN/releases/download/v1.3.0/GFPGANv1.3.pth"
    (torch_env.project / "app.py").write_text(
        f"from gfpgan import GFPGANer\nrestorer = GFPGANer(model_path={url!r}, upscale=2)\n"
    )
    assert main(["scan", str(torch_env.project)]) == 0
    lock = read_lock(torch_env.project / "ptm.lock")
    implied = {m.id: m.folder for m in lock.models if m.id.startswith("facexlib/")}
    assert implied == {"facexlib/parsenet": "gfpgan/weights",
                       "facexlib/retinaface_resnet50": "gfpgan/weights"}  # fmt: skip
    lock_arg = ["--lock", str(torch_env.project / "ptm.lock")]
    assert main(["install", *lock_arg, "--quiet"]) == 0
    assert main(["verify", *lock_arg, "--full"]) == 0
    # FaceRestoreHelper(model_rootpath="gfpgan/weights") opens them there, under the app's folder
    weights = torch_env.project / "gfpgan" / "weights"
    assert (weights / "detection_Resnet50_Final.pth").read_bytes() == detector
    assert (weights / "parsing_parsenet.pth").read_bytes() == parser
    # and the restorer's own checkpoint where GFPGANer saves it: gfpgan/weights in its package
    assert (site / "gfpgan" / "weights" / "GFPGANv1.3.pth").read_bytes() == WEIGHTS
    assert not (torch_env.checkpoints / "GFPGANv1.3.pth").exists()


def test_without_facexlib_installed_its_weights_go_under_the_working_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.util

    from ptmlock.layout import facexlib_dir

    monkeypatch.chdir(tmp_path)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "facexlib" else real(name, *a)
    )
    assert facexlib_dir() == tmp_path / "facexlib" / "weights"


def test_release_asset_whose_bytes_differ_from_the_release_is_an_error(
    torch_env: TorchEnv, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    torch_env.store.commit("acme/nets", {"net.pth": WEIGHTS})
    torch_env.store.tag("acme/nets", "v1", "main")
    # an artifact proxy that serves other bytes for the release asset
    url = "https://github.com/acme/nets/releases/download/v1/net.pth"
    torch_env.serve("https://example.com/proxy/net.pth", WEIGHTS[::-1])
    mirrors = os.environ["PTMLOCK_URL_MIRRORS"]
    proxied = f"{url}={torch_env.mirror.url}/files/example.com/proxy/net.pth"
    monkeypatch.setenv("PTMLOCK_URL_MIRRORS", f"{mirrors} {proxied}")
    (torch_env.project / "app.py").write_text(
        f"import torch\ntorch.hub.load_state_dict_from_url({url!r})\n"
    )
    assert main(["scan", str(torch_env.project)]) != 0
    assert "the release lists" in capsys.readouterr().err
    assert not (torch_env.project / "ptm.lock").exists()


def test_plain_url_records_where_it_redirected(torch_env: TorchEnv) -> None:
    url, final = "https://example.com/w/latest.pth", "https://example.com/w/v3/model.pth"
    torch_env.serve(final, WEIGHTS)
    torch_env.redirect(url, final)
    app = f"import torch\ntorch.hub.load_state_dict_from_url({url!r})\n"
    model = _scan_install_verify(torch_env, app)
    assert (model.id, model.files[0].url, model.files[0].resolved_url) == (url, url, final)
    assert (torch_env.checkpoints / "latest.pth").read_bytes() == WEIGHTS


def test_huggingface_resolve_url_locks_as_a_hub_entry_at_a_commit(torch_env: TorchEnv) -> None:
    commit = torch_env.store.commit("org/weights", {"model.pth": WEIGHTS, "README.md": b"# w\n"})
    url = "https://huggingface.co/org/weights/resolve/main/model.pth"
    model = _scan_install_verify(
        torch_env, f"import torch\ntorch.hub.load_state_dict_from_url({url!r})\n"
    )
    assert (model.hub, model.id, model.revision, model.requested) == (
        "huggingface",
        "org/weights",
        commit,
        "main",
    )
    assert [f.path for f in model.files] == ["model.pth"]


@pytest.mark.parametrize(
    ("app", "repo", "files", "locked"),
    [
        (
            "import timm\ntimm.create_model('resnet50', pretrained=True)\n",
            "timm/resnet50.a1_in1k",  # timm's default tag, from the table
            {"config.json": b"{}", "model.safetensors": WEIGHTS, "pytorch_model.bin": b"x"},
            ["model.safetensors"],  # timm has the architecture's config itself
        ),
        (
            "import open_clip\n"
            "open_clip.create_model_and_transforms('ViT-B-32', pretrained='laion2b_s34b_b79k')\n",
            "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
            {
                "open_clip_config.json": b"{}",
                "open_clip_model.safetensors": WEIGHTS,
                "open_clip_pytorch_model.bin": b"x",
            },
            ["open_clip_config.json", "open_clip_model.safetensors"],
        ),
    ],
)
def test_hub_backed_names_lock_the_files_the_library_reads(
    torch_env: TorchEnv, app: str, repo: str, files: dict[str, bytes], locked: list[str]
) -> None:
    commit = torch_env.store.commit(repo, files)
    model = _scan_install_verify(torch_env, app)
    assert (model.hub, model.id, model.revision) == ("huggingface", repo, commit)
    assert [f.path for f in model.files] == locked
    snapshot = torch_env.hf.cache / f"models--{repo.replace('/', '--')}" / "snapshots" / commit
    weights = next(snapshot.glob("*.safetensors"))
    assert weights.read_bytes() == WEIGHTS
    _tamper_is_caught(torch_env, weights.resolve())


def test_install_refuses_a_lock_whose_sha256_disagrees_with_the_library_hash(
    torch_env: TorchEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lock edited by hand (or made by another tool) to other bytes than torchvision names:
    refused before the first byte is fetched."""
    from ptmlock.lockfile import write_lock
    from ptmlock.models import Lock, LockedFile

    url = "https://download.pytorch.org/models/resnet18-f37072fd.pth"  # the real entry
    other = sha256(WEIGHTS)
    model = LockedModel(
        hub="url",
        id="torchvision/resnet18:IMAGENET1K_V1",
        revision=other,
        files=(LockedFile(path="resnet18-f37072fd.pth", size=len(WEIGHTS), sha256=other, url=url),),
    )
    write_lock(Lock(models=(model,)), torch_env.project / "ptm.lock")
    torch_env.serve(url, WEIGHTS)
    assert main(["install", "--lock", str(torch_env.project / "ptm.lock")]) != 0
    assert "carries the hash f37072fd" in capsys.readouterr().err
    assert not torch_env.mirror.requests.matching("resnet18")
    assert not torch_env.checkpoints.exists()


def test_lock_fields_round_trip_and_match_the_schema(torch_env: TorchEnv) -> None:
    import json

    import jsonschema

    from ptmlock.lockfile import dumps_lock, loads_lock, lock_to_dict
    from ptmlock.models import Lock, LockedFile

    model = LockedModel(
        hub="pytorch_hub",
        id="acme/tinynet",
        revision="a" * 40,
        branch="master",
        entries=("tiny",),
        files=(
            LockedFile(
                path="checkpoints/t.pth",
                size=2,
                sha256="c" * 64,
                url="https://example.com/t.pth",
                resolved_url="https://cdn.example.com/t.pth",
            ),
            LockedFile(path="hubconf.py", size=1, sha256="b" * 64),
        ),
    )
    lock = Lock(models=(model,))
    assert loads_lock(dumps_lock(lock)) == lock
    schema = json.loads(
        (Path(__file__).parents[2] / "schemas" / "ptm-lock.schema.json").read_text()
    )
    jsonschema.validate(lock_to_dict(lock), schema)


def test_google_drive_link_fetched_by_gdown_is_locked_and_installed(
    torch_env: TorchEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "PTMLOCK_URL_MIRRORS",
        os.environ["PTMLOCK_URL_MIRRORS"]
        + f" https://drive.google.com/={torch_env.mirror.url}/files/drive.google.com/",
    )
    torch_env.serve("https://drive.google.com/uc", WEIGHTS)
    link = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOp/view?usp=sharing"
    model = _scan_install_verify(torch_env, f"import gdown\ngdown.download({link!r})\n")
    assert model.id == "https://drive.google.com/uc?id=1AbCdEfGhIjKlMnOp&export=download"
    assert (torch_env.project / "1AbCdEfGhIjKlMnOp").read_bytes() == WEIGHTS  # gdown's folder


def test_google_drive_confirmation_page_is_reported_not_locked(
    torch_env: TorchEnv, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "PTMLOCK_URL_MIRRORS",
        os.environ["PTMLOCK_URL_MIRRORS"]
        + f" https://drive.google.com/={torch_env.mirror.url}/files/drive.google.com/",
    )
    torch_env.serve("https://drive.google.com/confirm.html", b"<html>virus scan</html>")
    torch_env.redirect("https://drive.google.com/uc", "https://drive.google.com/confirm.html")
    app = "import gdown\ngdown.download('https://drive.google.com/uc?id=1AbCdEfGhIjKlMnOp')\n"
    (torch_env.project / "app.py").write_text(app)
    assert main(["scan", str(torch_env.project)]) != 0
    assert "Google Drive answered with a page" in capsys.readouterr().err
    assert not (torch_env.project / "ptm.lock").exists()
