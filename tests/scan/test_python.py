"""The Python detector on literal loader calls, one case per signature, plus negatives."""

from __future__ import annotations

import ast
import marshal

import pytest

from ptmlock.models import Reference
from ptmlock.scan.detectors.python import PythonDetector
from ptmlock.scan.python.ir import Summary
from ptmlock.scan.python.lower import lower_module
from tests.scan.helpers import scan_text


def find(
    source: str, directories: frozenset[str] = frozenset(), relpath: str = "app.py"
) -> list[Reference]:
    return scan_text(relpath, source, directories=directories)


def only(source: str) -> Reference:
    refs = find(source)
    assert len(refs) == 1, refs
    return refs[0]


# (source, model, api, hub, revision, library, files)
LITERALS = [
    (
        "from transformers import AutoModel\n"
        "AutoModel.from_pretrained('google-bert/bert-base-uncased')",
        "google-bert/bert-base-uncased",
        "transformers.AutoModel.from_pretrained",
        "huggingface",
        None,
        "transformers",
        (),
    ),
    (
        "import transformers as tf\ntf.AutoTokenizer.from_pretrained('gpt2', revision='v1')",
        "gpt2",
        "transformers.AutoTokenizer.from_pretrained",
        "huggingface",
        "v1",
        "transformers-tokenizer",  # a tokenizer reads no weights
        (),
    ),
    (
        "from transformers import AutoConfig\nAutoConfig.from_pretrained('org/m')",
        "org/m",
        "transformers.AutoConfig.from_pretrained",
        "huggingface",
        None,
        "transformers-config",
        (),
    ),
    (
        "from transformers import AutoModel as AM\n"
        "AM.from_pretrained(pretrained_model_name_or_path='org/m')",
        "org/m",
        "transformers.AutoModel.from_pretrained",
        "huggingface",
        None,
        "transformers",
        (),
    ),
    (
        "import transformers\ntransformers.models.bert.BertModel.from_pretrained('org/m')",
        "org/m",
        "transformers.models.bert.BertModel.from_pretrained",
        "huggingface",
        None,
        "transformers",
        (),
    ),
    (
        "from transformers import AutoModelForCausalLM\n"
        "AutoModelForCausalLM.from_pretrained('org/m-GGUF', gguf_file='m.Q4.gguf')",
        "org/m-GGUF",
        "transformers.AutoModelForCausalLM.from_pretrained",
        "huggingface",
        None,
        "gguf",
        ("m.Q4.gguf",),
    ),
    (
        "from transformers import pipeline\npipeline('text-generation', 'org/m')",
        "org/m",
        "transformers.pipeline",
        "huggingface",
        None,
        "transformers",
        (),
    ),
    (
        "from diffusers import DiffusionPipeline\nDiffusionPipeline.from_pretrained('org/sd', "
        "revision='fp16')",
        "org/sd",
        "diffusers.DiffusionPipeline.from_pretrained",
        "huggingface",
        "fp16",
        "diffusers",
        (),
    ),
    (
        "from diffusers import StableDiffusionPipeline as P\n"
        "P.from_single_file('https://example.com/sd.ckpt')",
        "https://example.com/sd.ckpt",
        "diffusers.StableDiffusionPipeline.from_single_file",
        "url",
        None,
        "url",
        (),
    ),
    (
        "from peft import PeftModel\nPeftModel.from_pretrained(base, 'org/lora')",
        "org/lora",
        "peft.PeftModel.from_pretrained",
        "huggingface",
        None,
        "peft",
        (),
    ),
    (
        "from peft import AutoPeftModelForCausalLM\n"
        "AutoPeftModelForCausalLM.from_pretrained('org/l')",
        "org/l",
        "peft.AutoPeftModelForCausalLM.from_pretrained",
        "huggingface",
        None,
        "peft",
        (),
    ),
    (
        "from sentence_transformers import SentenceTransformer\nSentenceTransformer('org/st')",
        "org/st",
        "sentence_transformers.SentenceTransformer",
        "huggingface",
        None,
        "sentence-transformers",
        (),
    ),
    (
        "from sentence_transformers.cross_encoder import CrossEncoder\n"
        "CrossEncoder(model_name='o/c')",
        "o/c",
        "sentence_transformers.cross_encoder.CrossEncoder",
        "huggingface",
        None,
        "sentence-transformers",
        (),
    ),
    (
        "from huggingface_hub import hf_hub_download\n"
        "hf_hub_download('org/r', 'w.bin', subfolder='unet', revision='abc')",
        "org/r",
        "huggingface_hub.hf_hub_download",
        "huggingface",
        "abc",
        "file",
        ("unet/w.bin",),
    ),
    (
        "import huggingface_hub\nhuggingface_hub.snapshot_download(repo_id='org/r')",
        "org/r",
        "huggingface_hub.snapshot_download",
        "huggingface",
        None,
        "snapshot",
        (),
    ),
    (
        "from huggingface_hub import HfApi\nHfApi().hf_hub_download(repo_id='org/r', filename='f')",
        "org/r",
        "huggingface_hub.HfApi.hf_hub_download",
        "huggingface",
        None,
        "file",
        ("f",),
    ),
    (
        "import timm\ntimm.create_model('hf-hub:org/net', pretrained=True)",
        "org/net",
        "timm.create_model",
        "huggingface",
        None,
        "timm",
        (),
    ),
    (
        "import open_clip\nopen_clip.create_model_and_transforms('hf-hub:org/clip')",
        "org/clip",
        "open_clip.create_model_and_transforms",
        "huggingface",
        None,
        "open_clip",
        (),
    ),
    (
        "import torch\ntorch.hub.load('pytorch/vision:v0.10.0', 'resnet18', pretrained=True)",
        "pytorch/vision",
        "torch.hub.load",
        "pytorch_hub",
        "v0.10.0",
        "torch_hub",
        ("resnet18",),  # the entry point: its weights are locked with the repo
    ),
    (
        "from torch.utils import model_zoo\nmodel_zoo.load_url('https://e.com/w.pth')",
        "https://e.com/w.pth",
        "torch.utils.model_zoo.load_url",
        "url",
        None,
        "url",
        (),
    ),
    (
        "import torchvision\ntorchvision.models.resnet50(weights='IMAGENET1K_V2')",
        "torchvision/resnet50:IMAGENET1K_V2",
        "torchvision.models.resnet50",
        "url",
        None,
        "torchvision",
        (),
    ),
    (
        "import whisper\nwhisper.load_model('base')",
        "whisper/base",
        "whisper.load_model",
        "url",
        None,
        "whisper",
        (),
    ),
    ("import clip\nclip.load('ViT-B/32')", "clip/ViT-B/32", "clip.load", "url", None, "clip", ()),
    (
        "import spacy\nspacy.load('en_core_web_sm')",
        "spacy/en_core_web_sm",
        "spacy.load",
        "huggingface",
        None,
        "spacy",
        (),
    ),
    (
        "from langchain_huggingface import HuggingFacePipeline\n"
        "HuggingFacePipeline.from_model_id(model_id='org/m', task='text-generation')",
        "org/m",
        "langchain_huggingface.HuggingFacePipeline.from_model_id",
        "huggingface",
        None,
        "transformers",
        (),
    ),
    (
        "from langchain_huggingface import HuggingFaceEndpoint\n"
        "HuggingFaceEndpoint(repo_id='org/m')",
        "org/m",
        "langchain_huggingface.HuggingFaceEndpoint",
        "huggingface",
        None,
        "transformers",
        (),
    ),
    (
        "from vllm import LLM\nLLM(model='org/m', revision='r1')",
        "org/m",
        "vllm.LLM",
        "huggingface",
        "r1",
        "transformers",
        (),
    ),
    (
        "from llama_cpp import Llama\nLlama.from_pretrained('org/m-GGUF', '*q8_0.gguf')",
        "org/m-GGUF",
        "llama_cpp.Llama.from_pretrained",
        "huggingface",
        None,
        "gguf",
        ("*q8_0.gguf",),
    ),
    (
        "from ultralytics import YOLO\nYOLO('yolov8n.pt')",
        "ultralytics/yolov8n.pt",
        "ultralytics.YOLO",
        "url",
        None,
        "ultralytics",
        (),
    ),
    (
        "from optimum.onnxruntime import ORTModelForCausalLM\n"
        "ORTModelForCausalLM.from_pretrained('org/m')",
        "org/m",
        "optimum.onnxruntime.ORTModelForCausalLM.from_pretrained",
        "huggingface",
        None,
        "onnx",
        (),
    ),
]


@pytest.mark.parametrize(
    ("source", "model", "api", "hub", "revision", "library", "files"), LITERALS
)
def test_literal_loader_calls(
    source: str,
    model: str,
    api: str,
    hub: str,
    revision: str | None,
    library: str,
    files: tuple[str, ...],
) -> None:
    ref = only(source)
    assert (ref.model, ref.api, ref.hub, ref.revision, ref.library, ref.files) == (
        model,
        api,
        hub,
        revision,
        library,
        files,
    )
    assert (ref.file, ref.line, ref.how, ref.confidence) == ("app.py", 2, "literal", "high")


@pytest.mark.parametrize(
    ("source", "model"),
    [
        (
            "from transformers import pipeline\npipeline('fill-mask')",
            "distilbert/distilroberta-base",
        ),
        (
            "from transformers import pipeline\npipeline(task='sentiment-analysis')",
            "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        ),
        (
            "from langchain_community.embeddings import HuggingFaceEmbeddings\n"
            "HuggingFaceEmbeddings()",
            "sentence-transformers/all-mpnet-base-v2",
        ),
    ],
)
def test_a_loader_without_a_model_reports_the_library_default(source: str, model: str) -> None:
    ref = only(source)
    assert (ref.model, ref.how, ref.confidence) == (model, "library-default", "medium")


def test_reloading_the_programs_own_output_is_not_a_reference() -> None:
    refs = find("""
        from transformers import AutoModel
        OUT = "trained"
        model = AutoModel.from_pretrained("org/base")
        model.save_pretrained(OUT)
        AutoModel.from_pretrained(OUT)
    """)
    assert [(r.line, r.model) for r in refs] == [(4, "org/base")]


def test_pipeline_tokenizer_keyword_is_a_second_reference() -> None:
    refs = find("""
        from transformers import pipeline
        pipe = pipeline("ner", model="org/ner", tokenizer="org/tok")
    """)
    assert [r.model for r in refs] == ["org/ner", "org/tok"]


def test_multi_line_call_places_the_model_where_it_is_written() -> None:
    ref = only("""
        from transformers import AutoModel

        model = AutoModel.from_pretrained(
            "org/m",
            revision="main",
        )
    """)
    assert (ref.line, ref.revision) == (5, "main")
    assert ref.chain == ("app.py:4 transformers.AutoModel.from_pretrained()",)


def test_local_subclass_of_a_loader_class_is_a_loader() -> None:
    ref = only("""
        from transformers import BertPreTrainedModel

        class Classifier(BertPreTrainedModel):
            pass

        Classifier.from_pretrained("google-bert/bert-base-cased")
    """)
    assert ref.api == "transformers.BertPreTrainedModel.from_pretrained"


def test_imports_inside_functions_are_resolved() -> None:
    ref = only("""
        def load():
            from sentence_transformers import SentenceTransformer
            return SentenceTransformer("org/st")
    """)
    assert ref.model == "org/st"


def test_star_import_is_resolved_best_effort() -> None:
    assert only("from transformers import *\nAutoModel.from_pretrained('org/m')\n").model == "org/m"


@pytest.mark.parametrize(
    "source",
    [
        "from transformers import AutoModel\nAutoModel.from_pretrained('./checkpoints/best')",
        "from transformers import AutoModel\nAutoModel.from_pretrained('/abs/model')",
        "from transformers import AutoModel\n"
        "AutoModel.from_pretrained('outputs/model.safetensors')",
        "from transformers import AutoModel\nfrom pathlib import Path\n"
        "AutoModel.from_pretrained(Path('models') / 'x')",
        "import os\nfrom transformers import AutoModel\n"
        "AutoModel.from_pretrained(os.path.join('runs', 'best'))",
        "from huggingface_hub import hf_hub_download\n"
        "hf_hub_download('org/data', 'train.csv', repo_type='dataset')",
        "from huggingface_hub import snapshot_download\n"
        "snapshot_download('org/space', repo_type='space')",
        "import timm\ntimm.create_model('resnet50', pretrained=False)",
        "import torchvision\ntorchvision.models.resnet50(weights=None)",
        "import torch\ntorch.hub.load('repo/dir', 'custom', source='local')",
        "from ultralytics import YOLO\nYOLO('runs/train/weights/best.pt')",
        "from sentence_transformers import SentenceTransformer\nSentenceTransformer()",
        "NAME = 'google-bert/bert-base-uncased'\nprint(NAME)",
        "import requests\nrequests.get('https://huggingface.co/api/models/org/m')",
        "MIME = 'application/json'\nfrom transformers import AutoModel\nprint(MIME)",
        "def model():\n    pass\nmodel.from_pretrained('org/m')",  # no loader library
    ],
)
def test_negatives_yield_no_reference(source: str) -> None:
    assert find(source) == []


def test_project_directories_are_local_paths() -> None:
    folders = frozenset({"weights", "weights/clf"})
    assert (
        find(
            "from transformers import AutoModel\nAutoModel.from_pretrained('weights/clf')", folders
        )
        == []
    )


@pytest.mark.parametrize("source", ["def broken(:\n", "x = (" * 500 + "\n", "\x00\x01"])
def test_source_that_does_not_parse_yields_nothing(source: str) -> None:
    assert find("from transformers import AutoModel\n" + source) == []


def test_detector_handles_python_files_only() -> None:
    detector = PythonDetector()
    assert detector.handles("pkg/app.py")
    assert not detector.handles("notebook.ipynb")
    facts = detector.read("a.py", "import whisper\nwhisper.load_model('tiny')\n")
    assert facts.python is not None and facts.skipped is None
    assert [r.model for r in find("import whisper\nwhisper.load_model('tiny')\n")] == [
        "whisper/tiny"
    ]


def test_a_summary_shares_each_repeated_expression_and_line_number() -> None:
    """The same expression written twice in a module is one object in its summary, and each
    line number one int, also after the cache's marshal (loaded summaries are most of a large
    scan's memory)."""
    source = "\n" * 300 + "a = f(x.y)\nb = f(x.y); c = f(x.y)\n"
    summary = lower_module(ast.parse(source), frozenset())
    loaded = Summary.load(marshal.loads(marshal.dumps(summary.dump())))
    assert loaded is not None
    a, b, c = (loaded.scopes[0]["bind"][name][0][2] for name in ("a", "b", "c"))
    assert b == c and b is c  # one line, one expression, one object
    assert a[2] != b[2]  # ``f`` on two lines: two expressions
    assert a[1] == 301 and a[1] is a[2][1]  # the call and its callee share the line's int
