"""Semantic search over captions."""

from sentence_transformers import SentenceTransformer

EMBEDDER = "tiny/embedder"


def load_embedder():
    return tuple(SentenceTransformer(EMBEDDER, device="cpu").encode(["hello world"]).shape)
