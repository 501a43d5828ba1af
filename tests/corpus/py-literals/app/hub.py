"""Fetches the few single files the service needs at start-up."""

import json
from pathlib import Path

from huggingface_hub import HfApi, hf_hub_download, snapshot_download
import huggingface_hub as hfh


def label_map() -> dict[str, str]:
    path = hf_hub_download(repo_id="huggingface/label-files", filename="imagenet-1k-id2label.json",
                           repo_type="dataset")
    return json.loads(Path(path).read_text())


def gguf_weights() -> str:
    return hf_hub_download("TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
                           "mistral-7b-instruct-v0.2.Q4_K_M.gguf")


def tokenizer_config() -> str:
    return hfh.hf_hub_download("meta-llama/Llama-3.2-1B", "tokenizer_config.json",
                               subfolder="original", revision="4e20de362430cd3b72f300e6b0f18e50e7166e08")


def mirror_all(target: Path) -> None:
    snapshot_download("Systran/faster-whisper-small", local_dir=target / "whisper")
    api = HfApi()
    api.snapshot_download(repo_id="openai/clip-vit-base-patch32", allow_patterns=["*.json", "*.safetensors"])
