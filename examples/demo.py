"""The whole ptmlock job on the bundled example, with no internet, through the CLI.

1. commit the example's model repos into a mirror folder with `ptmlock mirror add` and serve
   it with `ptmlock serve` on 127.0.0.1 (standing in for huggingface.co);
2. `ptmlock scan` the application in examples/app and write out/ptm.lock; `ptmlock check`;
3. `ptmlock install --locked` (then again: nothing to do), `ptmlock verify`;
4. `ptmlock export` a CycloneDX ML-BOM;
5. load the application's models with real transformers (AutoConfig, AutoTokenizer: no torch)
   and HF_HUB_OFFLINE=1, the mirror stopped, and say what that proves.

Run from the repository root: python examples/demo.py [--out DIR]   (default: out/)
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from hub_repos import write_folders  # noqa: E402

from ptmlock.lockfile import read_lock  # noqa: E402

# The application's loading calls, run with HF_HUB_OFFLINE=1 after the mirror is stopped, by
# the real libraries. transformers' AutoConfig and AutoTokenizer need no torch, which keeps
# this demo light; what needs torch (model weights, diffusers, sentence-transformers) is loaded
# by tests/offline/test_real_libraries.py with the real libraries on tiny real models.
OFFLINE_CHECK = """
from huggingface_hub import hf_hub_download
from transformers import AutoConfig, AutoTokenizer

def show(what, model, revision="main"):
    print(f"  offline load ok: {model}@{revision}: {what}")

for model, revision in [
    ("ptmlock-demo/tiny-bert", None),            # triage.load_encoder
    ("ptmlock-demo/tiny-sentiment", "v1.0"),     # triage.load_sentiment (pinned to a tag)
    ("ptmlock-demo/mini-embed", None),           # triage.load_embedder's transformer module
]:
    tokenizer = AutoTokenizer.from_pretrained(model, revision=revision)
    config = AutoConfig.from_pretrained(model, revision=revision)
    ids = tokenizer("Help me please")["input_ids"]
    show(f"AutoTokenizer {type(tokenizer).__name__} {ids}, AutoConfig {config.model_type}",
         model, revision or "main")
config = AutoConfig.from_pretrained("ptmlock-demo/tiny-t5")  # replies.load_summarizer
show(f"AutoConfig {config.model_type}", "ptmlock-demo/tiny-t5")
# replies.local_llm_path: the application's own call
# replies.local_llm_path: the application's own call
path = hf_hub_download("ptmlock-demo/tiny-llm-gguf", "tiny-llm.Q4_K_M.gguf")
show(f"hf_hub_download {path.rsplit('/', 1)[-1]}", "ptmlock-demo/tiny-llm-gguf")
"""
WHAT_IT_PROVES = """
What this proves: with the hub gone (HF_HUB_OFFLINE=1, the mirror stopped), transformers itself
found and parsed the locked configs and tokenizers in the HF cache ptmlock installed (including
the files it probes and the repo lacks, recorded in the lock as `absent`), at the pinned
revisions (a tag too). It does not load weights here (that needs torch): tiny-sd's pipeline and
the weights of the others are installed and verified byte for byte above, and tests/offline
loads real weights with transformers, sentence-transformers, diffusers, timm, open_clip and PEFT.
"""


def shown(path: Path) -> str:
    """A path as the user would type it from the repository root."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run(env: dict[str, str], *args: str) -> None:
    print(f"\n$ ptmlock {shlex.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "ptmlock", *args], env=env, check=True, cwd=ROOT)


def serve(env: dict[str, str], mirror: str) -> tuple[subprocess.Popen[str], str]:
    """`ptmlock serve` on a free port; returns the process and the URL it printed."""
    print(f"\n$ ptmlock serve {mirror} --port 0 &", flush=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "ptmlock", "serve", mirror, "--port", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    print(line, end="", flush=True)
    found = re.search(r"at (http://\S+)", line)
    if found is None:
        server.kill()
        raise SystemExit(f"ptmlock serve did not start: {line!r}")
    return server, found.group(1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="outputs (replaced)")
    out = parser.parse_args(argv).out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = dict(os.environ)
    env.update(HF_HOME=str(out / "hf-home"), HF_HUB_DISABLE_TELEMETRY="1")
    env.pop("HF_TOKEN", None)
    env.pop("HF_HUB_OFFLINE", None)
    mirror = shown(out / "mirror")
    for revision, folder in write_folders(out / "repos"):
        tags = [arg for tag in revision.tags for arg in ("--tag", tag)]
        args = ["mirror", "add", mirror, revision.repo_id, shown(folder), *tags]
        run(env, *args, "--message", revision.message)
    server, url = serve(env, mirror)
    try:
        env["HF_ENDPOINT"] = url
        lock = shown(out / "ptm.lock")
        run(env, "scan", "examples/app", "--lock", lock)
        run(env, "check", "examples/app", "--lock", lock)
        run(env, "install", "--locked", "--lock", lock, "--project", "examples/app")
        run(env, "install", "--lock", lock)
        run(env, "verify", "--lock", lock)
        bom = shown(out / "models.cdx.json")
        run(env, "export", "--lock", lock, "--format", "cyclonedx-json", "-o", bom)
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends: the server stops cleanly
        server.wait(timeout=30)
    offline = env | {"HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"}
    print(
        "\n$ HF_HUB_OFFLINE=1 (the application's loading calls, real transformers, mirror stopped)"
    )
    subprocess.run([sys.executable, "-c", OFFLINE_CHECK], env=offline, check=True, cwd=ROOT)
    print(WHAT_IT_PROVES)
    models = read_lock(ROOT / lock).models
    print(
        f"\ndone: {len(models)} models locked in {lock}, installed, verified, exported to "
        f"{shown(out)}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
