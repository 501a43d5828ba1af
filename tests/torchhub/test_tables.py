"""The shipped name tables: generated from the libraries' registries, read back by lookups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptmlock.named import (
    NamedDownload,
    digest_agrees,
    embedded_digest,
    hub_repo,
    named_download,
    table_version,
)
from ptmlock.named.generate import GENERATORS, dumps, table
from tests.scan.helpers import scan_text

DATA = Path(__file__).parents[2] / "ptmlock" / "named" / "data"


def test_torchvision_table_is_what_the_installed_torchvision_gives() -> None:
    """Regenerating from torchvision (installed by .ci/setup) changes nothing: the shipped
    table is the library's own registry, at the version it records."""
    assert dumps(table("torchvision")) == (DATA / "torchvision.json").read_text()


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_every_table_records_its_source(name: str) -> None:
    data = json.loads((DATA / f"{name}.json").read_text())
    assert data["library"] == name and data["generated_by"].endswith(name)
    assert table_version(name) == data["version"] and data["entries"]


@pytest.mark.parametrize(
    ("model_id", "url", "digest"),
    [
        ("torchvision/resnet18:DEFAULT",
         "https://download.pytorch.org/models/resnet18-f37072fd.pth", "f37072fd"),
        ("torchvision/resnet50:legacy",
         "https://download.pytorch.org/models/resnet50-0676ba61.pth", "0676ba61"),
        ("torchvision/resnet50:IMAGENET1K_V2",
         "https://download.pytorch.org/models/resnet50-11ad3fa6.pth", "11ad3fa6"),
        ("whisper/base", "https://openaipublic.azureedge.net/main/whisper/models/"
         "ed3a0b6b1c0edf879ad9b11b1af5a0e6ab5db9205f891f668f8b0e6c6326e34e/base.pt",
         "ed3a0b6b1c0edf879ad9b11b1af5a0e6ab5db9205f891f668f8b0e6c6326e34e"),
        ("clip/ViT-B/32", "https://openaipublic.azureedge.net/clip/models/"
         "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
         "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af"),
        ("ultralytics/yolov8n.pt",
         "https://github.com/ultralytics/assets/releases/download/v8.4.0/yolov8n.pt", None),
    ],
)  # fmt: skip
def test_named_downloads_and_their_embedded_hashes(
    model_id: str, url: str, digest: str | None
) -> None:
    found = named_download(model_id)
    assert found is not None and found.url == url
    assert embedded_digest(found) == digest


def test_unknown_names_and_hub_backed_names() -> None:
    assert named_download("torchvision/no_such:DEFAULT") is None
    assert named_download("https://example.com/x.pth") is None
    assert hub_repo("timm", "resnet50") == ("timm/resnet50.a1_in1k", ())
    assert hub_repo("open_clip", "ViT-B-32:laion2b_s34b_b79k") == (
        "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        (),
    )
    assert hub_repo("timm", "no_such_net") is None
    # a name timm deprecated maps where timm maps it
    assert hub_repo("timm", "convnext_tiny_in22ft1k") == ("timm/convnext_tiny.fb_in22k_ft_in1k", ())


def test_a_hex_looking_word_is_a_hash_only_where_the_library_checks_one() -> None:
    yolo = NamedDownload("ultralytics", "https://github.com/a/b/releases/download/v1/yolo-face.pt",
                         "yolo-face.pt")  # fmt: skip
    assert embedded_digest(yolo) is None
    assert digest_agrees("f37072fd", "f37072fd" + "0" * 56)
    assert not digest_agrees("f37072fd", "0" * 64)
    assert digest_agrees(None, "0" * 64)


def test_scan_names_torchvision_weights_every_way_torchvision_takes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ptmlock.scan import scan

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "app.py").write_text(
        "import torchvision\n"
        "from torchvision.models import get_model, get_weight, ResNet50_Weights\n"
        "get_model('resnet50', weights='DEFAULT')\n"
        "torchvision.models.resnet50(weights=get_weight('ResNet50_Weights.IMAGENET1K_V2'))\n"
        "torchvision.models.resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)\n"
        "torchvision.models.vgg16(pretrained=True)\n"
    )
    found = sorted((r.line, r.model) for r in scan(tmp_path).references)
    assert found == [
        (3, "torchvision/resnet50:DEFAULT"),
        (4, "torchvision/resnet50:IMAGENET1K_V2"),
        (5, "torchvision/resnet50:IMAGENET1K_V1"),
        (6, "torchvision/vgg16:legacy"),
    ]
    assert all(model and named_download(model) for _, model in found)


def test_the_facexlib_table_reads_each_task_functions_branches(tmp_path: Path) -> None:
    from ptmlock.named.generate import facexlib_table

    (tmp_path / "parsing").mkdir()
    (tmp_path / "parsing" / "__init__.py").write_text(
        "def init_parsing_model(model_name='bisenet', half=False, device='cuda'):\n"
        "    if model_name == 'bisenet':\n"
        "        model_url = 'https://github.com/o/r/releases/download/v1/parsing_bisenet.pth'\n"
        "    elif model_name == 'parsenet':\n"
        "        model = ParseNet()\n"
        "        model_url = 'https://github.com/o/r/releases/download/v2/parsing_parsenet.pth'\n"
        "    else:\n"
        "        raise NotImplementedError(model_name)\n"
    )
    table = facexlib_table(tmp_path)
    assert table["defaults"] == {"init_parsing_model": "bisenet"}
    assert table["entries"]["parsenet"] == {
        "url": "https://github.com/o/r/releases/download/v2/parsing_parsenet.pth",
        "file": "parsing_parsenet.pth",
        "function": "init_parsing_model",
    }
    assert sorted(table["entries"]) == ["bisenet", "parsenet"]


def test_scan_names_facexlib_checkpoints_by_function_and_name() -> None:
    refs = scan_text(
        "app.py",
        "from facexlib.detection import init_detection_model\n"
        "from facexlib.parsing import init_parsing_model\n"
        "det = init_detection_model('retinaface_resnet50', device='cpu')\n"
        "parse = init_parsing_model(device='cpu')\n"  # facexlib's default: bisenet
        "wrong = init_detection_model('bisenet')\n",  # not a detection model: nothing downloads
    )
    found = [(r.line, r.model, r.files) for r in refs if r.model]
    assert found == [
        (3, "facexlib/retinaface_resnet50", ("detection_Resnet50_Final.pth",)),
        (4, "facexlib/bisenet", ("parsing_bisenet.pth",)),
    ]
