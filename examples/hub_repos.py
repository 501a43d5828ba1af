"""The tiny model repos the example application loads, as folders of files to commit.

Each repo has the shape its real counterpart has on the Hub (several weight formats, model
cards with licence and lineage, tags), with tiny deterministic files, so `ptmlock serve` can
stand in for huggingface.co with no network. ``write_folders`` writes one folder per revision
(the demo commits them with `ptmlock mirror add`, as a user would); ``build`` commits them
straight into a mirror folder. Configs and tokenizers are real: transformers' AutoConfig and
AutoTokenizer load them (the tokenizer.json is made by the tokenizers library); the weights are
random bytes in the right formats (tests/offline loads real weights).
Run: python examples/hub_repos.py OUT_DIR
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from ptmlock.mirror import RepoStore


@dataclass(frozen=True)
class Revision:
    """One commit of one repo: its files, message and tags."""

    repo_id: str
    files: dict[str, bytes]
    message: str = "Initial commit"
    tags: tuple[str, ...] = ()


def _noise(label: str, size: int) -> bytes:
    """Deterministic pseudo-random bytes (weights that compress like real ones)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def _safetensors(label: str, shapes: dict[str, list[int]]) -> bytes:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in shapes.items():
        count = 1
        for dim in shape:
            count *= dim
        header[name] = {
            "dtype": "F32",
            "shape": shape,
            "data_offsets": [offset, offset + 4 * count],
        }
        offset += 4 * count
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + _noise(label, offset)


def _card(**fields: object) -> bytes:
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"- {item}" for item in value)
        else:
            lines.append(f"{key}: {value}")
    return ("\n".join([*lines, "---", "", "# Model card", "", "A tiny demo model.", ""])).encode()


def _json(data: object) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"


_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "help", "me", "please", "refund"]


def _tokenizer_json() -> bytes:
    """A real BERT WordPiece tokenizer.json, made by the tokenizers library (deterministic)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {token: i for i, token in enumerate(_VOCAB)}
    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return tokenizer.to_str().encode()


def _bert(label: str, **card: object) -> dict[str, bytes]:
    return {
        "README.md": _card(**card),
        "config.json": _json(
            {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 32}
        ),
        "tokenizer.json": _tokenizer_json(),
        "tokenizer_config.json": _json(
            {
                "tokenizer_class": "BertTokenizer",
                "do_lower_case": True,
                "model_max_length": 512,
                "unk_token": "[UNK]",
                "cls_token": "[CLS]",
                "sep_token": "[SEP]",
                "pad_token": "[PAD]",
                "mask_token": "[MASK]",
            }
        ),
        "vocab.txt": "".join(f"{token}\n" for token in _VOCAB).encode(),
        "model.safetensors": _safetensors(label, {"embeddings": [64, 32], "pooler": [32, 32]}),
        "pytorch_model.bin": b"PK\x03\x04" + _noise(label + ".bin", 12_000),
        "tf_model.h5": b"\x89HDF\r\n\x1a\n" + _noise(label + ".h5", 12_000),
    }


def revisions() -> list[Revision]:
    """Every commit of every repo, oldest first."""
    out = [
        Revision(
            "ptmlock-demo/tiny-bert",
            _bert(
                "tiny-bert",
                license="apache-2.0",
                library_name="transformers",
                pipeline_tag="fill-mask",
            ),
        )
    ]
    sentiment = _bert(
        "tiny-sentiment",
        license="mit",
        library_name="transformers",
        pipeline_tag="text-classification",
        base_model="ptmlock-demo/tiny-bert",
        datasets=["imdb"],
    )
    out.append(Revision("ptmlock-demo/tiny-sentiment", dict(sentiment), "v1.0", ("v1.0",)))
    sentiment["model.safetensors"] = _safetensors("tiny-sentiment-2", {"embeddings": [64, 32]})
    out.append(Revision("ptmlock-demo/tiny-sentiment", sentiment, "Retrain on more data"))

    embed = _bert(
        "mini-embed",
        license="apache-2.0",
        library_name="sentence-transformers",
        pipeline_tag="sentence-similarity",
    )
    embed |= {
        "model.safetensors": _safetensors("mini-embed", {"embeddings": [512, 384]}),
        "modules.json": _json(
            [
                {"idx": 0, "name": "0", "path": "", "type": "Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "Pooling"},
            ]
        ),
        "config_sentence_transformers.json": _json({"similarity_fn_name": "cosine"}),
        "sentence_bert_config.json": _json({"max_seq_length": 256}),
        "1_Pooling/config.json": _json({"pooling_mode_mean_tokens": True}),
        "onnx/model.onnx": b"\x08\x07" + _noise("mini-embed.onnx", 50_000),
    }
    out.append(Revision("ptmlock-demo/mini-embed", embed))

    out.append(
        Revision(
            "ptmlock-demo/tiny-llm-gguf",
            {
                "README.md": _card(
                    license="other",
                    license_name="tiny-llm-license",
                    base_model="ptmlock-demo/tiny-llm",
                    tags=["gguf"],
                ),
                "tiny-llm.Q4_K_M.gguf": b"GGUF" + _noise("q4", 300_000),
                "tiny-llm.Q8_0.gguf": b"GGUF" + _noise("q8", 600_000),
            },
        )
    )
    out.append(
        Revision(
            "ptmlock-demo/tiny-t5",
            {
                "README.md": _card(library_name="transformers", pipeline_tag="summarization"),
                "config.json": _json(
                    {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5"}
                ),
                "spiece.model": _noise("spiece", 4_000),
                "tokenizer_config.json": _json({"model_max_length": 512}),
                "model.safetensors": _safetensors("tiny-t5", {"shared": [128, 32]}),
            },
        )
    )
    sd_parts = {
        "unet": "diffusion_pytorch_model",
        "vae": "diffusion_pytorch_model",
        "text_encoder": "model",
    }
    sd: dict[str, bytes] = {
        "README.md": _card(
            license="creativeml-openrail-m", library_name="diffusers", pipeline_tag="text-to-image"
        ),
        "model_index.json": _json({"_class_name": "StableDiffusionPipeline"}),
        "scheduler/scheduler_config.json": _json({"_class_name": "PNDMScheduler"}),
        "tokenizer/vocab.json": _json({"a": 0, "b": 1}),
        "tokenizer/merges.txt": b"#version: 0.2\na b\n",
        "tokenizer/tokenizer_config.json": _json({"model_max_length": 77}),
    }
    for part, weights in sd_parts.items():
        sd[f"{part}/config.json"] = _json({"_class_name": part})
        sd[f"{part}/{weights}.safetensors"] = _safetensors(f"sd-{part}", {"w": [64, 64]})
        sd[f"{part}/{weights}.fp16.safetensors"] = _noise(f"sd-{part}-fp16", 8_000)
    out.append(Revision("ptmlock-demo/tiny-sd", sd))
    return out


def write_folders(root: Path) -> list[tuple[Revision, Path]]:
    """Each revision's files under ``root/<org>/<name>/<n>/``, for `ptmlock mirror add`."""
    written: list[tuple[Revision, Path]] = []
    for revision in revisions():
        number = 1 + sum(1 for earlier, _ in written if earlier.repo_id == revision.repo_id)
        folder = root / revision.repo_id / f"commit-{number}"
        for name, data in revision.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        written.append((revision, folder))
    return written


def build(root: Path) -> RepoStore:
    """Commit every revision straight into a mirror folder at ``root``."""
    store = RepoStore(root)
    for revision in revisions():
        commit = store.commit(revision.repo_id, revision.files, message=revision.message)
        for tag in revision.tags:
            store.tag(revision.repo_id, tag, commit)
    return store


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/hub_repos.py OUT_DIR")
    built = build(Path(sys.argv[1]))
    for repo in built.repos():
        print(repo)
