"""End to end: the README's first command's main job, on the bundled example."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ptmlock.lockfile import read_lock

ROOT = Path(__file__).resolve().parents[1]


def test_demo_scans_installs_verifies_exports_and_loads_offline() -> None:
    out = ROOT / "out"  # the README's command exactly (out/ is git-ignored)
    done = subprocess.run(
        [sys.executable, "examples/demo.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lock = read_lock(out / "ptm.lock")
    assert sorted(m.id for m in lock.models) == [
        "ptmlock-demo/mini-embed",
        "ptmlock-demo/tiny-bert",
        "ptmlock-demo/tiny-llm-gguf",
        "ptmlock-demo/tiny-sd",
        "ptmlock-demo/tiny-sentiment",
        "ptmlock-demo/tiny-t5",
    ]
    sentiment = lock.find("huggingface", "ptmlock-demo/tiny-sentiment")
    assert sentiment is not None and sentiment.requested == "v1.0"
    sd = lock.find("huggingface", "ptmlock-demo/tiny-sd")
    assert sd is not None
    assert not [f.path for f in sd.files if ".fp16." in f.path]  # variants nobody loads
    assert "nothing to do" in done.stdout
    # the mirror is built and served through the CLI, as a user would
    assert done.stdout.count("\n$ ptmlock mirror add ") == 7
    assert "\n$ ptmlock serve " in done.stdout and "serving 6 repo(s) from " in done.stdout
    assert "$ ptmlock install --locked " in done.stdout
    assert str(ROOT) not in done.stdout  # every path as typed from the repository root
    assert "$ ptmlock scan examples/app --lock out/ptm.lock" in done.stdout
    assert "done: 6 models locked in out/ptm.lock" in done.stdout
    # real transformers (AutoTokenizer, AutoConfig) and hf_hub_download, offline, mirror stopped
    assert done.stdout.count("offline load ok") == 5
    assert "AutoTokenizer BertTokenizer [2, 5, 6, 7, 3]" in done.stdout
    assert "What this proves" in done.stdout
    bert = lock.find("huggingface", "ptmlock-demo/tiny-bert")
    assert bert is not None and "special_tokens_map.json" in bert.absent
    bom = json.loads((out / "models.cdx.json").read_text())
    models = [c for c in bom["components"] if c["type"] == "machine-learning-model"]
    assert len(models) >= 6
