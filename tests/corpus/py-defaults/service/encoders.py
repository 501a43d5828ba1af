"""Encoders behind a tiny class hierarchy, one per product surface."""

from sentence_transformers import CrossEncoder, SentenceTransformer
from transformers import AutoModel, AutoTokenizer


class BaseEncoder:
    model_id = "sentence-transformers/all-mpnet-base-v2"
    normalize = True

    def __init__(self) -> None:
        self.model = SentenceTransformer(self.model_id)

    def encode(self, texts):
        return self.model.encode(texts, normalize_embeddings=self.normalize)


class MultilingualEncoder(BaseEncoder):
    model_id = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"


class Reranker:
    def __init__(self, model_name: str = "BAAI/bge-reranker-v2-m3", max_length: int = 512) -> None:
        self._model = CrossEncoder(model_name, max_length=max_length)


class CodeEncoder:
    def __init__(self, checkpoint="microsoft/codebert-base"):
        self.checkpoint = checkpoint
        self._tok = None

    @property
    def tokenizer(self):
        if self._tok is None:
            self._tok = AutoTokenizer.from_pretrained(self.checkpoint)
        return self._tok

    @classmethod
    def unixcoder(cls):
        return cls("microsoft/unixcoder-base")

    def model(self):
        return AutoModel.from_pretrained(self.checkpoint)


def load_backbone(name, revision="v1.0"):
    return AutoModel.from_pretrained(name, revision=revision)


backbone = load_backbone("facebook/dinov2-small")
large_backbone = load_backbone(name="facebook/dinov2-large", revision="main")
