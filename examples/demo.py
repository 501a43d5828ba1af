"""The whole ptmlock job on the bundled example, with no internet.

1. build the example's model repos and serve them with ptmlock's Hub-compatible mirror
   on 127.0.0.1 (standing in for huggingface.co);
2. `ptmlock scan` the application in examples/app and write out/ptm.lock;
3. `ptmlock install` (then again: nothing to do), `ptmlock verify`;
4. `ptmlock export` a CycloneDX ML-BOM;
5. load the application's models with real transformers (AutoConfig, AutoTokenizer: no torch)
   and HF_HUB_OFFLINE=1, the mirror stopped, and say what that proves.

Run from the repository root: python examples/demo.py [--out DIR]   (default: out/)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from hub_repos import build  # noqa: E402

from ptmlock.lockfile import read_lock  # noqa: E402
from ptmlock.mirror import MirrorServer  # noqa: E402

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


def run(env: dict[str, str], *args: str) -> None:
    print(f"\n$ ptmlock {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "ptmlock", *args], env=env, check=True, cwd=ROOT)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="outputs (replaced)")
    out = parser.parse_args(argv).out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    store = build(out / "mirror")
    with MirrorServer(store) as server:
        env = dict(os.environ)
        env.update(
            HF_ENDPOINT=server.url, HF_HOME=str(out / "hf-home"), HF_HUB_DISABLE_TELEMETRY="1"
        )
        env.pop("HF_TOKEN", None)
        env.pop("HF_HUB_OFFLINE", None)
        print(f"mirror of {len(store.repos())} model repos serving at {server.url}")
        lock = str(out / "ptm.lock")
        run(env, "scan", "examples/app", "--lock", lock)
        run(env, "install", "--lock", lock)
        run(env, "install", "--lock", lock)
        run(env, "verify", "--lock", lock)
        run(
            env,
            "export",
            "--lock",
            lock,
            "--format",
            "cyclonedx-json",
            "-o",
            str(out / "models.cdx.json"),
        )
    offline = env | {"HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"}
    print(
        "\n$ HF_HUB_OFFLINE=1 (the application's loading calls, real transformers, mirror stopped)"
    )
    subprocess.run([sys.executable, "-c", OFFLINE_CHECK], env=offline, check=True)
    print(WHAT_IT_PROVES)
    models = read_lock(Path(lock)).models
    print(f"\ndone: {len(models)} models locked in {lock}, installed, verified, exported to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
