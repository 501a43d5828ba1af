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
  ``open_clip/<arch>:<tag>``, ultralytics assets ``ultralytics/<file>``, facexlib checkpoints
  ``facexlib/<name>``: hub ``url``; the url hub
  maps them to the download the library itself performs.
- spaCy pipelines ``spacy/<package>`` on the Hugging Face Hub, where spaCy publishes them.
- torch.hub ``owner/repo[:ref]`` -> model ``owner/repo``, revision ``ref``, hub ``pytorch_hub``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from ptmlock.models import ScanHub
from ptmlock.scan.transforms import (
    CallFacts,
    Transform,
    clip_name,
    diffusers_single_file,
    facexlib_default,
    facexlib_model,
    faster_whisper,
    hf_repo,
    lpips_net,
    ollama_request,
    ollama_tag,
    open_clip_model,
    path_or_url,
    scoped,
    shell_command,
    spacy_pipeline,
    timm_model,
    timm_pretrained_cfg,
    torch_hub_repo,
    torchvision_arch,
    torchvision_get_model,
    ultralytics_asset,
    url_file,
    whisper_name,
)

__all__ = [
    "GENERIC_NAMES",
    "GENERIC_ROOTS",
    "LOADER_NAME",
    "LOADER_NAMES",
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
    # the extra naming the folder a download saves into, relative to where the program runs
    folder: str | None = None
    # what the loader downloads itself, whatever it is given: (model id, folder it saves into)
    implies: tuple[tuple[str, str | None], ...] = ()
    hub: ScanHub = "huggingface"
    library: str = "transformers"
    file_library: str | None = None  # library when a file argument is given
    transform: Transform = hf_repo
    default: Default | None = None  # the model the library loads when none is named
    model_key: str | None = None  # the model is this entry of the dict the argument receives


def _pipeline_default(facts: CallFacts) -> str | None:
    task = facts.extras.get("task")
    return PIPELINE_TASK_DEFAULTS.get(task) if isinstance(task, str) else None


def _bundle(facts: CallFacts) -> str | None:
    """``torchaudio.pipelines.WAV2VEC2_ASR_BASE_960H.get_model()``: the bundle's name."""
    return facts.qualname.split(".")[-2]


def _const(model: str) -> Default:
    return lambda _facts: model


def _fixed_url(pattern: str, url: str) -> Signature:
    """A call that takes no model argument and downloads the one checkpoint its library fixes."""
    return Signature(
        pattern=pattern,
        model_pos=None,
        model_kw=(),
        revision_kw=(),
        hub="url",
        library="url",
        transform=url_file,
        default=_const(url),
    )


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


def _download(
    pattern: str,
    keyword: str = "url",
    position: int | None = 0,
    folder: tuple[str, int | None] | None = None,
) -> Signature:
    """A generic download call: what it fetches is a model when it is a model file's URL;
    ``folder`` the (keyword, position) of the folder it saves into, when the call names one."""
    return Signature(
        pattern=pattern,
        model_pos=position,
        model_kw=(keyword,),
        revision_kw=(),
        extras=(folder,) if folder else (),
        folder=folder[0] if folder else None,
        hub="url",
        library="url",
        transform=url_file,
    )


def _shell(pattern: str) -> Signature:
    """``os.system``/``subprocess``: a command line that downloads a model."""
    return Signature(
        pattern=pattern, model_kw=("args", "cmd", "command"), revision_kw=(), hub="url",
        library="url", transform=shell_command,
    )  # fmt: skip


def _other(call: str, ecosystem: str, *, keywords: tuple[str, ...] = ("model", "name"),
           position: int | None = 0, default: str | None = None,
           pattern: str = r"[\w.-]+") -> Signature:  # fmt: skip
    """A model of an ecosystem no hub here locks yet (inventoried, listed as not locked)."""
    transform = ollama_tag if ecosystem == "ollama" else scoped(ecosystem, pattern)
    return Signature(
        pattern=call, model_pos=position, model_kw=keywords, revision_kw=(), hub="other",
        library=ecosystem, transform=transform, default=_const(default) if default else None,
    )  # fmt: skip


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
    # a tokenizer or a config alone reads none of the weights (hubs/selection.py policies)
    Signature(
        pattern="transformers.**.*Tokenizer*.from_pretrained",
        file_kw=("gguf_file",),
        library="transformers-tokenizer",
        file_library="gguf",
    ),
    Signature(
        pattern="transformers.**.AutoConfig.from_pretrained",
        library="transformers-config",
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
        pattern="timm.**.load_custom_pretrained",
        model_pos=1,
        model_kw=("pretrained_cfg", "default_cfg"),
        library="timm",
        transform=timm_pretrained_cfg,
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
    # facexlib's task functions name their checkpoints
    Signature(
        pattern="facexlib.**.init_*_model",
        model_kw=("model_name",),
        revision_kw=(),
        extras=(("model_rootpath", 3),),
        folder="model_rootpath",  # saved there instead of facexlib's own weights folder
        hub="url",
        library="facexlib",
        transform=facexlib_model,
        default=facexlib_default,
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
    # libraries that download a checkpoint URL (basicsr, facexlib, GFPGAN, Real-ESRGAN)
    # basicsr's ``model_dir`` is a folder as given (default: torch's checkpoints); facexlib's
    # is under its package's root unless ``save_dir`` names one
    _download("basicsr.utils.**.load_file_from_url", folder=("model_dir", 1)),
    _download("facexlib.utils.**.load_file_from_url", folder=("save_dir", 4)),
    _download("realesrgan.**.load_file_from_url", folder=("model_dir", 1)),
    Signature(
        pattern="gfpgan.**.GFPGANer",
        model_kw=("model_path",),
        revision_kw=(),
        hub="url",
        library="gfpgan",  # saved in gfpgan's own weights folder (ptmlock.layout)
        transform=path_or_url,
        # its FaceRestoreHelper(det_model="retinaface_resnet50", use_parse=True,
        # model_rootpath="gfpgan/weights") fetches facexlib's detector and parser (gfpgan 1.3.8)
        implies=(
            ("facexlib/retinaface_resnet50", "gfpgan/weights"),
            ("facexlib/parsenet", "gfpgan/weights"),
        ),
    ),
    Signature(
        pattern="realesrgan.**.RealESRGANer",
        model_pos=1,
        model_kw=("model_path",),
        revision_kw=(),
        hub="url",
        library="realesrgan",  # saved in realesrgan's own weights folder (ptmlock.layout)
        transform=path_or_url,
    ),
    # speech, audio and vision toolkits on the Hub
    Signature(
        pattern="pyannote.audio.**.from_pretrained",
        model_kw=("checkpoint", "checkpoint_path"),
        library="snapshot",
    ),
    Signature(
        pattern="whisperx.**.load_model",
        model_kw=("whisper_arch",),
        library="snapshot",
        transform=faster_whisper,
    ),
    Signature(
        pattern="audiocraft.models.**.get_pretrained", model_kw=("name",), library="snapshot"
    ),
    _fixed_url(
        "encodec.**.EncodecModel.encodec_model_24khz",
        "https://dl.fbaipublicfiles.com/encodec/v0/encodec_24khz-d7cc33bc.th",
    ),
    _fixed_url(
        "encodec.**.EncodecModel.encodec_model_48khz",
        "https://dl.fbaipublicfiles.com/encodec/v0/encodec_48khz-7e698e3e.th",
    ),
    Signature(
        pattern="lpips.**.LPIPS",
        model_pos=None,
        model_kw=("net",),
        revision_kw=(),
        hub="url",
        library="torchvision",
        transform=lpips_net,
        default=_const("alex"),
    ),
    _other("demucs.**.get_model", "demucs", keywords=("name",)),
    _other("demucs.api.Separator", "demucs", default="htdemucs"),
    _other("rembg.**.new_session", "rembg", keywords=("model_name",), default="u2net"),
    _other(
        "insightface.app.**.FaceAnalysis",
        "insightface",
        keywords=("name",),
        position=None,
        default="buffalo_l",
    ),
    Signature(
        pattern="torchaudio.pipelines.*.get_model",
        model_pos=None,
        model_kw=(),
        revision_kw=(),
        hub="other",
        library="torchaudio",
        transform=scoped("torchaudio", r"[A-Z][A-Z0-9_]+"),
        default=_bundle,
    ),
    _other("TTS.api.TTS", "coqui", keywords=("model_name",), pattern=r"[\w.-]+(?:/[\w.-]+)*"),
    # Ollama: the client library, LangChain/LlamaIndex wrappers, and its REST API
    _other("ollama.**.chat", "ollama"),
    _other("ollama.**.generate", "ollama"),
    _other("ollama.**.pull", "ollama"),
    _other("ollama.**.embed*", "ollama"),
    _other("langchain*.**.ChatOllama", "ollama", position=None),
    _other("langchain*.**.OllamaEmbeddings", "ollama", position=None),
    _other("langchain*.**.OllamaLLM", "ollama", position=None),
    _other("llama_index.**.Ollama*", "ollama", position=None),
    Signature(
        pattern="requests.post",
        model_pos=None,
        model_kw=("json",),
        model_key="model",
        revision_kw=(),
        extras=(("url", 0),),
        hub="other",
        library="ollama",
        transform=ollama_request,
    ),
    Signature(
        pattern="llama_index.**.HuggingFaceEmbedding",
        model_pos=None,
        model_kw=("model_name",),
        library="sentence-transformers",
        default=_const("BAAI/bge-small-en"),
    ),
    Signature(
        pattern="ctransformers.**.from_pretrained",
        model_kw=("model_path_or_repo_id",),
        file_kw=("model_file",),
        library="snapshot",
        file_library="file",
    ),
    # generic downloads, and command lines that download
    _download("urllib.request.urlretrieve"),
    _download("wget.download"),
    _download("requests.get"),
    _download("httpx.get"),
    _download("gdown.download"),
    _download("gdown.cached_download"),
    _shell("os.system"),
    _shell("os.popen"),
    _shell("subprocess.run"),
    _shell("subprocess.call"),
    _shell("subprocess.check_call"),
    _shell("subprocess.check_output"),
    _shell("subprocess.Popen"),
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

# Generic download and command-line calls: candidates only when imported from these modules
# (``.get(...)``/``.run(...)`` on anything else is not worth resolving).
GENERIC_ROOTS: frozenset[str] = frozenset({"os", "subprocess", "requests", "urllib", "httpx",
                                           "wget", "gdown"})  # fmt: skip
_ROOTS = {s.pattern.split(".", 1)[0].rstrip("*") for s in SIGNATURES}
# Top-level packages whose import makes a module's calls worth resolving.
ROOT_MODULES: frozenset[str] = frozenset(_ROOTS - GENERIC_ROOTS)


def _last_segments(generic: bool) -> list[str]:
    globs = {
        sig.pattern.rsplit(".", 1)[-1].replace("()", "")
        for sig in SIGNATURES
        if (sig.pattern.split(".", 1)[0] in GENERIC_ROOTS) == generic
    }
    globs.discard("**")  # "torchvision.models.**": reached through an import, checked apart
    return sorted(globs)


#: The last names a loader call can have (``from_pretrained``, ``create_model*``, ...).
LOADER_NAME = re.compile("|".join(fnmatch.translate(glob) for glob in _last_segments(False)))
#: The last names of generic downloads and command lines (``urlretrieve``, ``system``, ...).
GENERIC_NAMES: frozenset[str] = frozenset(_last_segments(True))
#: The literal loader names (phase 1 keeps every call with one of these names, whatever its root).
LOADER_NAMES: frozenset[str] = frozenset(
    g for g in _last_segments(False) + _last_segments(True) if "*" not in g
)


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


@cache
def _rows_for_root(root: str) -> tuple[Signature, ...]:
    """The rows whose pattern's first segment (a name or a glob) can match ``root``, in order:
    most names a scan asks about (the project's own modules) have none."""
    return tuple(s for s in SIGNATURES if fnmatch.fnmatchcase(root, s.pattern.split(".", 1)[0]))


def match_signature(qualname: str) -> Signature | None:
    """The first row whose pattern matches ``qualname``, or None."""
    rows = _rows_for_root(qualname.split(".", 1)[0])
    return next((s for s in rows if _compiled(s.pattern).match(qualname)), None)
