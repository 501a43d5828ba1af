"""Inference API: which model to serve is decided by deployment config at run time."""

import os
import sys

import yaml
from fastapi import FastAPI
from pydantic import BaseModel
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer, pipeline

with open(os.environ.get("CONFIG", "config.yaml")) as fh:
    CONFIG = yaml.safe_load(fh)

app = FastAPI()
_cache: dict[str, object] = {}


class LoadRequest(BaseModel):
    model_id: str
    revision: str | None = None


@app.post("/load")
def load(req: LoadRequest):
    model = AutoModelForCausalLM.from_pretrained(req.model_id, revision=req.revision)
    _cache[req.model_id] = model
    return {"loaded": req.model_id}


def from_config():
    tok = AutoTokenizer.from_pretrained(CONFIG["model"]["tokenizer"])
    return tok, AutoModel.from_pretrained(CONFIG["model"]["name"])


def from_env():
    return SentenceTransformer(os.environ["EMBEDDING_MODEL"])


def from_kwargs(**kwargs):
    return AutoModel.from_pretrained(**kwargs)


def from_argv():
    return pipeline("text-classification", model=sys.argv[1])


def registry_lookup(name: str):
    return AutoModel.from_pretrained(name)
