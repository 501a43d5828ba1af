import numpy as np
from langchain_huggingface import HuggingFaceEmbeddings
from sentence_transformers import CrossEncoder, SentenceTransformer
from sentence_transformers import util as st_util

encoder = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2", device="cpu")
reranker = CrossEncoder("cross-encoder/ms-marco-MiniLM-L-6-v2", max_length=512)
lc_embeddings = HuggingFaceEmbeddings(model_name="BAAI/bge-small-en-v1.5")
default_embeddings = HuggingFaceEmbeddings()


def search(query: str, corpus: list[str], k: int = 5) -> list[str]:
    q = encoder.encode(query, convert_to_tensor=True)
    docs = encoder.encode(corpus, convert_to_tensor=True)
    hits = st_util.semantic_search(q, docs, top_k=k)[0]
    pairs = [(query, corpus[h["corpus_id"]]) for h in hits]
    scores = reranker.predict(pairs)
    return [p[1] for p in sorted(zip(scores, pairs), key=lambda s: -s[0])]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
