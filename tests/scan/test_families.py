"""The family table labels real ids, specific rows before the general ones."""

from __future__ import annotations

import pytest

from ptmlock.scan.families import family_of, is_legacy_canonical


@pytest.mark.parametrize(
    ("model_id", "family", "modality"),
    [
        ("google-bert/bert-base-uncased", "BERT", "text"),
        ("bert-base-uncased", "BERT", "text"),
        ("distilbert/distilbert-base-uncased", "DistilBERT", "text"),
        ("FacebookAI/roberta-base", "RoBERTa", "text"),
        ("FacebookAI/xlm-roberta-large", "XLM-RoBERTa", "text"),
        ("albert/albert-base-v2", "ALBERT", "text"),
        ("microsoft/deberta-v3-base", "DeBERTa", "text"),
        ("google/electra-small-discriminator", "ELECTRA", "text"),
        ("openai-community/gpt2", "GPT-2", "text"),
        ("EleutherAI/gpt-j-6b", "GPT-J", "text"),
        ("EleutherAI/gpt-neox-20b", "GPT-NeoX", "text"),
        ("facebook/opt-1.3b", "OPT", "text"),
        ("bigscience/bloom-560m", "BLOOM", "text"),
        ("google/flan-t5-base", "T5", "text"),
        ("t5-small", "T5", "text"),
        ("facebook/bart-large-cnn", "BART", "text"),
        ("google/pegasus-xsum", "Pegasus", "text"),
        ("google/vit-base-patch16-224", "ViT", "vision"),
        ("facebook/deit-base-patch16-224", "DeiT", "vision"),
        ("microsoft/beit-base-patch16-224", "BEiT", "vision"),
        ("microsoft/swin-tiny-patch4-window7-224", "Swin", "vision"),
        ("facebook/convnext-tiny-224", "ConvNeXt", "vision"),
        ("microsoft/resnet-50", "ResNet", "vision"),
        ("google/efficientnet-b0", "EfficientNet", "vision"),
        ("Ultralytics/YOLOv8", "YOLO", "vision"),
        ("facebook/detr-resnet-50", "DETR", "vision"),
        ("facebook/sam-vit-base", "SAM", "vision"),
        ("openai/clip-vit-base-patch32", "CLIP", "multimodal"),
        ("Salesforce/blip-image-captioning-base", "BLIP", "multimodal"),
        ("llava-hf/llava-1.5-7b-hf", "LLaVA", "multimodal"),
        ("runwayml/stable-diffusion-v1-5", "Stable Diffusion", "multimodal"),
        ("stabilityai/stable-diffusion-xl-base-1.0", "SDXL", "multimodal"),
        ("lllyasviel/sd-controlnet-canny", "ControlNet", "multimodal"),
        ("openai/whisper-large-v3", "Whisper", "audio"),
        ("facebook/wav2vec2-base-960h", "Wav2Vec2", "audio"),
        ("facebook/hubert-large-ls960-ft", "HuBERT", "audio"),
        ("meta-llama/Llama-2-7b-hf", "LLaMA", "text"),
        ("mistralai/Mistral-7B-v0.1", "Mistral", "text"),
        ("mistralai/Mixtral-8x7B-v0.1", "Mixtral", "text"),
        ("Qwen/Qwen2.5-7B-Instruct", "Qwen", "text"),
        ("google/gemma-2b", "Gemma", "text"),
        ("microsoft/phi-2", "Phi", "text"),
        ("tiiuae/falcon-7b", "Falcon", "text"),
        ("mosaicml/mpt-7b", "MPT", "text"),
        ("sentence-transformers/all-MiniLM-L6-v2", "MiniLM", "text"),
        ("sentence-transformers/all-mpnet-base-v2", "MPNet", "text"),
        ("BAAI/bge-small-en-v1.5", "BGE", "text"),
        ("intfloat/e5-large-v2", "E5", "text"),
        ("thenlper/gte-base", "GTE", "text"),
    ],
)
def test_family_of_known_ids(model_id: str, family: str, modality: str) -> None:
    assert family_of(model_id) == (family, modality)


@pytest.mark.parametrize("model_id", ["acme/internal-ranker", "", None, "org/thing"])
def test_family_of_unknown_is_none(model_id: str | None) -> None:
    assert family_of(model_id) == (None, None)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("gpt2", True),
        ("gpt2-medium", True),
        ("bert-base-uncased", True),
        ("distilbert-base-uncased-finetuned-sst-2-english", True),
        ("t5-small", True),
        ("roberta-large", True),
        ("gpt-4o", False),
        ("mistral", False),
        ("bert", False),
        ("resnet50", False),
        ("llama3", False),
    ],
)
def test_is_legacy_canonical(name: str, canonical: bool) -> None:
    assert is_legacy_canonical(name) is canonical
