"""The whole ptmlock job on the bundled example, with no internet.

1. build the example's model repos and serve them with ptmlock's Hub-compatible mirror
   on 127.0.0.1 (standing in for huggingface.co);
2. `ptmlock scan` the application in examples/app and write out/ptm.lock;
3. `ptmlock install` (then again: nothing to do), `ptmlock verify`;
4. `ptmlock export` a CycloneDX ML-BOM;
5. prove the application would load every model with HF_HUB_OFFLINE=1.

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

OFFLINE_CHECK = """
import sys
from huggingface_hub import hf_hub_download
from ptmlock.lockfile import read_lock
lock = read_lock(__import__("pathlib").Path(sys.argv[1]))
for model in lock.models:
    for file in model.files:
        # the call transformers, diffusers and sentence-transformers make under the hood
        hf_hub_download(model.id, file.path, revision=model.requested or "main")
    print(f"  offline load ok: {model.id}@{model.requested or 'main'} ({len(model.files)} files)")
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
    print("\n$ HF_HUB_OFFLINE=1 (the application's own loading calls, mirror stopped)")
    subprocess.run([sys.executable, "-c", OFFLINE_CHECK, lock], env=offline, check=True)
    models = read_lock(Path(lock)).models
    print(f"\ndone: {len(models)} models locked in {lock}, installed, verified, exported to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
