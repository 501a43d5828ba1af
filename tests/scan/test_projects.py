"""Small projects, one per way real applications name their models across files."""

from __future__ import annotations

from pathlib import Path

from ptmlock.models import Reference
from tests.scan.helpers import scan_project

_LOADER = """
import os
from transformers import AutoModel

AutoModel.from_pretrained(os.getenv("RERANKER_MODEL", "org/base"))
"""


def _found(refs: list[Reference], relpath: str) -> dict[str, str]:
    return {r.model: r.confidence for r in refs if r.file == relpath and r.model}


def test_options_a_setting_comment_names_are_low_confidence_choices() -> None:
    env = """
        # Reranker. Options: org/small-v1 (fast), org/large-v2.
        # see https://example.com/docs and eval/DECISIONS.md, and/or the README
        RERANKER_MODEL=org/base

        # Ollama. Light option: qwen3.5:2b. default: qwen3.5:9b
        GENERATION_MODEL=qwen3.5:9b
    """
    refs = scan_project({"app.py": _LOADER, ".env.example": env})
    assert _found(refs, ".env.example") == {
        "org/base": "medium",
        "org/small-v1": "low",
        "org/large-v2": "low",
        "ollama/qwen3.5:9b": "medium",
        "ollama/qwen3.5:2b": "low",
    }


def test_a_comment_separated_by_a_blank_line_names_no_options() -> None:
    env = "# Options: org/small-v1\n\nRERANKER_MODEL=org/base\n"
    refs = scan_project({"app.py": _LOADER, ".env": env})
    assert _found(refs, ".env") == {"org/base": "medium"}


def test_a_table_beside_a_model_the_code_loads_offers_its_choices() -> None:
    page = """
        | role | default | options |
        |---|---|---|
        | reranker | `org/base` | `other/reranker-v2`, `third/colbert-small` |
        | note | 1498/321 | `A/B` tests, and/or more |

        Unrelated prose about `lone/model-x`.

        - `listed/without-known` in a list with no loaded model
    """
    refs = scan_project({"app.py": _LOADER, "README.md": page})
    assert _found(refs, "README.md") == {
        "org/base": "low",
        "other/reranker-v2": "low",
        "third/colbert-small": "low",
    }


def test_an_api_providers_model_setting_is_not_a_download() -> None:
    code = """
        import os
        from transformers import AutoModel

        name = os.getenv("WATSONX_GENERATION_MODEL", "ibm/granite-13b-chat-v2")
        AutoModel.from_pretrained(name)
    """
    env = "WATSONX_GENERATION_MODEL=ibm/granite-13b-chat-v2\nWATSONX_MODEL=ibm/granite-8b\n"
    refs = scan_project({"app.py": code, ".env": env})
    assert _found(refs, ".env") == {}


def test_a_bundle_named_through_the_modules_dict_is_each_value_of_the_table() -> None:
    align = """
        import torchaudio

        BUNDLES = {"en": "WAV2VEC2_ASR_BASE_960H", "fr": "VOXPOPULI_ASR_BASE_10K_FR"}

        def load(language, name=None):
            if name is None and language in BUNDLES:
                name = BUNDLES[language]
            if name in torchaudio.pipelines.__all__:
                return torchaudio.pipelines.__dict__[name].get_model()
    """
    run = """
        from pkg.align import load

        def run(results):
            for result in results:
                load(result["language"])
    """
    refs = scan_project({"pkg/align.py": align, "pkg/run.py": run})
    assert {r.model for r in refs if r.model} == {
        "torchaudio/WAV2VEC2_ASR_BASE_960H",
        "torchaudio/VOXPOPULI_ASR_BASE_10K_FR",
    }


def test_a_bundled_copy_nothing_imports_is_skipped_and_one_the_code_imports_is_scanned() -> None:
    library = """
        from transformers import AutoModel

        def default():
            return AutoModel.from_pretrained("lib/default-model")
    """
    files = {
        "app.py": "from patched.loader import default\ndefault()\n",
        "patched/setup.py": "from setuptools import setup\nsetup(name='patched')\n",
        "patched/patched/__init__.py": "",
        "patched/loader.py": library,
        "extras/unused/__init__.py": '__version__ = "1.2.0"\n',
        "extras/unused/loader.py": library.replace("lib/default-model", "lib/unused-model"),
        "extras/__init__.py": "",
    }
    refs = scan_project(files)
    assert {r.model for r in refs} == {"lib/default-model"}


def test_a_vendored_copy_is_reported_as_skipped(tmp_path: Path) -> None:
    from ptmlock.scan import scan

    (tmp_path / "extras/unused").mkdir(parents=True)
    (tmp_path / "extras/unused/__init__.py").write_text('__version__ = "1.2.0"\n')
    (tmp_path / "extras/unused/loader.py").write_text(
        'from transformers import AutoModel\nAutoModel.from_pretrained("lib/unused-model")\n'
    )
    (tmp_path / "app.py").write_text(
        'from transformers import AutoModel\nAutoModel.from_pretrained("org/app-model")\n'
    )
    result = scan(tmp_path, cache=False, jobs=1)
    assert {r.model for r in result.references} == {"org/app-model"}
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("extras/unused/", "vendored copy (a package with its own __version__) that nothing "
         "outside it imports"),
    ]  # fmt: skip


def test_a_subclass_passes_its_model_to_the_base_constructor_across_modules() -> None:
    base = """
        from transformers import AutoModel

        class Encoder:
            def __init__(self, name):
                self.model = AutoModel.from_pretrained(name)
    """
    middle = """
        from pkg.base import Encoder

        class Middle(Encoder):
            pass
    """
    leaf = """
        from pkg.middle import Middle

        class Small(Middle):
            def __init__(self):
                super().__init__("org/small-encoder")

        class Unrelated:
            def __init__(self):
                super().__init__()
    """
    refs = scan_project({"pkg/base.py": base, "pkg/middle.py": middle, "pkg/leaf.py": leaf})
    assert [(r.file, r.line, r.model) for r in refs] == [("pkg/leaf.py", 6, "org/small-encoder")]


def test_a_prefixed_id_in_code_names_a_model_the_project_loads() -> None:
    grid = """
        def experiments(launcher):
            launcher.bind({"continue_from": "//pretrained/org/audio-medium"})
            launcher.bind({"continue_from": "hf-hub:org/never-loaded"})
    """
    loader = 'from transformers import AutoModel\nAutoModel.from_pretrained("org/audio-medium")\n'
    refs = scan_project({"grids/eval.py": grid, "app.py": loader})
    assert [(r.line, r.model) for r in refs if r.file == "grids/eval.py"] == [
        (3, "org/audio-medium")
    ]


def test_an_untagged_block_that_is_not_python_is_not_reported_broken(tmp_path: Path) -> None:
    from ptmlock.scan import scan

    page = (
        "Install:\n\n```\npip install -r requirements.txt\n```\n\n"
        '```python\nfrom transformers import AutoModel\nAutoModel.from_pretrained("org/a-1"\n```\n'
    )
    (tmp_path / "README.md").write_text(page)
    skipped = [(s.path, s.reason) for s in scan(tmp_path, cache=False, jobs=1).skipped]
    assert skipped == [("README.md", "code at line 8 is not valid Python")]


def test_a_command_line_names_a_model_by_the_name_its_loader_gives_it() -> None:
    """``tool audio.wav --model large-v2`` in a README, a script or a code span: the project's
    ``--model`` reaches faster-whisper, whose table maps ``large-v2`` to its Hub repo. Flags that
    reach no loader, and names the loader's table does not know, are not models."""
    refs = scan_project(
        {
            "tool/__main__.py": """\
                import argparse
                from faster_whisper import WhisperModel
                parser = argparse.ArgumentParser()
                parser.add_argument("--model", default="small")
                parser.add_argument("--model_size", default="small")
                parser.add_argument("--asr_model", default=None)
                args = parser.parse_args()
                WhisperModel(args.model)
                WhisperModel(args.asr_model)
            """,
            "README.md": """\
                # tool (https://example.org/tool)

                    tool audio.wav --model large-v2 --model_size large-v3

                ```sh
                tool audio.wav --model base.en
                ```

                Use a smaller model, `--model tiny`, or your own `--model my-finetune`.

                - a list item

                    its continuation --model medium
                ### French
                    tool fr.wav --model large
            """,
            "run.sh": "python -m tool a.wav --model distil-large-v3 --batch 4\n"
            "python -m tool a.wav --asr_model tiny.en\n",
        }
    )
    found = {
        (r.file, r.line, r.model, r.confidence)
        for r in refs
        if r.api in ("cli:--model", "cli:--asr_model")
    }
    assert found == {
        ("README.md", 3, "Systran/faster-whisper-large-v2", "low"),
        ("README.md", 6, "Systran/faster-whisper-base.en", "low"),
        ("README.md", 9, "Systran/faster-whisper-tiny", "low"),
        ("README.md", 15, "Systran/faster-whisper-large-v3", "low"),
        ("run.sh", 1, "Systran/faster-distil-whisper-large-v3", "medium"),
        ("run.sh", 2, "Systran/faster-whisper-tiny.en", "medium"),  # its default is None
    }
    assert not [r for r in refs if r.api == "cli:--model_size"]
