"""Audit benchmark: ptmlock's pickle scan against picklescan on the same 2 GB checkpoints.

Two files of ``--size`` bytes (default 2 GiB), written by hand into a temporary folder:

- ``pytorch_model.bin``: a torch zip archive (data.pkl of a 32-tensor state_dict, then 32 raw
  storages), as ``torch.save`` writes it;
- ``checkpoint.pkl``: one plain protocol-4 pickle of 32 byte strings (BINBYTES8), with an
  ``os.system`` call at its very end, so a scanner must walk past every tensor to find it.

Each scanner runs in a child process (through bench/_common.py's launcher, which reports the
child's own peak RSS), ``--repeats`` times, alternating; the files stay in the page cache, so
the numbers are CPU and memory, not disk. Both scanners must report ``posix.system`` in the
``.pkl`` for the run to count.

    python bench/bench_audit.py                 # 2 GiB files, 3 repeats
    python bench/bench_audit.py --size 200000000 --repeats 1   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, run_child  # the bench folder is not a package

TENSORS = 32
_CHUNK = b"\0" * (8 << 20)

PTMLOCK = """
import json, sys
from ptmlock.audit.pickle_files import scan_file
scan = scan_file(__import__("pathlib").Path(sys.argv[1]))
print(json.dumps(sorted({f.item.dotted for f in scan.imports})), file=sys.stderr)
"""
PICKLESCAN = """
import json, sys
from picklescan.scanner import scan_file_path
result = scan_file_path(sys.argv[1])
print(json.dumps(sorted({f"{g.module}.{g.name}" for g in result.globals})), file=sys.stderr)
"""


def _zeros(out: object, size: int) -> None:
    write = out.write  # type: ignore[attr-defined]
    while size > 0:
        write(_CHUNK[: min(size, len(_CHUNK))])
        size -= len(_CHUNK)


def _state_dict_pickle(count: int, numel: int) -> bytes:
    parts = [b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01("]
    for i in range(count):
        key = f"layers.{i}.weight".encode()
        parts.append(b"X" + struct.pack("<I", len(key)) + key)
        parts.append(b"ctorch._utils\n_rebuild_tensor_v2\n(")
        parts.append(b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\n")
        name = str(i).encode()
        parts.append(b"X" + struct.pack("<I", len(name)) + name + b"X\x03\x00\x00\x00cpu")
        parts.append(b"J" + struct.pack("<i", numel) + b"tQK\x00J" + struct.pack("<i", numel))
        parts.append(b"\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR")
    parts.append(b"u.")
    return b"".join(parts)


def write_torch_zip(path: Path, size: int) -> None:
    per = size // TENSORS
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr("pytorch_model/data.pkl", _state_dict_pickle(TENSORS, per // 4))
        for i in range(TENSORS):
            info = zipfile.ZipInfo(f"pytorch_model/data/{i}")
            with archive.open(info, "w", force_zip64=True) as member:
                _zeros(member, per)
        archive.writestr("pytorch_model/version", "3\n")


def write_plain_pickle(path: Path, size: int) -> None:
    per = size // TENSORS
    with path.open("wb") as out:
        out.write(b"\x80\x04}(")  # PROTO 4, EMPTY_DICT, MARK
        for i in range(TENSORS):
            key = f"layers.{i}.weight".encode()
            out.write(b"\x8c" + bytes([len(key)]) + key + b"\x8e" + struct.pack("<Q", per))
            _zeros(out, per)
        out.write(b"\x8c\x01xcposix\nsystem\n\x8c\x04true\x85R")  # x = os.system("true")
        out.write(b"u.")  # SETITEMS, STOP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2 << 30, help="bytes per file")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="ptmlock-bench-audit-") as folder:
        files = {
            "torch zip .bin": Path(folder) / "pytorch_model.bin",
            "plain .pkl": Path(folder) / "checkpoint.pkl",
        }
        write_torch_zip(files["torch zip .bin"], args.size)
        write_plain_pickle(files["plain .pkl"], args.size)
        for label, path in files.items():
            size_mb = path.stat().st_size / 1e6
            runs: dict[str, list[tuple[float, float]]] = {"ptmlock": [], "picklescan": []}
            for _ in range(args.repeats):
                for name, script in (("ptmlock", PTMLOCK), ("picklescan", PICKLESCAN)):
                    run = run_child([sys.executable, "-c", script, str(path)], env)
                    found = json.loads(run.stderr.strip().splitlines()[-1])
                    if label == "plain .pkl" and "posix.system" not in found:
                        raise SystemExit(f"{name} missed posix.system in {path}: {found}")
                    runs[name].append((run.seconds, run.max_rss_mb))
            results[label] = {
                name: {
                    "seconds": median([s for s, _ in values]),
                    "mb_per_s": size_mb / median([s for s, _ in values]),
                    "peak_rss_mb": max(r for _, r in values),
                    "size_mb": size_mb,
                }
                for name, values in runs.items()
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"pickle scan, median of {args.repeats} (child process wall time incl. start-up)")
    print(f"{'file':16} {'scanner':11} {'MB':>7} {'s':>7} {'MB/s':>9} {'peak RSS MB':>12}")
    for label, by_name in results.items():
        for name, r in by_name.items():
            print(
                f"{label:16} {name:11} {r['size_mb']:7.0f} {r['seconds']:7.2f} "
                f"{r['mb_per_s']:9.0f} {r['peak_rss_mb']:12.0f}"
            )
        ours, theirs = by_name["ptmlock"], by_name["picklescan"]
        time_ratio = ours["seconds"] / theirs["seconds"]
        rss_ratio = ours["peak_rss_mb"] / theirs["peak_rss_mb"]
        print(f"{label:16} ptmlock/picklescan: time {time_ratio:.2f}x, peak RSS {rss_ratio:.2f}x")


if __name__ == "__main__":
    main()
