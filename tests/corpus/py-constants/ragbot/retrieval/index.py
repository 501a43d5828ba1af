from __future__ import annotations

import faiss
import numpy as np
from sentence_transformers import SentenceTransformer

from . import EMBEDDING_MODEL, EMBEDDING_REVISION
from .. import settings

_encoder: SentenceTransformer | None = None


def encoder() -> SentenceTransformer:
    global _encoder
    if _encoder is None:
        _encoder = SentenceTransformer(EMBEDDING_MODEL, revision=EMBEDDING_REVISION)
    return _encoder


def build_index(chunks: list[str]) -> faiss.IndexFlatIP:
    vectors = encoder().encode(chunks, batch_size=settings.CHUNK_SIZE // 8, normalize_embeddings=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.asarray(vectors, dtype="float32"))
    return index
