"""Model references in shell: scripts, Dockerfiles/Containerfiles and Makefile recipes (and, through
``shell_references``, notebook ``!`` lines and Markdown shell blocks).

Found: ``hf download ID``/``huggingface-cli download ID [FILES] [--revision R]``, ``git clone`` of a
Hub repo, ``wget``/``curl`` of a Hub ``resolve`` URL or of a checkpoint URL, ``python -c`` code,
``--model_name_or_path ID``-style flags, ``vllm serve ID``, ``ollama pull TAG``, and model-shaped
``ENV``/``ARG``/``export`` assignments. Simple variables (``MODEL=...; hf download $MODEL``,
``${VAR:-default}``) are followed; a download whose id stays a variable is reported unresolved.

Two things only the whole project can decide are ``Candidate``s: a Hub-shaped value of a flag
that is not model-shaped by name (``--vision_tower org/x``: a model when the project's code reads
that option on its way to a loader), and an environment assignment whose name is not
model-shaped (``EMBEDDING_MODEL`` is; ``ENCODER=org/x`` is when the code reads ``$ENCODER``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ptmlock.models import Reference
from ptmlock.scan.detectors.interface import Candidate, Detector, FileFacts
from ptmlock.scan.detectors.python import summarize_placed
from ptmlock.scan.detectors.shapes import is_hub_id, is_model_key, is_ollama_tag, normalize_key
from ptmlock.scan.detectors.text import URL, classify_url, hub_reference
from ptmlock.scan.detectors.words import split_words
from ptmlock.scan.transforms import ollama_id

__all__ = ["ShellDetector", "shell_references"]


@dataclass(frozen=True, slots=True)
class _Snippet:
    """``python -c CODE``: Python for phase 2, at the line of the command."""

    line: int
    code: str


Found = Reference | Candidate | _Snippet

_ASSIGN = re.compile(
    r"(?<!\w)(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_]\w*)=(\S*)"
)
_DOCKER_INSTRUCTION = re.compile(r"(RUN|ENV|ARG|CMD|ENTRYPOINT)\s+(.*)", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"\s#\s")
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
    relpath: str, lines: list[tuple[int, str]], *, dockerfile: bool = False
) -> FileFacts:
    """What shell ``lines`` (pairs of 1-based line number and text) hold."""
    scope: dict[str, str] = {}
    found: list[Found] = []
    for line in _logical_lines(lines):
        if line.text.lstrip().startswith("#"):
            found += _commented(relpath, line)
            continue
        text = _strip_comment(line.text)
        if dockerfile and (match := _DOCKER_INSTRUCTION.match(text)):
            instruction, text = match.group(1).upper(), match.group(2)
            if instruction in {"ENV", "ARG"}:
                found += _assignments(relpath, line, _docker_pairs(text), scope)
                continue
            if text.startswith("["):
                found += _command(relpath, line, _json_argv(text), scope)
                continue
        for argv in _commands(text):
            found += _run_command(relpath, line, argv, scope)
    snippets = [(f.line, f.code) for f in found if isinstance(f, _Snippet)]
    python = summarize_placed(relpath, snippets).python if snippets else None
    return FileFacts(
        references=tuple(f for f in found if isinstance(f, Reference)),
        candidates=tuple(f for f in found if isinstance(f, Candidate)),
        python=python,
    )


# commands a comment may hold that download a model (``# git clone https://huggingface.co/x/y``)
_COMMENTED_DOWNLOADS = frozenset({"wget", "curl", "git", "hf", "huggingface-cli"})


def _commented(relpath: str, line: _Line) -> list[Found]:
    """``# wget URL``, ``# git clone HUB_URL``: a download left in a comment documents a model
    (low confidence: listed, never locked); else a checkpoint URL in the comment does."""
    found: list[Found] = []
    for argv in _commands(line.text.lstrip().lstrip("#")):
        if argv and argv[0].rsplit("/", 1)[-1] in _COMMENTED_DOWNLOADS:
            found += [
                replace(f, how="doc", confidence="low")
                for f in _command(relpath, line, argv, {})
                if isinstance(f, Reference) and f.model
            ]
    if found:
        return found
    for match in URL.finditer(line.text):
        fields = classify_url(match.group(0))
        if fields is not None and (fields["hub"] == "url" or fields.get("files")):
            reference = hub_reference(
                relpath, line.first, fields.pop("model"), "comment", "doc", "low"
            )
            found.append(replace(reference, **fields))
    return found


def _commands(text: str) -> list[list[str]]:
    """The simple commands of a line, split on ``&&``, ``;``, ``|``... outside quotes."""
    try:
        tokens = split_words(text)  # shlex's words, in linear time (words.py)
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
    if text.lstrip().startswith("#"):
        return ""
    comment = _COMMENT.search(text)  # `\s+#\s.*$` is quadratic on a long run of blanks
    return text[: comment.start()].rstrip() if comment else text


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


def _run_command(relpath: str, line: _Line, argv: list[str], scope: dict[str, str]) -> list[Found]:
    while argv and argv[0] in {"export", "local", "readonly"}:
        argv = argv[1:]
    pairs = []
    while argv and (match := re.fullmatch(r"([A-Za-z_]\w*)=(.*)", argv[0], re.DOTALL)):
        pairs.append((match.group(1), match.group(2)))
        argv = argv[1:]
    found = _assignments(relpath, line, pairs, scope)
    return found + _command(relpath, line, argv, scope)


def _assignments(
    relpath: str, line: _Line, pairs: list[tuple[str, str]], scope: dict[str, str]
) -> list[Found]:
    found: list[Found] = []
    for key, raw in pairs:
        value, _ = _expand(raw, scope)
        scope[key] = value
        if is_ollama_tag(value):
            reference = _ollama(relpath, line, value, f"env:{key}")
        elif is_hub_id(value):
            reference = hub_reference(
                relpath, line.line_of(key), value, f"env:{key}", "config", "medium"
            )
        else:
            continue
        if is_model_key(normalize_key(key)):
            found.append(reference)
        else:
            found.append(Candidate(kind="env", name=key, reference=reference))
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


def _command(relpath: str, line: _Line, argv: list[str], scope: dict[str, str]) -> list[Found]:
    argv = [a for a in argv if not a.startswith("--mount=")]
    while argv and argv[0] in {"sudo", "exec", "time", "nohup", "!"}:
        argv = argv[1:]
    if not argv:
        return []
    program = argv[0].rsplit("/", 1)[-1]
    if program in {"hf", "huggingface-cli"} and argv[1:2] == ["download"]:
        return _hf_download(relpath, line, f"{program} download", argv[2:], scope)
    if program == "git" and "clone" in argv[1:3]:
        return _git_clone(relpath, line, argv, scope)
    if program in {"wget", "curl"}:
        return _fetch_urls(relpath, line, program, argv[1:], scope)
    if program.startswith("python") and argv[1:4] == ["-m", "spacy", "download"]:
        return _spacy_download(relpath, line, argv[4:])
    if program.startswith("python") and "-c" in argv[1:-1]:
        return [_Snippet(line.first, argv[argv.index("-c") + 1])]
    if program == "ollama" and argv[1:2] in (["pull"], ["run"]) and len(argv) > 2:
        return [_ollama(relpath, line, argv[2])]
    found = _flags(relpath, line, argv, scope)
    if program == "vllm" and argv[1:2] == ["serve"] and len(argv) > 2:
        found += list(_positional_model(relpath, line, "vllm serve", argv[2], scope))
    return found


def _hf_download(
    relpath: str,
    line: _Line,
    api: str,
    args: list[str],
    scope: dict[str, str],
) -> list[Found]:
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
    if "$" in model or not is_hub_id(model):
        reason = f"the model id comes from {positional[0]}"
        return [_unresolved(relpath, line.first, api, reason)] if "$" in model else []
    files = tuple(_expand(p, scope)[0] for p in positional[1:])
    revision = _expand(options["--revision"], scope)[0] if "--revision" in options else None
    reference = hub_reference(relpath, line.line_of(positional[0]), model, api, how, "high")
    return [
        replace(reference, revision=revision, files=files, library="file" if files else "snapshot")
    ]


def _git_clone(relpath: str, line: _Line, argv: list[str], scope: dict[str, str]) -> list[Found]:
    revision = None
    for flag in ("-b", "--branch"):
        if flag in argv[:-1]:
            revision = argv[argv.index(flag) + 1]
    for arg in argv[2:]:
        url, how = _expand(arg, scope)
        url = re.sub(r"^git@hf\.co:", "https://hf.co/", url)
        fields = classify_url(url) if url.startswith(("http://", "https://")) else None
        if fields and fields["hub"] == "huggingface":
            reference = hub_reference(
                relpath, line.line_of(arg), fields["model"], "git clone", how, "high"
            )
            return [replace(reference, revision=revision, library="snapshot")]
    return []


def _fetch_urls(
    relpath: str, line: _Line, program: str, args: list[str], scope: dict[str, str]
) -> list[Found]:
    found: list[Found] = []
    for arg in args:
        url, how = _expand(arg, scope)
        fields = (
            classify_url(url, downloaded=True) if url.startswith(("http://", "https://")) else None
        )
        if fields is not None and (fields["hub"] == "url" or fields.get("files")):
            reference = hub_reference(
                relpath, line.line_of(arg), fields.pop("model"), program, how, "high"
            )
            found.append(replace(reference, **fields))
    return found


def _flags(relpath: str, line: _Line, argv: list[str], scope: dict[str, str]) -> list[Found]:
    found: list[Found] = []
    for index, arg in enumerate(argv):  # argv[0] too: an image ENTRYPOINT takes bare flags
        if not arg.startswith("-") or arg == "-":
            continue
        flag, eq, inline = arg.partition("=")
        value = inline if eq else (argv[index + 1] if index + 1 < len(argv) else "")
        key = normalize_key(flag.lstrip("-"))
        if not value or value.startswith("-"):
            continue
        named = _positional_model(relpath, line, f"cli:{flag}", value, scope)
        if is_model_key(key) or key in _MODEL_FLAGS:
            found += named or _library_named(relpath, line, flag, key, value, scope)
        else:
            found += [Candidate(kind="flag", name=key, reference=r) for r in named]
    return found


# a library's own model name (``large-v2``, ``base.en``, ``vit_b_16``): no path, URL or number
_LIBRARY_NAME = re.compile(r"[A-Za-z][\w.-]{0,95}")


def _library_named(
    relpath: str, line: _Line, flag: str, key: str, raw: str, scope: dict[str, str]
) -> list[Found]:
    """``--model large-v2``: phase 2 asks the loader that option reaches for its name."""
    value, how = _expand(raw, scope)
    if not _LIBRARY_NAME.fullmatch(value):
        return []
    reference = Reference(
        file=relpath, line=line.line_of(raw), hub="other", model=value, api=f"cli:{flag}",
        how=how if how != "literal" else "config", confidence="medium",
    )  # fmt: skip
    return [Candidate(kind="named-flag", name=key, reference=reference)]


def _positional_model(
    relpath: str, line: _Line, api: str, raw: str, scope: dict[str, str]
) -> list[Reference]:
    value, how = _expand(raw, scope)
    if value.startswith(("http://", "https://")):
        fields = classify_url(value)
        if fields is None:
            return []
        reference = hub_reference(
            relpath, line.line_of(raw), fields.pop("model"), api, how, "medium"
        )
        return [replace(reference, **fields)]
    if not is_hub_id(value):
        return []
    return [
        hub_reference(
            relpath, line.line_of(raw), value, api, how if how != "literal" else "config", "medium"
        )
    ]


def _ollama(relpath: str, line: _Line, tag: str, api: str = "ollama pull") -> Reference:
    """``ollama pull qwen3:8b``: an Ollama model, inventoried (no hub here can lock it)."""
    return Reference(
        file=relpath, line=line.line_of(tag), hub="other", model=ollama_id(tag),
        api=api, how="literal", confidence="high", library="ollama",
    )  # fmt: skip


def _spacy_download(relpath: str, line: _Line, args: list[str]) -> list[Found]:
    """``python -m spacy download en_core_web_sm``: the pipeline the Hub's spacy org hosts."""
    names = [a for a in args if not a.startswith("-")]
    if not names or not re.fullmatch(r"[a-z]{2,3}_\w+", name := names[0].split("-")[0]):
        return []
    where = line.line_of(names[0])
    reference = hub_reference(relpath, where, f"spacy/{name}", "spacy download", "literal", "high")
    return [replace(reference, library="spacy")]


def _unresolved(relpath: str, line: int, api: str, reason: str) -> Reference:
    return Reference(
        file=relpath, line=line, hub="huggingface", model=None, api=api, reason=reason,
        library="snapshot",
    )  # fmt: skip


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

    def read(self, relpath: str, text: str) -> FileFacts:
        lines = list(enumerate(text.splitlines(), start=1))
        return shell_references(relpath, lines, dockerfile=_is_dockerfile(relpath))
