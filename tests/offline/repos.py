# The ML libraries are untyped (or typed loosely), and may be absent from a light venv:
# mypy: disable-error-code="attr-defined,no-untyped-call,import-not-found,import-untyped,arg-type"
"""Tiny real model repos, each written by its library's own save function.

Nothing here is hand-made bytes: transformers' ``save_pretrained`` writes the configs,
tokenizers and weights, sentence-transformers its modules, diffusers its pipeline folders,
timm and open_clip their ``save_for_hf`` files, PEFT its adapter. The folders are then
committed into a ptmlock mirror store under Hub ids, so ``ptmlock serve`` offers them the way
huggingface.co offers the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ptmlock.mirror import RepoStore

ORG = "tiny"
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "help", "me", "please"]

# remote code saved beside the weights, as `register_for_auto_class` users publish it; the
# modeling module imports a helper module of its own (relative import: also read)
_CONFIGURATION = """
from transformers import PretrainedConfig


class TinyRemoteConfig(PretrainedConfig):
    model_type = "tiny-remote"

    def __init__(self, width=8, **kwargs):
        self.width = width
        super().__init__(**kwargs)
"""
_HELPERS = """
def double(x):
    return x * 2
"""
_MODELING = """
import torch
from transformers import PreTrainedModel

from .configuration_tiny import TinyRemoteConfig
from .helpers_tiny import double


class TinyRemoteModel(PreTrainedModel):
    config_class = TinyRemoteConfig

    def __init__(self, config):
        super().__init__(config)
        self.linear = torch.nn.Linear(config.width, config.width)
        self.post_init()

    def forward(self, x):
        return double(self.linear(x))
"""


def _bert_tokenizer(folder: Path) -> Any:
    from transformers import BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab-source.txt"
    vocab.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab))
    vocab.unlink()
    return tokenizer


def _bert_config() -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=32,
    )


def bert(folder: Path) -> None:
    """A BERT encoder with its fast tokenizer (config, tokenizer files, model.safetensors)."""
    from transformers import BertModel

    _bert_tokenizer(folder).save_pretrained(folder)
    BertModel(_bert_config()).save_pretrained(folder)


def classifier(folder: Path) -> None:
    """A sequence classifier (for ``pipeline("text-classification")``)."""
    from transformers import BertForSequenceClassification

    _bert_tokenizer(folder).save_pretrained(folder)
    config = _bert_config()
    config.id2label, config.label2id = {0: "NEG", 1: "POS"}, {"NEG": 0, "POS": 1}
    BertForSequenceClassification(config).save_pretrained(folder)


def tokenizer_only(folder: Path) -> None:
    """A repo with a tokenizer and no config.json (AutoTokenizer probes config.json)."""
    _bert_tokenizer(folder).save_pretrained(folder)


def gpt2(folder: Path) -> None:
    """A causal LM with generation_config.json, a chat template, sharded weights and an index."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    raw = Tokenizer(models.BPE(vocab={"a": 0, "b": 1, "ab": 2, "<eos>": 3}, merges=[("a", "b")]))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer = GPT2TokenizerFast(tokenizer_object=raw, eos_token="<eos>", bos_token="<eos>")
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    tokenizer.save_pretrained(folder)
    config = GPT2Config(vocab_size=4, n_positions=16, n_embd=8, n_layer=2, n_head=2)
    model = GPT2LMHeadModel(config)
    model.generation_config.max_new_tokens = 3
    model.save_pretrained(folder, max_shard_size="1KB")  # several shards and their index


def remote_code(folder: Path) -> None:
    """``trust_remote_code`` model: configuration/modeling modules named by ``auto_map``."""
    import sys

    code = folder.parent / "_remote_src"
    code.mkdir(parents=True, exist_ok=True)
    (code / "__init__.py").write_text("", encoding="utf-8")
    (code / "configuration_tiny.py").write_text(_CONFIGURATION, encoding="utf-8")
    (code / "helpers_tiny.py").write_text(_HELPERS, encoding="utf-8")
    (code / "modeling_tiny.py").write_text(_MODELING, encoding="utf-8")
    sys.path.insert(0, str(code.parent))
    try:
        from _remote_src.configuration_tiny import TinyRemoteConfig
        from _remote_src.modeling_tiny import TinyRemoteModel

        TinyRemoteConfig.register_for_auto_class()
        TinyRemoteModel.register_for_auto_class("AutoModel")
        TinyRemoteModel(TinyRemoteConfig()).save_pretrained(folder)
    finally:
        sys.path.remove(str(code.parent))
        for name in [m for m in sys.modules if m.startswith("_remote_src")]:
            del sys.modules[name]
    # save_pretrained copies the modules auto_map names; helpers_tiny is a relative import
    assert (folder / "modeling_tiny.py").is_file()


def remote_code_elsewhere(folder: Path, code_repo: str) -> None:
    """A model whose ``auto_map`` points into another repo (``org/other--module.Class``)."""
    config = json.loads((folder.parent / "remote-code" / "config.json").read_text())
    config["auto_map"] = {
        "AutoConfig": f"{code_repo}--configuration_tiny.TinyRemoteConfig",
        "AutoModel": f"{code_repo}--modeling_tiny.TinyRemoteModel",
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    weights = folder.parent / "remote-code" / "model.safetensors"
    (folder / "model.safetensors").write_bytes(weights.read_bytes())


def sentence_transformer(folder: Path, base: Path) -> None:
    """A sentence-transformers model (modules.json, pooling, configs, README.md)."""
    from sentence_transformers import SentenceTransformer, models

    word = models.Transformer(str(base), max_seq_length=16)
    pooling = models.Pooling(word.get_embedding_dimension())
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(folder))


def diffusion_pipeline(folder: Path) -> None:
    """A diffusers pipeline (model_index.json, unet/ and scheduler/), with fp16 variants too."""
    import torch
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    unet = UNet2DModel(
        sample_size=8,
        in_channels=1,
        out_channels=1,
        layers_per_block=1,
        block_out_channels=(8, 8),
        norm_num_groups=4,
        down_block_types=("DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D"),
    )
    pipeline = DDPMPipeline(unet=unet, scheduler=DDPMScheduler(num_train_timesteps=10))
    pipeline.save_pretrained(folder)
    pipeline.to(torch.float16).save_pretrained(folder, variant="fp16")


def timm_model(folder: Path, num_classes: int = 3) -> None:
    """A timm model as ``timm.models.save_for_hf`` writes it (config.json, model.safetensors)."""
    import timm

    model = timm.create_model("test_efficientnet", pretrained=False, num_classes=num_classes)
    timm.models.save_for_hf(model, str(folder), safe_serialization=True)


def open_clip_model(folder: Path, tokenizer_files: Path, hf_tokenizer: str | None = None) -> None:
    """An open_clip model as its ``save_for_hf`` writes it (which saves an HF tokenizer's
    files beside it); ``hf_tokenizer`` goes into ``text_cfg.hf_tokenizer_name``, so that
    ``get_tokenizer`` loads it with AutoTokenizer (SigLIP-style), else open_clip's own BPE."""
    import importlib

    import open_clip

    # open_clip's own BPE tokenizer has 49408 tokens; an HF tokenizer brings its own vocab
    text_cfg: dict[str, Any] = {
        "context_length": 8,
        "vocab_size": 49408,
        "width": 16,
        "heads": 2,
        "layers": 1,
    }
    if hf_tokenizer is not None:
        text_cfg |= {"hf_tokenizer_name": hf_tokenizer, "vocab_size": len(VOCAB)}
    model_cfg = {
        "embed_dim": 8,
        "vision_cfg": {
            "image_size": 16,
            "layers": 1,
            "width": 16,
            "patch_size": 8,
            "head_width": 8,
        },
        "text_cfg": text_cfg,
    }
    model = open_clip.CLIP(**model_cfg)
    # what open_clip.create_model sets on every model it builds (save_for_hf records them)
    model.visual.image_mean, model.visual.image_std = open_clip.OPENAI_DATASET_MEAN, (0.5,) * 3
    tokenizer = open_clip.tokenizer.HFTokenizer(str(tokenizer_files), context_length=8)
    hub = importlib.import_module("open_clip.push_to_hf_hub")
    folder.mkdir(parents=True, exist_ok=True)
    hub.save_for_hf(model, tokenizer, model_cfg, str(folder), safe_serialization=True)


def peft_adapter(folder: Path, base: Path, base_id: str) -> None:
    """A LoRA adapter on the BERT encoder, its config naming the base model by Hub id."""
    from peft import LoraConfig, get_peft_model
    from transformers import BertModel

    model = get_peft_model(
        BertModel.from_pretrained(str(base)), LoraConfig(r=2, target_modules=["query", "value"])
    )
    model.save_pretrained(folder)
    config_path = folder / "adapter_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = base_id  # as published: the Hub id, not a local path
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")


def build_all(store: RepoStore, work: Path) -> dict[str, str]:
    """Build every repo into ``work``, commit each into ``store``; {name: repo id}."""
    ids = {name: name if "/" in name else f"{ORG}/{name}" for name in _BUILDERS}
    for name, builder in _BUILDERS.items():
        folder = work / name
        builder(folder, work, ids)
        store.commit(ids[name], folder)
    return ids


_Builder = Callable[[Path, Path, dict[str, str]], None]
_BUILDERS: dict[str, _Builder] = {
    "bert": lambda f, w, ids: bert(f),
    "classifier": lambda f, w, ids: classifier(f),
    "tokenizer-only": lambda f, w, ids: tokenizer_only(f),
    "gpt2": lambda f, w, ids: gpt2(f),
    "remote-code": lambda f, w, ids: remote_code(f),
    "remote-elsewhere": lambda f, w, ids: remote_code_elsewhere(f, ids["remote-code"]),
    "embedder": lambda f, w, ids: sentence_transformer(f, w / "bert"),
    "ddpm": lambda f, w, ids: diffusion_pipeline(f),
    "timm": lambda f, w, ids: timm_model(f),
    # where timm itself reads ``create_model("test_efficientnet", pretrained=True)`` from
    "timm/test_efficientnet.r160_in1k": lambda f, w, ids: timm_model(f, num_classes=1000),
    "clip": lambda f, w, ids: open_clip_model(f, w / "tokenizer-only"),
    "siglip-like": lambda f, w, ids: open_clip_model(
        f, w / "tokenizer-only", hf_tokenizer=ids["siglip-like"]
    ),
    "clip-shared-tokenizer": lambda f, w, ids: open_clip_model(
        f, w / "tokenizer-only", hf_tokenizer=ids["tokenizer-only"]
    ),
    "lora": lambda f, w, ids: peft_adapter(f, w / "bert", ids["bert"]),
}


if __name__ == "__main__":  # python -m tests.offline.repos STORE WORK (the tests run it so)
    import sys

    built = build_all(RepoStore(Path(sys.argv[1])), Path(sys.argv[2]))
    sys.stdout.write(json.dumps(built) + "\n")
