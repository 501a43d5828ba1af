"""Benchmarks every candidate encoder on the support FAQ and prints a leaderboard."""

import time
from collections import OrderedDict

from sentence_transformers import SentenceTransformer
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

CANDIDATES = [
    "sentence-transformers/all-MiniLM-L6-v2",
    "sentence-transformers/all-mpnet-base-v2",
    "BAAI/bge-small-en-v1.5",
]
EXTRA = ("thenlper/gte-base",)

CLASSIFIERS = OrderedDict(
    sentiment="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    toxicity="unitary/toxic-bert",
)

SIZES = {
    "small": {"id": "google/flan-t5-small", "max_len": 512},
    "base": {"id": "google/flan-t5-base", "max_len": 512},
}

TRANSLATORS = [
    ("de", "Helsinki-NLP/opus-mt-en-de"),
    ("fr", "Helsinki-NLP/opus-mt-en-fr"),
]


def bench_encoders(sentences):
    results = {}
    for name in [*CANDIDATES, *EXTRA]:
        start = time.perf_counter()
        SentenceTransformer(name).encode(sentences)
        results[name] = time.perf_counter() - start
    return results


def bench_classifiers(texts):
    scores = {}
    for task, checkpoint in CLASSIFIERS.items():
        tok = AutoTokenizer.from_pretrained(checkpoint)
        model = AutoModelForSequenceClassification.from_pretrained(checkpoint)
        scores[task] = model(**tok(texts, return_tensors="pt", padding=True)).logits
    return scores


def generator(size: str = "small"):
    spec = SIZES[size]
    return pipeline("text2text-generation", model=spec["id"], max_length=spec["max_len"])


translators = {lang: pipeline("translation", model=repo) for lang, repo in TRANSLATORS}
encoders = [SentenceTransformer(m) for m in sorted(CANDIDATES)]
for i, (lang, repo) in enumerate(TRANSLATORS):
    print(i, lang, AutoTokenizer.from_pretrained(repo).vocab_size)
