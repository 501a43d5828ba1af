"""Background worker: everything is configurable from the environment (12-factor)."""

import os
from os import environ

from huggingface_hub import hf_hub_download
from sentence_transformers import SentenceTransformer
from transformers import AutoModelForCausalLM, AutoModelForTokenClassification, AutoTokenizer

ORG = "Qwen"
FAMILY = "Qwen2.5"
SIZE = os.environ.get("QWEN_SIZE", "1.5B")
LLM = f"{ORG}/{FAMILY}-{SIZE}-Instruct"
QUANT_REPO = "{}/{}-{}-Instruct-GGUF".format(ORG, FAMILY, "7B")
NER_MODEL = "dslim/" + "bert-large-NER"
POS_MODEL = "vblagoje/%s" % "bert-english-uncased-finetuned-pos"
EMBEDDINGS = os.getenv("EMBEDDINGS_MODEL", default="nomic-ai/nomic-embed-text-v1.5")
CACHE_DIR = os.getenv("HF_HOME", "/var/cache/huggingface")
LLM_REVISION = environ.get("LLM_REVISION", "main")
VERSION = "v2"


def load_llm():
    tok = AutoTokenizer.from_pretrained(LLM, revision=LLM_REVISION, cache_dir=CACHE_DIR)
    model = AutoModelForCausalLM.from_pretrained(LLM, revision=LLM_REVISION, cache_dir=CACHE_DIR)
    return tok, model


def load_quantized(bits: int = 4):
    filename = f"qwen2.5-7b-instruct-q{bits}_k_m.gguf"
    return hf_hub_download(QUANT_REPO, filename)


ner = AutoModelForTokenClassification.from_pretrained(NER_MODEL)
pos = AutoModelForTokenClassification.from_pretrained(POS_MODEL)
embedder = SentenceTransformer(EMBEDDINGS, trust_remote_code=True)
guard = AutoModelForCausalLM.from_pretrained(os.environ.get("GUARD_MODEL") or "meta-llama/Llama-Guard-3-1B")
style = SentenceTransformer(f"sentence-transformers/all-MiniLM-L6-{VERSION}")
legacy = SentenceTransformer("sentence-transformers/{name}".format(name="paraphrase-MiniLM-L3-v2"))
