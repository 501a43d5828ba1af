"""The signature table: pattern matching, Hub-id validation and the per-loader transforms."""

from __future__ import annotations

import pytest

from ptmlock.scan.python.values import Symbol
from ptmlock.scan.signatures import SIGNATURES, match_signature
from ptmlock.scan.transforms import CallFacts, Target, is_hub_id
from tests.scan.helpers import scan_text


@pytest.mark.parametrize(
    ("qualname", "pattern"),
    [
        ("transformers.AutoModel.from_pretrained", "transformers.**.from_pretrained"),
        ("transformers.models.bert.BertModel.from_pretrained", "transformers.**.from_pretrained"),
        ("transformers.pipeline", "transformers.**.pipeline"),
        ("diffusers.StableDiffusionPipeline.from_single_file", "diffusers.**.from_single_file"),
        (
            "diffusers.DiffusionPipeline.from_pretrained().load_lora_weights",
            "diffusers.**.load_lora_weights",
        ),
        ("peft.PeftModel.from_pretrained", "peft.**.PeftModel*.from_pretrained"),
        ("peft.PeftModelForCausalLM.from_pretrained", "peft.**.PeftModel*.from_pretrained"),
        ("peft.AutoPeftModelForCausalLM.from_pretrained", "peft.**.from_pretrained"),
        (
            "sentence_transformers.SentenceTransformer",
            "sentence_transformers.**.SentenceTransformer",
        ),
        ("huggingface_hub.HfApi().snapshot_download", "huggingface_hub.**.snapshot_download"),
        ("huggingface_hub.file_download.hf_hub_download", "huggingface_hub.**.hf_hub_download"),
        (
            "langchain_community.embeddings.HuggingFaceEmbeddings",
            "langchain*.**.HuggingFaceEmbeddings",
        ),
        ("torchvision.models.resnet50", "torchvision.models.**"),
        ("torchvision.models.get_model", "torchvision.models.**.get_model"),
        ("ultralytics.YOLO", "ultralytics.**.YOLO*"),
    ],
)
def test_match_signature_picks_the_first_matching_row(qualname: str, pattern: str) -> None:
    found = match_signature(qualname)
    assert found is not None
    assert found.pattern == pattern


@pytest.mark.parametrize(
    "qualname",
    [
        "transformers.AutoModel.from_pretrained().save_pretrained",
        "transformers.AutoTokenizer.from_pretrained()",  # calling the loaded tokenizer
        "ultralytics.YOLO()",  # running a loaded model on an image
        "torch.load",
        "json.load",
        "sentence_transformers.SentenceTransformer().encode",
    ],
)
def test_match_signature_ignores_calls_that_load_nothing(qualname: str) -> None:
    assert match_signature(qualname) is None


def test_signature_patterns_are_unique() -> None:
    patterns = [s.pattern for s in SIGNATURES]
    assert len(patterns) == len(set(patterns))


@pytest.mark.parametrize(
    "value",
    [
        "gpt2",
        "google-bert/bert-base-uncased",
        "Qwen/Qwen2.5-0.5B",
        "org/model.v1_2",
        "sentence-transformers/all-MiniLM-L6-v2",
    ],
)
def test_is_hub_id_accepts_repo_ids(value: str) -> None:
    assert is_hub_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "./checkpoints/best",
        "/opt/models/x",
        "~/models",
        "a/b/c",
        "org--x/y",
        "org/x..y",
        "-org/x",
        "org/x-",
        "model.safetensors",
        "weights/best.pt",
        "config.yaml",
        "C:\\models",
        "https://huggingface.co/gpt2",
        "",
        "has space/x",
        "1234",
        None,
        42,
        "org/repo.git",
    ],
)
def test_is_hub_id_rejects_paths_and_malformed_ids(value: object) -> None:
    assert not is_hub_id(value)


def test_is_hub_id_rejects_project_directories() -> None:
    dirs = frozenset({"outputs", "models/finetuned"})
    assert not is_hub_id("outputs", dirs)
    assert not is_hub_id("outputs/run-1", dirs)
    assert not is_hub_id("models/finetuned", dirs)
    assert is_hub_id("google/flan-t5-base", dirs)


def _apply(pattern: str, value: object, **extras: object) -> Target | None:
    signature = next(s for s in SIGNATURES if s.pattern == pattern)
    qualname = str(extras.pop("qualname", pattern))
    return signature.transform(value, CallFacts(qualname=qualname, extras=extras))


@pytest.mark.parametrize(
    ("pattern", "value", "extras", "expected"),
    [
        (
            "timm.**.create_model",
            "hf-hub:timm/vit_small.augreg_in21k",
            {},
            Target(hub="huggingface", model="timm/vit_small.augreg_in21k"),
        ),
        ("timm.**.create_model", "hf_hub:org/net", {}, Target(hub="huggingface", model="org/net")),
        (
            "timm.**.create_model",
            "resnet50.a1_in1k",
            {"pretrained": True},
            Target(hub="huggingface", model="timm/resnet50.a1_in1k", library="timm-named"),
        ),
        ("timm.**.create_model", "resnet50", {"pretrained": False}, None),
        ("timm.**.create_model", "resnet50", {}, None),
        (
            "open_clip.**.create_model*",
            "ViT-B-32",
            {"pretrained": "openai"},  # open_clip reads OpenAI's weights from the Hub copy
            Target(hub="huggingface", model="timm/vit_base_patch32_clip_224.openai"),
        ),
        ("open_clip.**.create_model*", "ViT-B-32", {"pretrained": "/ckpt/x.pt"}, None),
        (
            "torch.hub.load",
            "pytorch/vision:v0.10.0",
            {},
            Target(hub="pytorch_hub", model="pytorch/vision", revision="v0.10.0"),
        ),
        (
            "torch.hub.load",
            "facebookresearch/dinov2",
            {},
            Target(hub="pytorch_hub", model="facebookresearch/dinov2"),
        ),
        ("torch.hub.load", "./local/repo", {}, None),
        (
            "torch.hub.load_state_dict_from_url",
            "https://example.com/w.pth",
            {},
            Target(hub="url", model="https://example.com/w.pth", library="url"),
        ),
        ("torch.hub.load_state_dict_from_url", "weights/w.pth", {}, None),
        (
            "diffusers.**.from_single_file",
            "https://huggingface.co/org/repo/resolve/abc123/sub/model.safetensors",
            {},
            Target(
                hub="huggingface",
                model="org/repo",
                revision="abc123",
                files=("sub/model.safetensors",),
                library="file",
            ),
        ),
        (
            "torchvision.models.**",
            Symbol("torchvision.models.ResNet50_Weights.IMAGENET1K_V2"),
            {"qualname": "torchvision.models.resnet50"},
            Target(hub="url", model="torchvision/resnet50:IMAGENET1K_V2"),
        ),
        (
            "torchvision.models.**",
            True,
            {"qualname": "torchvision.models.vgg16"},
            Target(hub="url", model="torchvision/vgg16:legacy"),
        ),
        ("torchvision.models.**", False, {"qualname": "torchvision.models.vgg16"}, None),
        ("torchvision.models.**", "DEFAULT", {"qualname": "torchvision.models.ResNet"}, None),
        (
            "torchvision.models.**.get_model",
            "ResNet50",
            {"weights": "DEFAULT"},
            Target(hub="url", model="torchvision/resnet50:DEFAULT"),
        ),
        ("torchvision.models.**.get_model", "resnet50", {}, None),
        ("whisper.load_model", "large-v3", {}, Target(hub="url", model="whisper/large-v3")),
        ("whisper.load_model", "ckpt/whisper.pt", {}, None),
        (
            "faster_whisper.**.WhisperModel",
            "small",
            {},
            Target(hub="huggingface", model="Systran/faster-whisper-small"),
        ),
        ("faster_whisper.**.WhisperModel", "./ct2-model", {}, None),
        ("clip.load", "RN50x4", {}, Target(hub="url", model="clip/RN50x4")),
        ("clip.load", "my.pt", {}, None),
        (
            "spacy.load",
            "de_core_news_md",
            {},
            Target(hub="huggingface", model="spacy/de_core_news_md"),
        ),
        ("spacy.load", "./model-best", {}, None),
        (
            "ultralytics.**.YOLO*",
            "yolov8n.pt",
            {},
            Target(hub="url", model="ultralytics/yolov8n.pt"),
        ),
        ("ultralytics.**.YOLO*", "best.pt", {}, None),
        ("ultralytics.**.YOLO*", "yolov8n.yaml", {}, None),
    ],
)
def test_transforms_map_loader_spellings_to_hub_ids(
    pattern: str, value: object, extras: dict[str, object], expected: Target | None
) -> None:
    assert _apply(pattern, value, **extras) == expected


def test_a_download_call_records_the_folder_it_saves_into() -> None:
    url = "https://github.com/o/r/releases/download/v1/net.pth"
    refs = scan_text(
        "app.py",
        "import os\n"
        "from basicsr.utils.download_util import load_file_from_url\n"
        "from facexlib.utils import load_file_from_url as fx\n"
        f"load_file_from_url({url!r}, './weights/a/')\n"
        f"load_file_from_url(url={url!r}, model_dir='/abs/weights')\n"
        f"load_file_from_url({url!r}, model_dir=os.path.join(ROOT, 'w'))\n"
        f"load_file_from_url({url!r})\n"
        f"fx({url!r}, model_dir='facexlib/weights', save_dir='gfpgan/weights')\n"
        f"fx({url!r}, model_dir='facexlib/weights')\n",
        dedent=False,
    )
    # relative folders as given; absolute, computed and absent ones: the library's own folder
    assert [(r.line, r.folder) for r in refs] == [
        (4, "weights/a"), (5, None), (6, None), (7, None), (8, "gfpgan/weights"), (9, None),
    ]  # fmt: skip


def test_a_download_table_lists_ground_truth_data_at_low_confidence() -> None:
    """A project's download table holds training data saved as ``.pth`` beside its weights:
    a file named as ground truth is listed, never locked; the weights beside it are."""
    base = "https://github.com/o/r/releases/download/v1"
    refs = scan_text(
        "download.py",
        "from basicsr.utils.download_util import load_file_from_url\n"
        f"URLS = {{'vqgan.pth': '{base}/vqgan_code1024.pth',\n"
        f"        'latent.pth': '{base}/latent_gt_code1024.pth',\n"
        f"        'gt.pth': '{base}/val-GT.pth'}}\n"
        "for name, url in URLS.items():\n"
        "    load_file_from_url(url, model_dir='weights')\n",
        dedent=False,
    )
    assert {(r.model.rsplit("/", 1)[-1], r.confidence) for r in refs if r.model} == {
        ("vqgan_code1024.pth", "medium"), ("latent_gt_code1024.pth", "low"), ("val-GT.pth", "low"),
    }  # fmt: skip
