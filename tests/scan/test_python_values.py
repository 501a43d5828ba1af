"""Following a model id from the loader call back to where it is written."""

from __future__ import annotations

import textwrap

import pytest

from ptmlock.models import Reference
from ptmlock.named import locked_id
from tests.scan.helpers import scan_project, scan_text

HEADER = "from transformers import AutoModel\n"


def find(body: str) -> list[Reference]:
    return scan_text("app.py", HEADER + textwrap.dedent(body), dedent=False)


def loader_line(ref: Reference) -> int:
    """The line of the loading call: the last hop of the reference's chain."""
    return int(ref.chain[-1].split(" ", 1)[0].rsplit(":", 1)[1])


def summary(refs: list[Reference]) -> list[tuple[int, str | None, str, str | None]]:
    return [(loader_line(r), r.model, r.how, r.group) for r in refs]


# Each body's loader call is on the line marked by the expected line number (HEADER is line 1);
# the reference itself sits where the model is written.
PATTERNS = [
    (
        "module constant",
        'M = "org/m"\nAutoModel.from_pretrained(M)\n',
        [(3, "org/m", "constant", None)],
    ),
    (
        "local variable reassigned",
        'def f():\n    m = "org/old"\n    m = "org/new"\n    AutoModel.from_pretrained(m)\n',
        [(5, "org/new", "constant", None)],
    ),
    (
        "conditional expression",
        'import sys\nM = "org/a" if sys.argv else "org/b"\nAutoModel.from_pretrained(M)\n',
        [(4, "org/a", "constant", None), (4, "org/b", "constant", None)],
    ),
    (
        "f-string over constants",
        'ORG = "org"\nSIZE = 7\nAutoModel.from_pretrained(f"{ORG}/m-{SIZE}b")\n',
        [(4, "org/m-7b", "constant", None)],
    ),
    (
        "concatenation",
        'BASE = "org/"\nAutoModel.from_pretrained(BASE + "m")\n',
        [(3, "org/m", "constant", None)],
    ),
    (
        "percent format",
        'AutoModel.from_pretrained("org/%s-%d" % ("m", 2))\n',
        [(2, "org/m-2", "literal", None)],
    ),
    (
        "str.format",
        'N = "m"\nAutoModel.from_pretrained("org/{}-{v}".format(N, v="x"))\n',
        [(3, "org/m-x", "constant", None)],
    ),
    (
        "function default",
        'def load(name="org/m"):\n    return AutoModel.from_pretrained(name)\n',
        [(3, "org/m", "default", None)],
    ),
    (
        "call site passes a constant",
        "def load(name):\n    return AutoModel.from_pretrained(name)\n"
        'load("org/a")\nload(name="org/b")\n',
        [(3, "org/a", "argument", None), (3, "org/b", "argument", None)],
    ),
    (
        "helper returning a constant",
        'def model_id():\n    return "org/m"\nAutoModel.from_pretrained(model_id())\n',
        [(4, "org/m", "literal", None)],
    ),
    (
        "class attribute via self",
        'class E:\n    model = "org/m"\n    def load(self):\n'
        "        return AutoModel.from_pretrained(self.model)\n",
        [(5, "org/m", "attribute", None)],
    ),
    (
        "class attribute via cls",
        'class E:\n    model = "org/m"\n    @classmethod\n    def load(cls):\n'
        "        return AutoModel.from_pretrained(cls.model)\n",
        [(6, "org/m", "attribute", None)],
    ),
    (
        "attribute set in __init__",
        'class E:\n    def __init__(self, name="org/m"):\n        self.name = name\n'
        "    def load(self):\n        return AutoModel.from_pretrained(self.name)\n",
        [(6, "org/m", "default", None)],
    ),
    (
        "subclass overrides",
        'class B:\n    model = "org/a"\n    def load(self):\n'
        '        return AutoModel.from_pretrained(self.model)\nclass C(B):\n    model = "org/b"\n',
        [(5, "org/a", "attribute", None), (5, "org/b", "attribute", None)],
    ),
    (
        "dataclass field",
        "from dataclasses import dataclass, field\n@dataclass\nclass Cfg:\n"
        '    model: str = field(default="org/m")\ndef load(cfg: Cfg):\n'
        "    return AutoModel.from_pretrained(cfg.model)\n",
        [(7, "org/m", "default", None)],
    ),
    (
        "pydantic field",
        "from pydantic import BaseModel, Field\nclass Cfg(BaseModel):\n"
        '    model: str = Field("org/m")\ncfg = Cfg()\nAutoModel.from_pretrained(cfg.model)\n',
        [(6, "org/m", "default", None)],
    ),
    (
        "instance keyword overrides",
        "from dataclasses import dataclass\n@dataclass\nclass Cfg:\n"
        '    model: str = "org/a"\n'
        'cfg = Cfg(model="org/b")\nAutoModel.from_pretrained(cfg.model)\n',
        [(7, "org/b", "argument", None), (7, "org/a", "default", None)],
    ),
    (
        "env default",
        'import os\nAutoModel.from_pretrained(os.getenv("M", "org/m"))\n',
        [(3, "org/m", "env-default", None)],
    ),
    (
        "environ.get default",
        'from os import environ\nM = environ.get("M", "org/m")\nAutoModel.from_pretrained(M)\n',
        [(4, "org/m", "env-default", None)],
    ),
    (
        "env or fallback",
        'import os\nAutoModel.from_pretrained(os.environ.get("M") or "org/m")\n',
        [(3, "org/m", "env-default", None)],
    ),
    (
        "argparse default and choices",
        "import argparse\np = argparse.ArgumentParser()\n"
        'p.add_argument("--model-name", default="org/a", choices=["org/a", "org/b"])\n'
        "args = p.parse_args()\nAutoModel.from_pretrained(args.model_name)\n",
        [(6, "org/a", "argparse", "--model-name"), (6, "org/b", "argparse", "--model-name")],
    ),
    (
        "argparse dest",
        "import argparse\np = argparse.ArgumentParser()\n"
        'p.add_argument("-m", dest="model", default="org/m")\nargs = p.parse_args()\n'
        "AutoModel.from_pretrained(args.model)\n",
        [(6, "org/m", "argparse", None)],
    ),
    (
        "click option",
        'import click\n@click.command()\n@click.option("--model", default="org/m")\n'
        "def main(model):\n    AutoModel.from_pretrained(model)\n",
        [(6, "org/m", "argparse", None)],
    ),
    (
        "typer option",
        'import typer\ndef main(model: str = typer.Option("org/m")):\n'
        "    AutoModel.from_pretrained(model)\n",
        [(4, "org/m", "argparse", None)],
    ),
    (
        "loop over a list",
        'MODELS = ["org/a", "org/b"]\nfor m in MODELS:\n    AutoModel.from_pretrained(m)\n',
        [(4, "org/a", "collection", "MODELS"), (4, "org/b", "collection", "MODELS")],
    ),
    (
        "loop over dict items",
        'MODELS = {"a": "org/a", "b": "org/b"}\nfor key, repo in MODELS.items():\n'
        "    AutoModel.from_pretrained(repo)\n",
        [(4, "org/a", "collection", "MODELS"), (4, "org/b", "collection", "MODELS")],
    ),
    (
        "comprehension",
        'MODELS = ("org/a", "org/b")\nms = [AutoModel.from_pretrained(m) for m in MODELS]\n',
        [(3, "org/a", "collection", "MODELS"), (3, "org/b", "collection", "MODELS")],
    ),
    (
        "dict lookup by constant",
        'MODELS = {"a": "org/a", "b": "org/b"}\nAutoModel.from_pretrained(MODELS["b"])\n',
        [(3, "org/b", "constant", None)],
    ),
    (
        "dict lookup by run-time key",
        'import sys\nMODELS = {"a": "org/a", "b": "org/b"}\n'
        "AutoModel.from_pretrained(MODELS[sys.argv[1]])\n",
        [(4, "org/a", "collection", "MODELS"), (4, "org/b", "collection", "MODELS")],
    ),
    (
        "dict get with default",
        'import sys\nMODELS = {"a": "org/a"}\n'
        'AutoModel.from_pretrained(MODELS.get(sys.argv[1], "org/z"))\n',
        [(4, "org/a", "collection", "MODELS"), (4, "org/z", "literal", None)],
    ),
    (
        "dataclass default_factory list",
        "from dataclasses import dataclass, field\n@dataclass\nclass Cfg:\n"
        '    models: list[str] = field(default_factory=lambda: ["org/a", "org/b"])\n'
        "    def load(self):\n"
        "        for m in self.models:\n            AutoModel.from_pretrained(m)\n",
        [(8, "org/a", "collection", "self.models"), (8, "org/b", "collection", "self.models")],
    ),
    (
        "revision followed too",
        'REV = "v2"\nAutoModel.from_pretrained("org/m", revision=REV)\n',
        [(3, "org/m", "literal", None)],
    ),
]


@pytest.mark.parametrize(("name", "body", "expected"), PATTERNS, ids=[p[0] for p in PATTERNS])
def test_value_following(
    name: str, body: str, expected: list[tuple[int, str, str, str | None]]
) -> None:
    refs = find(body)
    assert sorted(summary(refs), key=str) == sorted(expected, key=str)
    lines = (HEADER + textwrap.dedent(body)).splitlines()
    for ref in refs:
        assert ref.confidence == ("high" if ref.how == "literal" else "medium")
        written = lines[ref.line - 1]  # the literal, or the f-string composing the id
        assert "{" in written or any(p in written for p in str(ref.model).split("/")), written


def test_revision_is_followed_and_paired_per_caller() -> None:
    refs = find("""
        REV = "v2"
        def load(name, revision=REV):
            return AutoModel.from_pretrained(name, revision=revision)
        load("org/a")
        load("org/b", revision="main")
    """)
    assert {(r.model, r.revision) for r in refs} == {("org/a", "v2"), ("org/b", "main")}


def test_constants_imported_from_project_modules() -> None:
    """The model is placed where it is written (settings.py), once; each loader call that
    receives it is the last hop of a chain."""
    refs = scan_project(
        {
            "pkg/__init__.py": "",
            "pkg/settings.py": 'ORG = "org"\nMODEL = f"{ORG}/m"\n',
            "pkg/reexport.py": "from .settings import MODEL as CHOSEN\n",
            "pkg/app.py": """
            from transformers import AutoModel
            from pkg import settings
            from pkg.reexport import CHOSEN
            import pkg.settings as cfg

            AutoModel.from_pretrained(settings.MODEL)
            AutoModel.from_pretrained(CHOSEN)
            AutoModel.from_pretrained(cfg.MODEL)
        """,
        }
    )
    assert {(r.file, r.line, r.model, r.how) for r in refs} == {
        ("pkg/settings.py", 2, "org/m", "constant")
    }
    loaders = {r.chain[-1].split(" ")[0] for r in refs}
    assert loaders <= {"pkg/app.py:7", "pkg/app.py:8", "pkg/app.py:9"} and loaders


def test_relative_import() -> None:
    refs = scan_project(
        {
            "app/config.py": 'MODEL = "org/m"\n',
            "app/main.py": "from transformers import AutoModel\nfrom .config import MODEL\n"
            "AutoModel.from_pretrained(MODEL)\n",
        }
    )
    assert [(r.file, r.model) for r in refs] == [("app/config.py", "org/m")]


def test_import_cycle_between_project_modules_terminates() -> None:
    refs = scan_project(
        {
            "a.py": "from b import X as Y\nX = Y\n",
            "b.py": "from a import Y as X\n",
            "main.py": "from transformers import AutoModel\nfrom a import X\n"
            "AutoModel.from_pretrained(X)\n",
        }
    )
    assert len(refs) <= 1 and all(r.model is None for r in refs)


UNRESOLVED = [
    (
        "parameter without default",
        "def load(name):\n    return AutoModel.from_pretrained(name)\n",
        3,
        "parameter 'name'",
    ),
    (
        "environment without default",
        "import os\nAutoModel.from_pretrained(os.environ['MODEL'])\n",
        3,
        "environment variable MODEL",
    ),
    (
        "getenv without default",
        "import os\nAutoModel.from_pretrained(os.getenv('MODEL'))\n",
        3,
        "environment variable MODEL",
    ),
    (
        "argparse without default",
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--model', required=True)\nargs = p.parse_args()\n"
        "AutoModel.from_pretrained(args.model)\n",
        6,
        "--model has no default",
    ),
    (
        "config file value",
        "import json\ncfg = json.load(open('c.json'))\nAutoModel.from_pretrained(cfg['model'])\n",
        4,
        "run time",
    ),
    ("kwargs", "def load(**kw):\n    return AutoModel.from_pretrained(**kw)\n", 3, "**kwargs"),
    (
        "f-string with a run-time part",
        "import sys\nAutoModel.from_pretrained(f'org/{sys.argv[1]}')\n",
        3,
        "run time",
    ),
    (
        "default None",
        "def load(name=None):\n    return AutoModel.from_pretrained(name)\n",
        3,
        "None",
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "line", "reason"), UNRESOLVED, ids=[u[0] for u in UNRESOLVED]
)
def test_unresolved_sites_are_reported_with_a_reason(
    name: str, body: str, line: int, reason: str
) -> None:
    refs = find(body)
    assert len(refs) == 1, refs
    ref = refs[0]
    assert (ref.model, ref.line, ref.how, ref.confidence) == (None, line, "unresolved", "low")
    assert ref.reason is not None and reason in ref.reason
    assert ref.api == "transformers.AutoModel.from_pretrained"


def test_partly_known_site_reports_only_what_is_known() -> None:
    refs = find('import os\nAutoModel.from_pretrained(os.environ.get("M") or "org/m")\n')
    assert [r.model for r in refs] == ["org/m"]


def test_long_assignment_chain_ends_unresolved_by_the_step_budget() -> None:
    chain = ['a0 = "org/m"'] + [f"a{i} = a{i - 1}" for i in range(1, 10_000)]
    body = "\n".join(chain) + "\nAutoModel.from_pretrained(a9999)\n"
    refs = find(body)
    assert [(r.model, r.line) for r in refs] == [(None, 10_002)]
    assert refs[0].reason is not None and "steps" in refs[0].reason


def test_exponential_fan_out_is_cut_by_the_work_budget() -> None:
    lines = ['a0 = "x"'] + [f"a{i} = a{i - 1} if c else a{i - 1}" for i in range(1, 40)]
    body = "\n".join(lines) + "\nAutoModel.from_pretrained(a39)\n"
    refs = find(body)
    assert len(refs) == 1 and refs[0].model is None
    assert refs[0].reason is not None and "too many" in refs[0].reason


def test_deeply_nested_expression_does_not_raise() -> None:
    body = "M = " + " + ".join(['"a"'] * 3000) + "\nAutoModel.from_pretrained(M)\n"
    refs = find(body)
    assert all(r.model is None for r in refs)


def test_mutual_recursion_terminates() -> None:
    refs = find("""
        def a(x=None):
            return b(x)
        def b(y=None):
            return a(y)
        AutoModel.from_pretrained(a())
    """)
    assert len(refs) == 1 and refs[0].model is None


def test_walrus_binding_is_followed() -> None:
    refs = find('if (name := "org/m"):\n    AutoModel.from_pretrained(name)\n')
    assert [(r.model, r.how) for r in refs] == [("org/m", "constant")]


def test_value_from_a_library_object_is_unresolved() -> None:
    refs = find(
        'm = AutoModel.from_pretrained("org/m")\nAutoModel.from_pretrained(m.config.name)\n'
    )
    assert [(r.line, r.model) for r in refs] == [(2, "org/m"), (3, None)]
    assert refs[1].reason is not None and "from_pretrained().config.name" in refs[1].reason


def test_hf_argument_parser_dataclass_defaults() -> None:
    refs = find("""
        from dataclasses import dataclass, field
        from transformers import HfArgumentParser

        @dataclass
        class ModelArguments:
            model_name_or_path: str = field(default="EleutherAI/pythia-160m")

        def main():
            parser = HfArgumentParser((ModelArguments,))
            (model_args,) = parser.parse_args_into_dataclasses()
            return AutoModel.from_pretrained(model_args.model_name_or_path)
    """)
    assert [(r.line, r.model, r.how) for r in refs] == [(8, "EleutherAI/pythia-160m", "default")]
    assert loader_line(refs[0]) == 13


def test_an_entry_of_a_librarys_own_table_picked_by_a_constant_key() -> None:
    refs = scan_text(
        "vit.py",
        "from timm.models.helpers import load_custom_pretrained\n"
        "from timm.models.vision_transformer import default_cfgs\n"
        "KEY = 'vit_large_patch16_224_in21k'\n"
        "def build(model, name):\n"
        "    load_custom_pretrained(model, default_cfgs[KEY])\n"
        "    load_custom_pretrained(model, default_cfgs[name])\n"
        "    load_custom_pretrained(model, f\"{default_cfgs['x']}\")\n",
        dedent=False,
    )
    found = [(r.line, r.model, r.hub) for r in refs if r.model]
    # the name as the code writes it; timm renamed the in21k ViTs, and the lock pins the
    # ``arch.tag`` the old name now loads
    assert found == [(3, "timm/vit_large_patch16_224_in21k", "huggingface")]
    assert locked_id(found[0][1], "timm-named") == "timm/vit_large_patch16_224.augreg_in21k"
    lost = sorted((r.line, r.reason) for r in refs if not r.model)
    assert lost[0] == (6, "looked up in default_cfgs, known only at run time")
    assert lost[1] == (7, "a string operation that fails statically")  # not the key as a name
