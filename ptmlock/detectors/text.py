"""Model references in prose and plain-text tooling: Markdown, shell scripts, Dockerfiles,
Makefiles and requirements files.

- Shell (``ShellDetector``, also used for notebook ``!`` lines and Markdown shell blocks):
  ``hf download ID``/``huggingface-cli download ID [FILES] [--revision R]``, ``git clone`` of a Hub
  repo, ``wget``/``curl`` of a Hub ``resolve`` URL or of a checkpoint URL, ``python -c`` code,
  ``--model_name_or_path ID``-style flags, ``vllm serve ID``, and model-shaped ``ENV``/``export``
  assignments. Simple variables (``MODEL=...; hf download $MODEL``, ``${VAR:-default}``) are
  followed; a download whose id stays a variable is reported unresolved.
- Markdown (``MarkdownDetector``): huggingface.co model links (not docs, blog, dataset or Space
  pages) with low confidence and ``how="doc"``; fenced code blocks through the Python analysis and
  the shell rules, also with low confidence (a README shows what users run, not what the code runs).
- Requirements (``RequirementsDetector``): spaCy model wheels pinned by URL.
"""

from __future__ import annotations

import importlib
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ptmlock.detectors.configs import guess_library, is_hub_id, is_model_key, normalize_key
from ptmlock.detectors.interface import Detector, ProjectContext
from ptmlock.models import Reference

__all__ = [
    "MarkdownDetector",
    "RequirementsDetector",
    "ShellDetector",
    "analyze_python",
    "classify_url",
    "shell_references",
]

_HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
# first path segments of huggingface.co pages that are not models
_HF_RESERVED = frozenset(
    {
        "docs", "blog", "spaces", "datasets", "papers", "settings", "join", "login", "pricing",
        "models", "organizations", "tasks", "learn", "enterprise", "new", "new-space",
        "new-dataset", "collections", "posts", "chat", "api", "privacy", "terms-of-service",
        "changelog", "inference-endpoints", "inference-api", "support", "transformers", "course",
        "welcome", "brand", "autotrain", "competitions", "storage", "jobs", "notifications",
        "search", "sitemap", "oauth", "billing", "pro", "contact", "huggingchat", "front",
        "static", "avatars", "mcp", "hub", "security", "status", "code-of-conduct",
    }
)  # fmt: skip
_REPO_ACTIONS = frozenset({"resolve", "blob", "tree", "raw", "discussions", "commit", "commits"})
_CHECKPOINT_URL = re.compile(r"\.(pt|pth|ckpt|safetensors|bin|onnx|gguf)$", re.IGNORECASE)
_URL = re.compile(r"""https?://[^\s<>"'`()\[\]{}]+""")
_NOWHERE = ProjectContext(root=PurePosixPath("/nonexistent"))  # type: ignore[arg-type]
_SPACY_MODEL = re.compile(
    r"[a-z]{2,3}_(core|dep|ent)_(web|news|wiki)_(sm|md|lg|trf)\b|spacy-models"
)


def analyze_python(relpath: str, text: str, context: ProjectContext) -> list[Reference]:
    """``ptmlock.detectors.python.analyze_source``, or nothing while that module is absent."""
    try:
        module = importlib.import_module("ptmlock.detectors.python")
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("ptmlock.detectors."):
            raise
        return []
    found: list[Reference] = module.analyze_source(relpath, text, context)
    return found


def classify_url(url: str) -> dict[str, Any] | None:
    """Reference fields for a model URL (Hub repo page/file, or a checkpoint file), else None."""
    url = url.rstrip(".,;:!?*_")
    parts = urlsplit(url)
    if parts.hostname in _HF_HOSTS:
        return _hub_url(parts.path)
    if _CHECKPOINT_URL.search(parts.path):
        return {"hub": "url", "model": url.split("#")[0], "library": "url"}
    return None


def _hub_url(path: str) -> dict[str, Any] | None:
    segments = [s for s in path.split("/") if s]
    if not segments or segments[0] in _HF_RESERVED:
        return None
    if len(segments) >= 2 and segments[1] not in _REPO_ACTIONS:
        model, rest = f"{segments[0]}/{segments[1]}", segments[2:]
    else:
        model, rest = segments[0], segments[1:]
    model = model.removesuffix(".git")
    if not is_hub_id(model, _NOWHERE):
        return None
    fields: dict[str, Any] = {"hub": "huggingface", "model": model, "library": "snapshot"}
    if len(rest) >= 3 and rest[0] in {"resolve", "raw", "blob"}:
        fields.update(revision=rest[1], files=("/".join(rest[2:]),), library="file")
    return fields


# -- shell ----------------------------------------------------------------------------------------
_ASSIGN = re.compile(
    r"(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_]\w*)=(\S*)"
)
_DOCKER_INSTRUCTION = re.compile(r"(RUN|ENV|ARG|CMD|ENTRYPOINT)\s+(.*)", re.IGNORECASE | re.DOTALL)
_VAR = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")"})
_FLAG_VALUE_OPTIONS = frozenset(
    {"--revision", "--repo-type", "--local-dir", "--cache-dir", "--token", "--max-workers",
     "--include", "--exclude", "--local-dir-use-symlinks", "--format"}
)  # fmt: skip
_MODEL_FLAGS = frozenset({"hf_repo", "hf", "model_repo"})  # llama.cpp's -hf / --hf-repo


class _Line:
    """A logical shell line (continuations joined) and where each physical line starts."""

    def __init__(self, first: int, physical: list[str]) -> None:
        self.first, self.physical = first, physical
        self.text = " ".join(p.rstrip("\\").strip() for p in physical)

    def line_of(self, needle: str) -> int:
        offset = next((i for i, p in enumerate(self.physical) if needle and needle in p), 0)
        return self.first + offset


def _logical_lines(lines: list[tuple[int, str]]) -> Iterator[_Line]:
    group: list[str] = []
    first = 0
    for number, raw in lines:
        if not group:
            first = number
        group.append(raw)
        if not raw.rstrip().endswith("\\"):
            yield _Line(first, group)
            group = []
    if group:
        yield _Line(first, group)


def shell_references(
    relpath: str, lines: list[tuple[int, str]], context: ProjectContext, *, dockerfile: bool = False
) -> list[Reference]:
    """References in shell ``lines`` (pairs of 1-based line number and text)."""
    scope: dict[str, str] = {}
    found: list[Reference] = []
    for line in _logical_lines(lines):
        text = _strip_comment(line.text)
        if dockerfile and (match := _DOCKER_INSTRUCTION.match(text)):
            instruction, text = match.group(1).upper(), match.group(2)
            if instruction in {"ENV", "ARG"}:
                found += _assignments(relpath, line, _docker_pairs(text), scope, context)
                continue
            if text.startswith("["):
                found += _command(relpath, line, _json_argv(text), scope, context)
                continue
        for argv in _commands(text):
            found += _run_command(relpath, line, argv, scope, context)
    return found


def _commands(text: str) -> list[list[str]]:
    """The simple commands of a line, split on ``&&``, ``;``, ``|``... outside quotes."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: take the words as they are
        tokens = text.split()
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in _SEPARATORS or (token and set(token) <= set("<>&|;")):
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _strip_comment(text: str) -> str:
    return "" if text.lstrip().startswith("#") else re.sub(r"\s+#\s.*$", "", text)


def _docker_pairs(text: str) -> list[tuple[str, str]]:
    if "=" not in text.split(" ", 1)[0]:  # legacy "ENV KEY value"
        key, _, value = text.partition(" ")
        return [(key, value.strip())]
    return [(m.group(1), m.group(2).strip("'\"")) for m in _ASSIGN.finditer(text)]


def _json_argv(text: str) -> list[str]:
    try:
        argv = json.loads(text)
    except ValueError:
        return []
    return [str(a) for a in argv] if isinstance(argv, list) else []


def _run_command(
    relpath: str, line: _Line, argv: list[str], scope: dict[str, str], context: ProjectContext
) -> list[Reference]:
    while argv and argv[0] in {"export", "local", "readonly"}:
        argv = argv[1:]
    pairs = []
    while argv and (match := re.fullmatch(r"([A-Za-z_]\w*)=(.*)", argv[0], re.DOTALL)):
        pairs.append((match.group(1), match.group(2)))
        argv = argv[1:]
    found = _assignments(relpath, line, pairs, scope, context)
    return found + _command(relpath, line, argv, scope, context)


def _assignments(
    relpath: str,
    line: _Line,
    pairs: list[tuple[str, str]],
    scope: dict[str, str],
    context: ProjectContext,
) -> list[Reference]:
    found = []
    for key, raw in pairs:
        value, _ = _expand(raw, scope)
        scope[key] = value
        if is_model_key(normalize_key(key)) and is_hub_id(value, context):
            found.append(_ref(relpath, line.line_of(key), value, f"env:{key}", "config", "medium"))
    return found


def _expand(token: str, scope: dict[str, str]) -> tuple[str, str]:
    """``token`` with known variables substituted, and how ("literal", "constant", ...)."""
    how = "literal"

    def substitute(match: re.Match[str]) -> str:
        nonlocal how
        name = match.group(1) or match.group(3)
        if name in scope:
            how = "constant"
            return scope[name]
        if match.group(2) is not None:
            how = "env-default"
            return match.group(2).strip("'\"")
        return match.group(0)

    return _VAR.sub(substitute, token), how


def _command(
    relpath: str, line: _Line, argv: list[str], scope: dict[str, str], context: ProjectContext
) -> list[Reference]:
    argv = [a for a in argv if not a.startswith("--mount=")]
    while argv and argv[0] in {"sudo", "exec", "time", "nohup", "!"}:
        argv = argv[1:]
    if not argv:
        return []
    program = argv[0].rsplit("/", 1)[-1]
    if program in {"hf", "huggingface-cli"} and argv[1:2] == ["download"]:
        return _hf_download(relpath, line, f"{program} download", argv[2:], scope, context)
    if program == "git" and "clone" in argv[1:3]:
        return _git_clone(relpath, line, argv, scope)
    if program in {"wget", "curl"}:
        return _fetch_urls(relpath, line, program, argv[1:], scope)
    if program.startswith("python") and argv[1:4] == ["-m", "spacy", "download"]:
        return _spacy_download(relpath, line, argv[4:])
    if program.startswith("python") and "-c" in argv[1:-1]:
        code = argv[argv.index("-c") + 1]
        return [replace(r, line=line.first) for r in analyze_python(relpath, code, context)]
    found = _flags(relpath, line, argv, scope, context)
    if program == "vllm" and argv[1:2] == ["serve"] and len(argv) > 2:
        found += _positional_model(relpath, line, "vllm serve", argv[2], scope, context)
    return found


def _hf_download(
    relpath: str,
    line: _Line,
    api: str,
    args: list[str],
    scope: dict[str, str],
    context: ProjectContext,
) -> list[Reference]:
    positional: list[str] = []
    options: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        name, eq, inline = arg.partition("=")
        if name in _FLAG_VALUE_OPTIONS:
            options[name] = inline if eq else (args[index + 1] if index + 1 < len(args) else "")
            index += 1 if eq else 2
            while name in {"--include", "--exclude"} and index < len(args):
                if args[index].startswith("-"):
                    break
                index += 1  # nargs="*" patterns
            continue
        if not arg.startswith("-"):
            positional.append(arg)
        index += 1
    if options.get("--repo-type", "model") != "model" or not positional:
        return []
    model, how = _expand(positional[0], scope)
    if "$" in model or not is_hub_id(model, context):
        reason = f"the model id comes from {positional[0]}"
        return [_unresolved(relpath, line.first, api, reason)] if "$" in model else []
    files = tuple(_expand(p, scope)[0] for p in positional[1:])
    revision = _expand(options["--revision"], scope)[0] if "--revision" in options else None
    reference = _ref(relpath, line.line_of(positional[0]), model, api, how, "high")
    return [
        replace(reference, revision=revision, files=files, library="file" if files else "snapshot")
    ]


def _git_clone(
    relpath: str, line: _Line, argv: list[str], scope: dict[str, str]
) -> list[Reference]:
    revision = None
    for flag in ("-b", "--branch"):
        if flag in argv[:-1]:
            revision = argv[argv.index(flag) + 1]
    for arg in argv[2:]:
        url, how = _expand(arg, scope)
        url = re.sub(r"^git@hf\.co:", "https://hf.co/", url)
        fields = classify_url(url) if url.startswith(("http://", "https://")) else None
        if fields and fields["hub"] == "huggingface":
            reference = _ref(relpath, line.line_of(arg), fields["model"], "git clone", how, "high")
            return [replace(reference, revision=revision, library="snapshot")]
    return []


def _fetch_urls(
    relpath: str, line: _Line, program: str, args: list[str], scope: dict[str, str]
) -> list[Reference]:
    found = []
    for arg in args:
        url, how = _expand(arg, scope)
        fields = classify_url(url) if url.startswith(("http://", "https://")) else None
        if fields is not None and (fields["hub"] == "url" or fields.get("files")):
            reference = _ref(relpath, line.line_of(arg), fields.pop("model"), program, how, "high")
            found.append(replace(reference, **fields))
    return found


def _flags(
    relpath: str, line: _Line, argv: list[str], scope: dict[str, str], context: ProjectContext
) -> list[Reference]:
    found = []
    for index, arg in enumerate(argv):  # argv[0] too: an image ENTRYPOINT takes bare flags
        if not arg.startswith("-"):
            continue
        flag, eq, inline = arg.partition("=")
        value = inline if eq else (argv[index + 1] if index + 1 < len(argv) else "")
        key = normalize_key(flag.lstrip("-"))
        if value and (is_model_key(key) or key in _MODEL_FLAGS):
            found += _positional_model(relpath, line, f"cli:{flag}", value, scope, context)
    return found


def _positional_model(
    relpath: str, line: _Line, api: str, raw: str, scope: dict[str, str], context: ProjectContext
) -> list[Reference]:
    value, how = _expand(raw, scope)
    if not is_hub_id(value, context):
        return []
    return [
        _ref(
            relpath, line.line_of(raw), value, api, how if how != "literal" else "config", "medium"
        )
    ]


def _ref(relpath: str, line: int, model: str, api: str, how: str, confidence: Any) -> Reference:
    return Reference(
        file=relpath,
        line=line,
        hub="huggingface",
        model=model,
        api=api,
        how=how,
        confidence=confidence,
        library=guess_library(model),
    )


def _spacy_download(relpath: str, line: _Line, args: list[str]) -> list[Reference]:
    """``python -m spacy download en_core_web_sm``: the pipeline the Hub's spacy org hosts."""
    names = [a for a in args if not a.startswith("-")]
    if not names or not re.fullmatch(r"[a-z]{2,3}_\w+", name := names[0].split("-")[0]):
        return []
    reference = _ref(relpath, line.line_of(names[0]), f"spacy/{name}", "spacy download", "literal",
                     "high")  # fmt: skip
    return [replace(reference, library="spacy")]


def _unresolved(relpath: str, line: int, api: str, reason: str) -> Reference:
    return Reference(
        file=relpath, line=line, hub="huggingface", model=None, api=api, reason=reason,
        library="snapshot",
    )  # fmt: skip


# -- detectors ------------------------------------------------------------------------------------
_SHELL_SUFFIXES = (".sh", ".bash", ".zsh", ".dockerfile", ".mk")
_SHELL_NAMES = frozenset({"dockerfile", "containerfile", "makefile", "gnumakefile", "justfile"})
_SHELL_MARKERS = (b"download", b"clone", b"http", b"model", b"MODEL", b"python", b"serve", b"hf")


def _is_dockerfile(relpath: str) -> bool:
    name = relpath.rsplit("/", 1)[-1].lower()
    return name.startswith(("dockerfile", "containerfile")) or name.endswith(".dockerfile")


class ShellDetector(Detector):
    """Shell scripts, Dockerfiles/Containerfiles and Makefile recipes."""

    name = "shell"
    markers = _SHELL_MARKERS

    def handles(self, relpath: str) -> bool:
        name = relpath.rsplit("/", 1)[-1].lower()
        return name.endswith(_SHELL_SUFFIXES) or name in _SHELL_NAMES or _is_dockerfile(relpath)

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        lines = list(enumerate(text.splitlines(), start=1))
        return shell_references(relpath, lines, context, dockerfile=_is_dockerfile(relpath))


_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
_PYTHON_INFO = frozenset({"python", "py", "python3", "ipython", "pycon", "jupyter"})
_SHELL_INFO = frozenset({"bash", "sh", "shell", "console", "zsh", "dockerfile", "docker"})


class MarkdownDetector(Detector):
    """README and docs pages: Hub model links and loader calls in fenced code blocks."""

    name = "markdown"
    markers = (b"huggingface", b"hf.co", b"http", b"```", b"~~~")

    def handles(self, relpath: str) -> bool:
        return relpath.lower().endswith((".md", ".markdown", ".mdx", ".rst"))

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        found: list[Reference] = []
        lines = text.splitlines()
        start = _front_matter_end(lines)
        index = start
        while index < len(lines):
            fence = _FENCE.match(lines[index])
            if fence is None:
                found += _links(relpath, index + 1, lines[index])
                index += 1
                continue
            end = _fence_end(lines, index, fence.group(1))
            block = list(enumerate(lines[index + 1 : end], start=index + 2))
            found += _code_block(relpath, fence.group(2).lower(), block, context)
            index = end + 1
        return [replace(r, confidence="low") for r in found if r.model is not None]


def _front_matter_end(lines: list[str]) -> int:
    """Skip a model card's YAML header: its ``base_model`` is provenance, not a dependency."""
    if lines and lines[0].strip() == "---":
        return next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    return 0


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    closing = fence[0] * len(fence)
    return next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip().startswith(closing)),
        len(lines),
    )


def _code_block(
    relpath: str, info: str, block: list[tuple[int, str]], context: ProjectContext
) -> list[Reference]:
    found: list[Reference] = []
    if info in _PYTHON_INFO or not info:
        code = "\n".join(re.sub(r"^(>>>|\.\.\.) ?", "", text) for _, text in block)
        offset = block[0][0] - 1 if block else 0
        found += [replace(r, line=r.line + offset) for r in analyze_python(relpath, code, context)]
    if info in _SHELL_INFO or not info:
        shell = [(n, re.sub(r"^\s*[$%] ", "", text)) for n, text in block]
        found += shell_references(relpath, shell, context, dockerfile=info.startswith("docker"))
    return found


def _links(relpath: str, number: int, text: str) -> list[Reference]:
    found = []
    for match in _URL.finditer(text):
        fields = classify_url(match.group(0))
        if fields is None:
            continue
        model = fields.pop("model")
        reference = _ref(relpath, number, model, "link", "doc", "low")
        found.append(replace(reference, **fields))
    return found


class RequirementsDetector(Detector):
    """spaCy model wheels pinned by URL in requirements files."""

    name = "requirements"
    markers = (b"spacy", b"_core_", b"http")

    def handles(self, relpath: str) -> bool:
        lowered = relpath.lower()
        name = lowered.rsplit("/", 1)[-1]
        if not name.endswith((".txt", ".in")):
            return False
        return name.startswith(("requirements", "constraints")) or "/requirements/" in f"/{lowered}"

    def detect(self, relpath: str, text: str, context: ProjectContext) -> list[Reference]:
        found = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split(" #", 1)[0].strip()
            url = next((m.group(0) for m in _URL.finditer(line)), None)
            if url and _SPACY_MODEL.search(line):
                found.append(
                    Reference(
                        file=relpath,
                        line=number,
                        hub="url",
                        model=url.split("#")[0],
                        api="requirements",
                        how="literal",
                        library="spacy",
                    )
                )
        return found
