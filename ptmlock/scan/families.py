"""Which architecture family and modality a model id belongs to, guessed from the id alone.

The scan labels every reference with it (lockfile and ML-BOM readers group by family), so it must
be cheap and offline: a table of regular expressions over the lower-cased id, first match wins.
More specific rows come first (DistilBERT before BERT, Mixtral before Mistral, SDXL before
Stable Diffusion). ``family_of`` returns ``(None, None)`` for ids it does not know.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["FAMILIES", "LEGACY_CANONICAL", "family_of", "is_legacy_canonical"]

# (regex over the lower-cased model id, family, modality)
_ROWS: tuple[tuple[str, str, str], ...] = (
    # -- multimodal and generative vision before their text backbones -------------------------
    (r"controlnet|control_v1|t2i-adapter", "ControlNet", "multimodal"),
    (r"sdxl|stable-diffusion-xl|sd_xl", "SDXL", "multimodal"),
    (
        r"stable-diffusion|stable_diffusion|\bsd-?v?[1-3]|sd-turbo|stable-cascade",
        "Stable Diffusion",
        "multimodal",
    ),
    (r"flux\.?1|black-forest-labs/flux", "FLUX", "multimodal"),
    (r"llava", "LLaVA", "multimodal"),
    (r"blip", "BLIP", "multimodal"),
    (r"clip|siglip", "CLIP", "multimodal"),
    (r"idefics|paligemma|qwen[\d.]*-?vl|pixtral|florence-2", "VLM", "multimodal"),
    # -- audio --------------------------------------------------------------------------------
    (r"whisper", "Whisper", "audio"),
    (r"wav2vec2|wav2vec", "Wav2Vec2", "audio"),
    (r"hubert", "HuBERT", "audio"),
    (r"wavlm", "WavLM", "audio"),
    (r"speecht5|bark|musicgen|encodec|seamless", "Speech", "audio"),
    # -- sentence embeddings (before the BERT-likes they are built on) ---------------------------
    (r"minilm", "MiniLM", "text"),
    (r"mpnet", "MPNet", "text"),
    (r"(^|/)bge-|/bge_", "BGE", "text"),
    (r"(^|/)(multilingual-)?e5-", "E5", "text"),
    (r"(^|/)gte-", "GTE", "text"),
    (r"nomic-embed|jina-embeddings|instructor-", "Embeddings", "text"),
    # -- encoder-only text -----------------------------------------------------------------------
    (r"distilbert", "DistilBERT", "text"),
    (r"xlm-roberta|xlm_roberta", "XLM-RoBERTa", "text"),
    (r"roberta", "RoBERTa", "text"),
    (r"deberta", "DeBERTa", "text"),
    (r"albert", "ALBERT", "text"),
    (r"electra", "ELECTRA", "text"),
    (r"modernbert", "ModernBERT", "text"),
    (r"bert", "BERT", "text"),
    # -- encoder-decoder text ---------------------------------------------------------------------
    (r"flan-t5|(^|/|-)m?t5|byt5|t5-|t5_|/t5", "T5", "text"),
    (r"pegasus", "Pegasus", "text"),
    (r"bart", "BART", "text"),
    (r"marian|opus-mt", "Marian", "text"),
    # -- decoder-only text ------------------------------------------------------------------------
    (r"distilgpt2|gpt2|gpt-2|openai-gpt|dialogpt", "GPT-2", "text"),
    (r"gpt-j|gptj", "GPT-J", "text"),
    (r"gpt-neox|pythia|gpt-neo", "GPT-NeoX", "text"),
    (r"gpt-oss", "GPT-OSS", "text"),
    (r"(^|/)opt-", "OPT", "text"),
    (r"bloom", "BLOOM", "text"),
    (r"mixtral", "Mixtral", "text"),
    (r"mistral|ministral|codestral", "Mistral", "text"),
    (r"llama|vicuna|alpaca|tinyllama", "LLaMA", "text"),
    (r"qwen|qwq", "Qwen", "text"),
    (r"gemma", "Gemma", "text"),
    (r"(^|/)phi-?\d", "Phi", "text"),
    (r"falcon", "Falcon", "text"),
    (r"(^|/)mpt-", "MPT", "text"),
    (r"deepseek", "DeepSeek", "text"),
    (r"starcoder|santacoder", "StarCoder", "text"),
    (r"smollm", "SmolLM", "text"),
    # -- vision -----------------------------------------------------------------------------------
    (r"yolo", "YOLO", "vision"),
    (r"detr", "DETR", "vision"),
    (r"(^|/)sam-|segment-anything|sam2|sam_vit", "SAM", "vision"),
    (r"deit", "DeiT", "vision"),
    (r"beit", "BEiT", "vision"),
    (r"swin", "Swin", "vision"),
    (r"convnext", "ConvNeXt", "vision"),
    (r"dinov2|dino-", "DINO", "vision"),
    (r"(^|/)vit[-_]|/vit$", "ViT", "vision"),
    (r"resnet|resnext", "ResNet", "vision"),
    (r"efficientnet", "EfficientNet", "vision"),
    (r"mobilenet", "MobileNet", "vision"),
    (r"segformer|mask2former|maskformer|upernet", "Segmentation", "vision"),
)

FAMILIES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern), family, modality) for pattern, family, modality in _ROWS
)

# The Hub's legacy canonical models live without a namespace ("gpt2", "bert-base-uncased").
# A bare name in a config or README is only a model id when it is one of these.
LEGACY_CANONICAL = re.compile(
    r"(gpt2|distilgpt2|openai-gpt)(-medium|-large|-xl)?"
    r"|(bert|distilbert|roberta|distilroberta|xlm-roberta|albert|xlnet|xlm|camembert|flaubert"
    r"|t5|gpt2|transfo-xl|bart|longformer)"
    r"-(base|large|small|medium|xl|xxl|3b|11b|mlm|clm|wt103|v1|v2|tiny)[\w.-]*"
)


def family_of(model_id: str | None) -> tuple[str | None, str | None]:
    """The ``(family, modality)`` of ``model_id``, or ``(None, None)`` when unknown."""
    if not model_id:
        return (None, None)
    return _lookup(model_id.lower())


@lru_cache(maxsize=4096)
def _lookup(lowered: str) -> tuple[str | None, str | None]:
    for pattern, family, modality in FAMILIES:
        if pattern.search(lowered):
            return (family, modality)
    return (None, None)


def is_legacy_canonical(name: str) -> bool:
    """Whether a namespace-less ``name`` is one of the Hub's legacy canonical model ids."""
    return LEGACY_CANONICAL.fullmatch(name.lower()) is not None
