"""Draft replies with a small local LLM and summarise long threads."""

from huggingface_hub import hf_hub_download
from transformers import AutoModelForSeq2SeqLM


def local_llm_path() -> str:
    return hf_hub_download(repo_id="ptmlock-demo/tiny-llm-gguf", filename="tiny-llm.Q4_K_M.gguf")


def load_summarizer(model_name: str = "ptmlock-demo/tiny-t5"):
    return AutoModelForSeq2SeqLM.from_pretrained(model_name)
