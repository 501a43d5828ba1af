"""Fine-tunes the classifier and reloads it from disk for evaluation.

See https://huggingface.co/docs/transformers/training and
https://huggingface.co/google-bert/bert-base-uncased for the base model card.
"""

import json
import logging
import mimetypes
import os
from pathlib import Path

import requests
import torch
from datasets import load_dataset
from huggingface_hub import hf_hub_download, snapshot_download
from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer

log = logging.getLogger(__name__)

OUTPUT_DIR = "outputs/run-1"
BEST_DIR = os.path.join(OUTPUT_DIR, "best")
FINETUNED = "checkpoints/distilbert-finetuned"
EXPORT_DIR = Path("models") / "exported"
CONTENT_TYPES = ["application/json", "text/plain", "image/png", "audio/wav"]
UPSTREAM = "huggingface/transformers"  # where we report bugs
DATASET = "stanfordnlp/imdb"
TEAM = "acme-ml/platform"
DOCS = "https://huggingface.co/docs/hub/models-uploading"


def reload(output_dir: str = OUTPUT_DIR):
    tok = AutoTokenizer.from_pretrained(output_dir)
    model = AutoModelForSequenceClassification.from_pretrained(BEST_DIR)
    return tok, model


def evaluate():
    model = AutoModelForSequenceClassification.from_pretrained(FINETUNED)
    exported = AutoModelForSequenceClassification.from_pretrained(EXPORT_DIR)
    home = AutoTokenizer.from_pretrained(os.path.expanduser("~/models/tokenizer"))
    abs_model = AutoModelForSequenceClassification.from_pretrained("/opt/models/classifier")
    ckpt = torch.load("checkpoints/last.pt", map_location="cpu")
    data = load_dataset(DATASET, split="test")
    labels = hf_hub_download(DATASET, "plain_text/label.json", repo_type="dataset")
    space = snapshot_download("gradio/hello_world", repo_type="space")
    log.info("evaluated %s on %s (%s)", TEAM, DATASET, mimetypes.guess_type("x.json")[0])
    return model, exported, home, abs_model, ckpt, data, labels, space


def report(issue: str):
    requests.post(f"https://api.github.com/repos/{UPSTREAM}/issues", json={"title": issue},
                  headers={"Content-Type": CONTENT_TYPES[0]})
    print(json.dumps({"docs": DOCS}))


def save(model, tokenizer):
    model.save_pretrained(OUTPUT_DIR)
    tokenizer.save_pretrained(OUTPUT_DIR)
    Trainer(model=model).save_model(BEST_DIR)
