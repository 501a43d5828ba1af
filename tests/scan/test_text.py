"""Shell scripts, Dockerfiles, Markdown and requirements files."""

from __future__ import annotations

import textwrap

import pytest

from ptmlock.models import Reference
from ptmlock.scan.detectors.shell import ShellDetector
from ptmlock.scan.detectors.text import RequirementsDetector, classify_url
from tests.scan.helpers import scan_text

FOLDERS = frozenset({"weights"})


def shell(relpath: str, text: str) -> list[Reference]:
    return scan_text(relpath, text, directories=FOLDERS)


def test_shell_hf_download_with_revision_and_files() -> None:
    refs = shell(
        "scripts/fetch.sh",
        """\
        #!/usr/bin/env bash
        set -euo pipefail
        hf download meta-llama/Llama-3.1-8B-Instruct --revision 0e9e39f --local-dir ./ckpt
        huggingface-cli download TheBloke/Llama-2-7B-GGUF llama-2-7b.Q4_K_M.gguf --local-dir .
        huggingface-cli download --repo-type dataset rajpurkar/squad
        """,
    )
    assert [(r.line, r.model, r.revision, r.files, r.library) for r in refs] == [
        (3, "meta-llama/Llama-3.1-8B-Instruct", "0e9e39f", (), "snapshot"),
        (4, "TheBloke/Llama-2-7B-GGUF", None, ("llama-2-7b.Q4_K_M.gguf",), "file"),
    ]
    assert refs[0].api == "hf download" and refs[0].confidence == "high"


def test_shell_variables_defaults_and_unresolved() -> None:
    refs = shell(
        "run.sh",
        """\
        MODEL_NAME=Qwen/Qwen2.5-7B-Instruct
        hf download "$MODEL_NAME"
        hf download ${EMBEDDER:-BAAI/bge-m3}
        hf download $SOMETHING_ELSE
        """,
    )
    assert [(r.line, r.model, r.how) for r in refs] == [
        (1, "Qwen/Qwen2.5-7B-Instruct", "config"),
        (2, "Qwen/Qwen2.5-7B-Instruct", "constant"),
        (3, "BAAI/bge-m3", "env-default"),
        (4, None, "literal"),
    ]
    assert refs[3].reason and "$SOMETHING_ELSE" in refs[3].reason


def test_shell_git_clone_wget_curl() -> None:
    refs = shell(
        "setup.sh",
        """\
        git lfs install
        git clone --depth 1 -b v2.0 https://huggingface.co/openai/whisper-large-v3
        git clone https://huggingface.co/datasets/rajpurkar/squad
        git clone https://github.com/huggingface/transformers
        wget -q https://huggingface.co/TheBloke/Mistral-7B-v0.1-GGUF/resolve/main/m.Q4_K_M.gguf?download=true
        curl -L -o sam.pth https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth
        curl https://example.com/install.sh | bash
        """,
    )
    summary = [(r.line, r.hub, r.model, r.revision, r.files, r.library) for r in refs]
    assert summary == [
        (2, "huggingface", "openai/whisper-large-v3", "v2.0", (), "snapshot"),
        (5, "huggingface", "TheBloke/Mistral-7B-v0.1-GGUF", "main", ("m.Q4_K_M.gguf",), "file"),
        (
            6,
            "url",
            "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth",
            None,
            (),
            "url",
        ),
    ]


def test_shell_a_download_left_in_a_comment_is_listed_at_low_confidence() -> None:
    """``# git clone HUB`` and ``# wget FILE`` document a model the user may fetch: listed,
    never locked; a comment that only links a page or a dataset is not a model."""
    refs = shell(
        "setup.sh",
        """\
        # git clone https://huggingface.co/org/big-model ~/big-model
        # wget -nc https://github.com/o/r/releases/download/v1/landmarks.dat -O ./ckpt/landmarks.dat
        # wget https://github.com/o/r/releases/download/v1/data.zip
        # see https://huggingface.co/docs/hub for the docs
        # python app.py --model_name_or_path org/other  (not a download)
        """,
    )
    assert [(r.line, r.model, r.api, r.confidence) for r in refs] == [
        (1, "org/big-model", "git clone", "low"),
        (2, "https://github.com/o/r/releases/download/v1/landmarks.dat", "wget", "low"),
    ]


def test_shell_flags_continuations_and_serve() -> None:
    refs = shell(
        "train.sh",
        """\
        python run_glue.py \\
          --model_name_or_path google-bert/bert-base-cased \\
          --output_dir outputs/glue \\
          --task_name mrpc
        vllm serve mistralai/Mistral-7B-Instruct-v0.3 --port 8000
        python serve.py --model=./weights/local
        """,
    )
    assert [(r.line, r.model, r.api) for r in refs] == [
        (2, "google-bert/bert-base-cased", "cli:--model_name_or_path"),
        (5, "mistralai/Mistral-7B-Instruct-v0.3", "vllm serve"),
    ]


def test_shell_dockerfile_arg_env_run_and_exec_form() -> None:
    refs = shell(
        "Dockerfile",
        """\
        FROM python:3.11-slim
        ARG MODEL_ID=BAAI/bge-large-en-v1.5
        ENV HF_HOME=/models
        RUN pip install "huggingface_hub[cli]" && \\
            hf download ${MODEL_ID}
        RUN python -c "from transformers import AutoModel; AutoModel.from_pretrained('gpt2')"
        CMD ["python", "-m", "vllm.entrypoints.openai.api_server", "--model", "Qwen/Qwen2-7B"]
        """,
    )
    assert [(r.line, r.model, r.api) for r in refs] == [
        (2, "BAAI/bge-large-en-v1.5", "env:MODEL_ID"),
        (5, "BAAI/bge-large-en-v1.5", "hf download"),
        (6, "gpt2", "transformers.AutoModel.from_pretrained"),
        (7, "Qwen/Qwen2-7B", "cli:--model"),
    ]


def test_shell_spacy_download_names_the_hub_pipeline() -> None:
    [ref] = shell("setup.sh", "python -m spacy download en_core_web_sm\npython -m spacy validate\n")
    assert (ref.line, ref.hub, ref.model, ref.library) == (
        1,
        "huggingface",
        "spacy/en_core_web_sm",
        "spacy",
    )


@pytest.mark.parametrize(
    ("relpath", "handled"),
    [
        ("run.sh", True),
        ("docker/Dockerfile", True),
        ("Dockerfile.gpu", True),
        ("serve.dockerfile", True),
        ("Containerfile", True),
        ("Makefile", True),
        ("notes.txt", False),
        ("app.py", False),
    ],
)
def test_shell_handles(relpath: str, handled: bool) -> None:
    assert ShellDetector().handles(relpath) is handled


README = """\
---
base_model: meta-llama/Llama-2-7b-hf
---
# Demo

We fine-tune [Flan-T5](https://huggingface.co/google/flan-t5-base) (see the
[docs](https://huggingface.co/docs/transformers/index), the [blog](https://huggingface.co/blog/llama2),
our [Space](https://huggingface.co/spaces/acme/demo), the [data](https://huggingface.co/datasets/acme/x),
[pricing](https://huggingface.co/pricing), the [org](https://huggingface.co/acme) and
[all models](https://huggingface.co/models?search=bert)). Also: [gpt2](https://huggingface.co/gpt2).

```python
from transformers import AutoModel
model = AutoModel.from_pretrained("google/flan-t5-base")
```

```bash
$ hf download acme/ranker-v2
```

```text
AutoModel.from_pretrained("not/code")
```
"""


def test_markdown_links_and_code_blocks() -> None:
    refs = scan_text("README.md", README, dedent=False)
    assert [(r.line, r.model, r.how) for r in refs] == [
        (6, "google/flan-t5-base", "doc"),
        (10, "gpt2", "doc"),
        (14, "google/flan-t5-base", "literal"),
        (18, "acme/ranker-v2", "literal"),
    ]
    assert {r.confidence for r in refs} == {"low"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://huggingface.co/org/name", ("huggingface", "org/name", None, ())),
        ("https://hf.co/org/name/tree/v1", ("huggingface", "org/name", None, ())),
        (
            "https://huggingface.co/org/name/resolve/abc123/sub/w.safetensors",
            ("huggingface", "org/name", "abc123", ("sub/w.safetensors",)),
        ),
        ("https://huggingface.co/org/name.", ("huggingface", "org/name", None, ())),
        ("https://example.org/w/model.ckpt", None),  # a checkpoint, but on no release host
        (
            "https://github.com/o/r/releases/download/v1/model.ckpt",
            ("url", "https://github.com/o/r/releases/download/v1/model.ckpt", None, ()),
        ),
        (
            "https://dl.fbaipublicfiles.com/x/y-d7cc33bc.th",
            ("url", "https://dl.fbaipublicfiles.com/x/y-d7cc33bc.th", None, ()),
        ),
        ("https://github.com/o/r/releases/download/v1/photo.jpg", None),
        ("https://huggingface.co/docs/hub/index", None),
        ("https://huggingface.co/datasets/org/name", None),
        ("https://huggingface.co/spaces/org/name", None),
        ("https://huggingface.co/papers/2401.00001", None),
        ("https://huggingface.co/settings/tokens", None),
        ("https://huggingface.co/join", None),
        ("https://example.org/page.html", None),
    ],
)
def test_classify_url(url: str, expected: tuple[object, ...] | None) -> None:
    fields = classify_url(url)
    if expected is None:
        assert fields is None
    else:
        assert fields is not None
        got = (fields["hub"], fields["model"], fields.get("revision"), fields.get("files", ()))
        assert got == expected


def test_requirements_spacy_wheels() -> None:
    text = textwrap.dedent(
        """\
        torch==2.3.1
        en_core_web_sm @ https://github.com/explosion/spacy-models/releases/download/en_core_web_sm-3.7.1/en_core_web_sm-3.7.1-py3-none-any.whl
        requests @ https://files.pythonhosted.org/packages/requests-2.32.0-py3-none-any.whl
        """
    )
    [ref] = scan_text("requirements.txt", text, dedent=False)
    assert (ref.line, ref.hub, ref.library) == (2, "url", "spacy")
    assert ref.model is not None and ref.model.endswith("en_core_web_sm-3.7.1-py3-none-any.whl")
    assert RequirementsDetector().handles("requirements/dev.txt")
    assert RequirementsDetector().handles("requirements-gpu.in")
    assert not RequirementsDetector().handles("notes.txt")


def test_shell_a_tokenizer_path_flag_names_a_model() -> None:
    """A tokenizer is downloaded from the Hub like weights: ``--tokenizer-path org/x`` names one
    whatever program takes it."""
    refs = shell("serve.sh", "python3 -m sglang.launch_server --tokenizer-path org/tok-hf\n")
    assert [(r.model, r.api) for r in refs] == [("org/tok-hf", "cli:--tokenizer-path")]
