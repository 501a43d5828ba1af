"""Classify incoming tickets and find related answers."""

from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer, pipeline

from supportbot.settings import EMBEDDING_MODEL, MAX_TICKET_TOKENS

ENCODER = "ptmlock-demo/tiny-bert"


def load_sentiment():
    # pinned to a release tag: the classifier's thresholds were tuned on this version
    return pipeline("text-classification", model="ptmlock-demo/tiny-sentiment", revision="v1.0")


def load_encoder():
    tokenizer = AutoTokenizer.from_pretrained(ENCODER, model_max_length=MAX_TICKET_TOKENS)
    model = AutoModel.from_pretrained(ENCODER)
    return tokenizer, model


def load_embedder():
    return SentenceTransformer(EMBEDDING_MODEL)
