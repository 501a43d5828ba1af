from sentence_transformers import CrossEncoder
from transformers import AutoModel

RERANKERS = {
    "fast": "cross-encoder/ms-marco-TinyBERT-L-2-v2",
    "accurate": "cross-encoder/ms-marco-MiniLM-L-12-v2",
}
VISION = ["facebook/dinov2-small", "google/siglip-base-patch16-224"]


class Router:
    backbones = ("microsoft/resnet-50", "facebook/convnext-tiny-224")

    def __init__(self, mode: str, backbone_index: int = 0) -> None:
        self.reranker = CrossEncoder(RERANKERS.get(mode, "cross-encoder/stsb-TinyBERT-L-4"))
        self.backbone = AutoModel.from_pretrained(self.backbones[backbone_index])
        self.first_vision = AutoModel.from_pretrained(VISION[0])
        self.all_vision = [AutoModel.from_pretrained(v) for v in VISION]
