"""Which Python calls load a pre-trained model: DATA, one row per loader.

The Python detector resolves a call's fully qualified name through the file's imports
(``AM.from_pretrained`` after ``from transformers import AutoModel as AM`` becomes
``transformers.AutoModel.from_pretrained``) and takes the first row whose ``pattern`` matches.
The row says which argument holds the model id, the revision and the file, which hub serves it
and which file-selection policy (``library``) applies.

Patterns are dotted: ``*`` matches within one segment, ``**`` any number of whole segments
(also none), and a segment ending in ``()`` is an instance, so ``HfApi().snapshot_download`` is
``huggingface_hub.HfApi().snapshot_download``.

A row's ``transform`` (in ``transforms``) turns the loader's own spelling into a hub id, or
rejects the value (a local path, a checkpoint the library builds from scratch). Ids for things
that are not Hub repos:

- torchvision weights: ``torchvision/<arch>:<WEIGHTS>`` on hub ``url`` (``resnet50`` with
  ``weights=ResNet50_Weights.IMAGENET1K_V2`` -> ``torchvision/resnet50:IMAGENET1K_V2``;
  ``weights="DEFAULT"`` -> ``:DEFAULT``; the legacy ``pretrained=True`` -> ``:legacy``).
- openai-whisper ``whisper/<name>``, OpenAI CLIP ``clip/<name>``, open_clip tags
  ``open_clip/<arch>:<tag>``, ultralytics assets ``ultralytics/<file>``: hub ``url``; the url hub
  maps them to the download the library itself performs.
- spaCy pipelines ``spacy/<package>`` on the Hugging Face Hub, where spaCy publishes them.
- torch.hub ``owner/repo[:ref]`` -> model ``owner/repo``, revision ``ref``, hub ``pytorch_hub``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from ptmlock.models import HubName
from ptmlock.scan.transforms import (
    CallFacts,
    Transform,
    clip_name,
    diffusers_single_file,
    faster_whisper,
    hf_repo,
    open_clip_model,
    spacy_pipeline,
    timm_model,
    torch_hub_repo,
    torchvision_arch,
    torchvision_get_model,
    ultralytics_asset,
    url_file,
    whisper_name,
)

__all__ = [
    "PIPELINE_TASK_DEFAULTS",
    "ROOT_MODULES",
    "SIGNATURES",
    "Signature",
    "match_signature",
]

#: The model ``transformers.pipeline(task)`` loads when no model is named.
PIPELINE_TASK_DEFAULTS: Mapping[str, str] = {
    "audio-classification": "superb/wav2vec2-base-superb-ks",
    "automatic-speech-recognition": "facebook/wav2vec2-base-960h",
    "depth-estimation": "Intel/dpt-large",
    "document-question-answering": "impira/layoutlm-document-qa",
    "feature-extraction": "distilbert/distilbert-base-cased",
    "fill-mask": "distilbert/distilroberta-base",
    "image-classification": "google/vit-base-patch16-224",
    "image-segmentation": "facebook/detr-resnet-50-panoptic",
    "image-to-text": "ydshieh/vit-gpt2-coco-en",
    "mask-generation": "facebook/sam-vit-huge",
    "ner": "dbmdz/bert-large-cased-finetuned-conll03-english",
    "object-detection": "facebook/detr-resnet-50",
    "question-answering": "distilbert/distilbert-base-cased-distilled-squad",
    "sentiment-analysis": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "summarization": "sshleifer/distilbart-cnn-12-6",
    "table-question-answering": "google/tapas-base-finetuned-wtq",
    "text-classification": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "text-generation": "openai-community/gpt2",
    "text-to-audio": "suno/bark-small",
    "text-to-speech": "suno/bark-small",
    "text2text-generation": "google-t5/t5-base",
    "token-classification": "dbmdz/bert-large-cased-finetuned-conll03-english",
    "translation_en_to_fr": "google-t5/t5-base",
    "translation_en_to_de": "google-t5/t5-base",
    "translation_en_to_ro": "google-t5/t5-base",
    "video-classification": "MCG-NJU/videomae-base-finetuned-kinetics",
    "visual-question-answering": "dandelin/vilt-b32-finetuned-vqa",
    "zero-shot-classification": "facebook/bart-large-mnli",
    "zero-shot-image-classification": "openai/clip-vit-base-patch32",
    "zero-shot-object-detection": "google/owlvit-base-patch32",
}


Default = Callable[[CallFacts], str | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class Signature:
    """One loader call: where its model id, revision and file are, and where they live."""

    pattern: str
    model_pos: int | None = 0
    model_kw: tuple[str, ...] = ("pretrained_model_name_or_path",)
    also_model_kw: tuple[str, ...] = ()  # more keywords naming a model each (tokenizer=)
    revision_kw: tuple[str, ...] = ("revision",)
    file_pos: int | None = None
    file_kw: tuple[str, ...] = ()
    extras: tuple[tuple[str, int | None], ...] = ()  # (keyword, position) passed to transform
    skip_if: tuple[tuple[str, tuple[object, ...]], ...] = ()  # (keyword, values): not a model
    hub: HubName = "huggingface"
    library: str = "transformers"
    file_library: str | None = None  # library when a file argument is given
    transform: Transform = hf_repo
    default: Default | None = None  # the model the library loads when none is named


def _pipeline_default(facts: CallFacts) -> str | None:
    task = facts.extras.get("task")
    return PIPELINE_TASK_DEFAULTS.get(task) if isinstance(task, str) else None


def _const(model: str) -> Default:
    return lambda _facts: model


_HF_FILE_SKIP = (("repo_type", ("dataset", "space")),)


def _torch_url(pattern: str) -> Signature:
    return Signature(
        pattern=pattern,
        model_kw=("url",),
        revision_kw=(),
        hub="url",
        library="url",
        transform=url_file,
    )


def _ultralytics(pattern: str) -> Signature:
    return Signature(
        pattern=pattern,
        model_kw=("model",),
        revision_kw=(),
        hub="url",
        library="ultralytics",
        transform=ultralytics_asset,
    )


SIGNATURES: tuple[Signature, ...] = (
    # transformers
    Signature(
        pattern="transformers.**.pipeline",
        model_pos=1,
        model_kw=("model",),
        also_model_kw=("tokenizer", "feature_extractor", "image_processor", "processor"),
        extras=(("task", 0),),
        default=_pipeline_default,
    ),
    Signature(
        pattern="transformers.**.from_pretrained", file_kw=("gguf_file",), file_library="gguf"
    ),
    # diffusers
    Signature(
        pattern="diffusers.**.from_single_file",
        model_kw=("pretrained_model_link_or_path", "pretrained_model_link_or_path_or_dict"),
        library="file",
        transform=diffusers_single_file,
    ),
    Signature(
        pattern="diffusers.**.load_lora_weights",
        model_kw=("pretrained_model_name_or_path_or_dict",),
        file_kw=("weight_name",),
        library="diffusers",
        file_library="file",
    ),
    Signature(
        pattern="diffusers.**.load_textual_inversion",
        model_kw=("pretrained_model_name_or_path",),
        file_kw=("weight_name",),
        library="snapshot",
        file_library="file",
    ),
    Signature(pattern="diffusers.**.from_pretrained", library="diffusers"),
    # peft: PeftModel.from_pretrained(base_model, adapter_id)
    Signature(
        pattern="peft.**.PeftModel*.from_pretrained",
        model_pos=1,
        model_kw=("model_id",),
        library="peft",
    ),
    Signature(pattern="peft.**.load_adapter", model_pos=0, model_kw=("model_id",), library="peft"),
    Signature(pattern="peft.**.from_pretrained", library="peft"),
    # sentence-transformers
    Signature(
        pattern="sentence_transformers.**.SentenceTransformer",
        model_kw=("model_name_or_path",),
        library="sentence-transformers",
    ),
    Signature(
        pattern="sentence_transformers.**.CrossEncoder",
        model_kw=("model_name_or_path", "model_name"),
        library="sentence-transformers",
    ),
    Signature(
        pattern="sentence_transformers.**.SparseEncoder",
        model_kw=("model_name_or_path",),
        library="sentence-transformers",
    ),
    Signature(
        pattern="sentence_transformers.models.Transformer",
        model_kw=("model_name_or_path",),
        library="transformers",
    ),
    Signature(pattern="setfit.**.from_pretrained", library="sentence-transformers"),
    # huggingface_hub (module functions and HfApi methods)
    Signature(
        pattern="huggingface_hub.**.hf_hub_download",
        model_kw=("repo_id",),
        file_pos=1,
        file_kw=("filename",),
        extras=(("subfolder", None), ("repo_type", None)),
        skip_if=_HF_FILE_SKIP,
        library="file",
        file_library="file",
    ),
    Signature(
        pattern="huggingface_hub.**.snapshot_download",
        model_kw=("repo_id",),
        extras=(("repo_type", None),),
        skip_if=_HF_FILE_SKIP,
        library="snapshot",
    ),
    Signature(
        pattern="huggingface_sb3.load_from_hub",
        model_kw=("repo_id",),
        file_pos=1,
        file_kw=("filename",),
        library="file",
        file_library="file",
    ),
    # timm and open_clip
    Signature(
        pattern="timm.**.create_model",
        model_kw=("model_name",),
        extras=(("pretrained", 1),),
        library="timm",
        transform=timm_model,
    ),
    Signature(
        pattern="open_clip.**.create_model*",
        model_kw=("model_name",),
        extras=(("pretrained", 1),),
        library="open_clip",
        transform=open_clip_model,
    ),
    Signature(
        pattern="open_clip.**.get_tokenizer",
        model_kw=("model_name",),
        library="open_clip",
        transform=open_clip_model,
    ),
    # torch.hub and torch download helpers
    Signature(
        pattern="torch.hub.load",
        model_kw=("repo_or_dir", "github"),
        revision_kw=(),
        extras=(("source", None), ("model", 1)),
        skip_if=(("source", ("local",)),),
        hub="pytorch_hub",
        library="torch_hub",
        transform=torch_hub_repo,
    ),
    _torch_url("torch.hub.load_state_dict_from_url"),
    _torch_url("torch.hub.download_url_to_file"),
    _torch_url("torch.utils.model_zoo.load_url"),
    # torchvision
    Signature(
        pattern="torchvision.models.**.get_model",
        model_kw=("name",),
        extras=(("weights", None),),
        hub="url",
        library="torchvision",
        transform=torchvision_get_model,
    ),
    Signature(
        pattern="torchvision.models.**",
        model_pos=None,
        model_kw=("weights", "pretrained"),
        revision_kw=(),
        hub="url",
        library="torchvision",
        transform=torchvision_arch,
    ),
    # whisper, CLIP, spaCy
    Signature(
        pattern="whisper.load_model",
        model_kw=("name",),
        revision_kw=(),
        hub="url",
        library="whisper",
        transform=whisper_name,
    ),
    Signature(
        pattern="faster_whisper.**.WhisperModel",
        model_kw=("model_size_or_path",),
        library="snapshot",
        transform=faster_whisper,
    ),
    Signature(
        pattern="clip.load",
        model_kw=("name",),
        revision_kw=(),
        hub="url",
        library="clip",
        transform=clip_name,
    ),
    Signature(
        pattern="spacy.load",
        model_kw=("name",),
        revision_kw=(),
        library="spacy",
        transform=spacy_pipeline,
    ),
    # langchain wrappers around Hugging Face models
    Signature(
        pattern="langchain*.**.HuggingFaceEmbeddings",
        model_pos=None,
        model_kw=("model_name", "model"),
        library="sentence-transformers",
        default=_const("sentence-transformers/all-mpnet-base-v2"),
    ),
    Signature(
        pattern="langchain*.**.HuggingFaceBgeEmbeddings",
        model_pos=None,
        model_kw=("model_name",),
        library="sentence-transformers",
        default=_const("BAAI/bge-large-en"),
    ),
    Signature(
        pattern="langchain*.**.HuggingFaceInstructEmbeddings",
        model_pos=None,
        model_kw=("model_name",),
        library="sentence-transformers",
        default=_const("hkunlp/instructor-large"),
    ),
    Signature(
        pattern="langchain*.**.HuggingFacePipeline.from_model_id",
        model_pos=None,
        model_kw=("model_id",),
    ),
    Signature(
        pattern="langchain*.**.HuggingFaceEndpoint", model_pos=None, model_kw=("repo_id", "model")
    ),
    Signature(
        pattern="langchain*.**.HuggingFaceEndpointEmbeddings",
        model_pos=None,
        model_kw=("model", "repo_id"),
        library="sentence-transformers",
    ),
    # inference engines
    Signature(pattern="vllm.**.LLM", model_kw=("model",), also_model_kw=("tokenizer",)),
    Signature(
        pattern="vllm.**.*EngineArgs",
        model_pos=None,
        model_kw=("model",),
        also_model_kw=("tokenizer",),
    ),
    Signature(
        pattern="llama_cpp.**.Llama.from_pretrained",
        model_kw=("repo_id",),
        file_pos=1,
        file_kw=("filename",),
        revision_kw=(),
        library="gguf",
        file_library="gguf",
    ),
    Signature(pattern="mlx_lm.load", model_kw=("path_or_hf_repo",), library="snapshot"),
    Signature(pattern="unsloth.**.from_pretrained", model_kw=("model_name",)),
    Signature(
        pattern="gliner.**.from_pretrained",
        model_kw=("pretrained_model_name_or_path", "model_id"),
        library="snapshot",
    ),
    # ultralytics assets (yolov8n.pt, ...), downloaded from the ultralytics releases
    _ultralytics("ultralytics.**.YOLO*"),
    _ultralytics("ultralytics.**.RTDETR"),
    _ultralytics("ultralytics.**.*SAM"),
    _ultralytics("ultralytics.**.NAS"),
    # optimum
    Signature(
        pattern="optimum.onnxruntime.**.from_pretrained",
        model_kw=("model_id", "pretrained_model_name_or_path"),
        library="onnx",
    ),
    Signature(
        pattern="optimum.**.from_pretrained", model_kw=("model_id", "pretrained_model_name_or_path")
    ),
)

# Top-level packages whose names in a file's text make the AST walk worthwhile.
ROOT_MODULES: frozenset[str] = frozenset(s.pattern.split(".", 1)[0].rstrip("*") for s in SIGNATURES)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    segments = pattern.split(".")
    regex = ""
    for index, segment in enumerate(segments):
        if segment == "**":
            regex += r"(?:\.[^.]+)+" if index == len(segments) - 1 else r"(?:\.[^.]+)*"
            continue
        glob = re.escape(segment).replace(r"\*", r"[^.()]*")
        regex += glob if index == 0 else r"\." + glob
    return re.compile(regex + r"\Z")


def match_signature(qualname: str) -> Signature | None:
    """The first row whose pattern matches ``qualname``, or None."""
    return next((s for s in SIGNATURES if _compiled(s.pattern).match(qualname)), None)
