"""Config files: model-shaped keys with Hub-id values, never local paths or API model names."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptmlock.models import Reference
from ptmlock.scan.detectors.configs import ConfigDetector
from ptmlock.scan.detectors.shapes import is_hub_id, is_model_key, normalize_key
from tests.scan.helpers import scan_project, scan_text

FOLDERS = frozenset({"checkpoints", "my-models"})


def detect(relpath: str, text: str) -> list[Reference]:
    return scan_text(relpath, text, directories=FOLDERS)


def found(relpath: str, text: str) -> list[tuple[int, str | None]]:
    return [(r.line, r.model) for r in detect(relpath, text)]


def test_configs_yaml_model_keys_with_lines() -> None:
    text = """\
        # training
        model_name_or_path: google-bert/bert-base-uncased
        tokenizer_name: "bert-base-uncased"
        output_dir: outputs/run1
        teacher_model: FacebookAI/roberta-large
        learning_rate: 3.0e-5
        """
    assert found("conf/train.yaml", text) == [
        (2, "google-bert/bert-base-uncased"),
        (3, "bert-base-uncased"),
        (5, "FacebookAI/roberta-large"),
    ]
    run = {"run.sh": "python train.py --config conf/train.yaml\n"}  # the config is read
    reference = scan_text("conf/train.yaml", text, others=run, directories=FOLDERS)[0]
    assert (reference.how, reference.confidence, reference.hub) == (
        "config",
        "medium",
        "huggingface",
    )
    assert reference.api == "config:model_name_or_path"


def test_configs_nested_model_table_with_revision() -> None:
    text = """\
        model:
          name: mistralai/Mistral-7B-v0.1
          revision: 26bca36bde8333b5d7f72e9ed20ccda6a618af24
          dtype: bfloat16
        """
    [reference] = detect("config.yaml", text)
    assert (reference.line, reference.model) == (2, "mistralai/Mistral-7B-v0.1")
    assert reference.revision == "26bca36bde8333b5d7f72e9ed20ccda6a618af24"


def test_configs_list_under_model_key_is_a_group() -> None:
    text = """\
        embedding_models:
          - sentence-transformers/all-MiniLM-L6-v2
          - BAAI/bge-small-en-v1.5
        """
    refs = detect("rag.yml", text)
    assert [(r.line, r.model) for r in refs] == [
        (2, "sentence-transformers/all-MiniLM-L6-v2"),
        (3, "BAAI/bge-small-en-v1.5"),
    ]
    assert {r.group for r in refs} == {"embedding_models"}
    assert refs[0].library == "sentence-transformers"


def test_configs_json_lines_follow_document_order() -> None:
    text = """\
        {
          "name": "demo",
          "stages": [
            {"model": "gpt2", "n": 1},
            {"model": "gpt2", "n": 2}
          ],
          "base_model_name_or_path": "meta-llama/Llama-2-7b-hf"
        }
        """
    assert found("pipeline.json", text) == [
        (4, "gpt2"),
        (5, "gpt2"),
        (7, "meta-llama/Llama-2-7b-hf"),
    ]


def test_configs_toml_values_and_camel_case_keys() -> None:
    text = """\
        [serving]
        modelId = "Qwen/Qwen2.5-0.5B-Instruct"

        [serving.embedder]
        repo_id = 'BAAI/bge-base-en-v1.5'
        """
    assert found("settings.toml", text) == [
        (2, "Qwen/Qwen2.5-0.5B-Instruct"),
        (5, "BAAI/bge-base-en-v1.5"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        "./models/bert",
        "/opt/models/bert",
        "checkpoints/bert",  # a directory in the project
        "outputs/checkpoint-500",  # a usual local output folder
        "models/model.safetensors",
        "configs/model.yaml",
        "gpt-4o",  # an API model, not a Hub id
        "openai/gpt-4o",
        "anthropic/claude-3-5-sonnet",
        "ollama/llama3",
        "resnet50",
        "${MODEL_NAME}",
        "org/name/extra",
        "",
    ],
)
def test_configs_rejects_paths_and_api_models(value: str) -> None:
    assert found("app.yaml", f"model: '{value}'\n") == []


def test_configs_keeps_open_models_in_shared_namespaces() -> None:
    assert found("asr.yaml", "model: openai/whisper-small\n") == [(1, "openai/whisper-small")]


def test_configs_ignores_non_model_keys_and_non_strings() -> None:
    text = """\
        dataset: squad/plain_text
        author: acme/research
        model: 3
        use_model: true
        """
    assert found("x.yaml", text) == []


def test_configs_docker_compose_and_kubernetes_env() -> None:
    compose = """\
        services:
          tgi:
            environment:
              - MODEL_ID=HuggingFaceH4/zephyr-7b-beta
              - PORT=80
        """
    assert found("docker-compose.yml", compose) == [(4, "HuggingFaceH4/zephyr-7b-beta")]
    k8s = """\
        env:
          - name: MODEL_NAME
            value: "google/gemma-2b-it"
        """
    assert found("deploy.yaml", k8s) == [(3, "google/gemma-2b-it")]


def test_configs_multi_document_yaml() -> None:
    text = "model: gpt2\n---\nmodel: distilgpt2\n"
    assert found("multi.yaml", text) == [(1, "gpt2"), (3, "distilgpt2")]


@pytest.mark.parametrize("text", ["model: [unclosed", "{not json", "model: {{ .Values.model }}"])
def test_configs_unparseable_yields_nothing_and_says_why(text: str) -> None:
    from ptmlock.scan.detectors.configs import ConfigDetector

    assert detect("bad.yaml", text) == []
    assert detect("bad.json", text) == []
    # a Helm template composes as YAML (a mapping key), so only JSON refuses all three
    kinds = [("bad.json", "JSON")] + ([("bad.yaml", "YAML")] if "{{" not in text else [])
    for relpath, kind in kinds:
        skipped = ConfigDetector().read(relpath, text).skipped
        assert skipped is not None and skipped.startswith(f"not valid {kind}: "), skipped
        assert "\n" not in skipped


def test_an_unparseable_config_is_listed_as_skipped(tmp_path: Path) -> None:
    from ptmlock.scan import scan

    (tmp_path / "config.yaml").write_text("model: [unclosed\n")
    result = scan(tmp_path, cache=False, jobs=1)
    assert [(s.path, s.reason.split(":")[0]) for s in result.skipped] == [
        ("config.yaml", "not valid YAML")
    ]


@pytest.mark.parametrize(
    ("relpath", "handled"),
    [
        ("conf/train.yaml", True),
        ("a.yml", True),
        ("x/config.json", True),
        ("settings.toml", True),
        ("package.json", False),
        ("web/package-lock.json", False),
        ("tsconfig.build.json", False),
        ("poetry.lock", False),
        ("ckpt/tokenizer.json", False),
        ("ptm.lock", False),
        ("train.py", False),
    ],
)
def test_configs_handles(relpath: str, handled: bool) -> None:
    assert ConfigDetector().handles(relpath) is handled


def test_configs_pyproject_skips_tool_ptmlock() -> None:
    text = """\
        [tool.ptmlock]
        models = ["gpt2"]

        [tool.myapp]
        model = "gpt2-medium"
        """
    assert found("pyproject.toml", text) == [(5, "gpt2-medium")]


@pytest.mark.parametrize(
    ("key", "normalized", "model_shaped"),
    [
        ("model", "model", True),
        ("modelNameOrPath", "model_name_or_path", True),
        ("MODEL-ID", "model_id", True),
        ("reward_model", "reward_model", True),
        ("draft_model_name", "draft_model_name", True),
        ("hub_model_id", "hub_model_id", True),
        ("model_type", "model_type", False),
        ("output_dir", "output_dir", False),
    ],
)
def test_configs_key_rules(key: str, normalized: str, model_shaped: bool) -> None:
    assert normalize_key(key) == normalized
    assert is_model_key(normalized) is model_shaped


def test_configs_hub_id_rules() -> None:
    assert is_hub_id("sentence-transformers/all-MiniLM-L6-v2")
    assert is_hub_id("Qwen/Qwen2.5-7B")
    assert not detect("c.yaml", "model_name_or_path: my-models/bert\n")  # a project folder
    assert not is_hub_id("org--x/name")


def test_an_architecture_key_names_the_weights_its_library_downloads() -> None:
    from tests.scan.helpers import scan_text

    config = """
        train:
          perceptual_opt:
            type: PerceptualLoss
            vgg_type: vgg19
          other_opt:
            vgg_type: vgg99
    """
    refs = scan_text("options/train.yml", config)
    assert [(r.line, r.model, r.hub, r.library) for r in refs] == [
        (5, "torchvision/vgg19:legacy", "url", "torchvision")
    ]


# -- configs nothing names (``scan.mentions``) ---------------------------------------------------
CKPT = "pretrained: 'https://huggingface.co/org/blip/resolve/main/model_base.pth'\n"
PRESET = '{"checkpoint": "https://huggingface.co/org/fav/resolve/main/anime.safetensors"}\n'


def _confidence(files: dict[str, str], config: str) -> str:
    refs = [r for r in scan_project(files) if r.file == config and r.model]
    assert refs, f"no model found in {config}"
    return refs[0].confidence


@pytest.mark.parametrize(
    ("files", "config", "expected"),
    [
        # a vendored model repo's own configs, never loaded: listed, not locked
        (
            {"extras/blip/configs/vqa.yaml": CKPT,
             "extras/blip/models/blip.py": "MED = 'configs/med_config.json'\n",
             "app.py": "import extras.blip.models.blip\n"},
            "extras/blip/configs/vqa.yaml", "low",
        ),
        # named by file name in code
        (
            {"extras/blip/configs/vqa.yaml": CKPT,
             "train.py": "yaml.safe_load(open('extras/blip/configs/vqa.yaml'))\n"},
            "extras/blip/configs/vqa.yaml", "medium",
        ),
        # a preset chosen by its stem on the command line, in a README
        (
            {"presets/anime.json": PRESET,
             "README.md": "Run `python launch.py --preset anime`.\n"},
            "presets/anime.json", "medium",
        ),
        # a folder listed by the code: every config in it may be read
        (
            {"presets/anime.json": PRESET,
             "modules/config.py": "folder = 'presets'\nnames = os.listdir(folder)\n"},
            "presets/anime.json", "medium",
        ),
        # a tree of configs (no code in it) that a config framework reads from its root
        (
            {"config/solver/base.yaml": CKPT,
             "pkg/train.py": "@hydra.main(config_path='../config', config_name='config')\n"},
            "config/solver/base.yaml", "medium",
        ),
        # files at the root and files tools read are always read
        ({"settings.yaml": CKPT}, "settings.yaml", "medium"),
        ({"deploy/docker-compose.yml": "services:\n  app:\n    environment:\n"
                                       "      - MODEL_ID=org/model-a\n"},
         "deploy/docker-compose.yml", "medium"),
    ],
)  # fmt: skip
def test_a_config_nothing_names_is_low_confidence(
    files: dict[str, str], config: str, expected: str
) -> None:
    assert _confidence(files, config) == expected


def test_only_files_that_changed_are_searched_again(tmp_path: Path) -> None:
    from ptmlock.scan.mentions import demote_unnamed_configs

    refs = [Reference(file="vendor/x/configs/a.yaml", line=1, hub="url", api="config:pretrained",
                      model="https://example.com/a.pth", confidence="medium")]  # fmt: skip
    texts = {"vendor/x/configs/a.yaml": b"pretrained: https://example.com/a.pth\n",
             "app.py": b"print('hello')\n", "other.py": b"x = 1\n"}  # fmt: skip
    shas = {path: f"sha-{path}" for path in texts}
    reads: list[str] = []

    def read(path: str) -> bytes:
        reads.append(path)
        return texts[path]

    out, held = demote_unnamed_configs(refs, shas, read, ("", {}))
    assert out[0].confidence == "low" and sorted(reads) == sorted(texts)
    reads.clear()
    texts["app.py"] = b"CONFIG = 'vendor/x/configs/a.yaml'\n"
    shas["app.py"] = "sha-app-2"
    out, _ = demote_unnamed_configs(refs, shas, read, held)
    assert reads == ["app.py"] and out[0].confidence == "medium"
