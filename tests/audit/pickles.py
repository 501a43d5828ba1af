"""Model files for audit tests, built by hand: torch zip archives, legacy tar and stream
checkpoints, and hostile pickles. Nothing here is ever unpickled by the code under test."""

from __future__ import annotations

import io
import os
import pickle
import struct
import tarfile
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

__all__ = ["Evil", "legacy_stream", "legacy_tar", "state_dict_pickle", "torch_zip"]


class Evil:
    """Would run ``touch <marker>`` when unpickled: the scanner must flag it, never run it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


class _Storage:
    """Pickles as torch's own state_dict does: ``torch._utils._rebuild_tensor_v2`` over a
    persistent-id storage, so the bytes look like torch.save output without torch."""


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def state_dict_pickle(extra: Any = None, *, protocol: int = 2) -> bytes:
    """A protocol-2 pickle shaped like ``torch.save(state_dict)``'s data.pkl (hand assembled)."""
    out = io.BytesIO()
    out.write(b"\x80\x02")
    out.write(_global("collections", "OrderedDict") + b")R")  # OrderedDict()
    for key in ("encoder.weight", "encoder.bias"):
        out.write(b"X" + struct.pack("<I", len(key)) + key.encode())  # BINUNICODE key
        out.write(_global("torch._utils", "_rebuild_tensor_v2"))
        out.write(b"(")  # MARK of the args tuple
        out.write(b"(X\x07\x00\x00\x00storage" + _global("torch", "FloatStorage"))
        out.write(b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ")  # BINPERSID
        out.write(b"K\x00K\x04\x85K\x01\x85\x89" + _global("collections", "OrderedDict") + b")R")
        out.write(b"tR")  # TUPLE, REDUCE
        out.write(b"s")  # SETITEM
    if extra is not None:
        tail = pickle.dumps(extra, protocol=protocol)
        body = tail[2:-1] if tail.startswith(b"\x80") else tail[:-1]
        out.write(b"X\x05\x00\x00\x00extra" + body + b"s")
    out.write(b".")
    return out.getvalue()


def torch_zip(data_pkl: bytes, *, name: str = "archive") -> bytes:
    """torch's zip format: ``<name>/data.pkl``, ``<name>/data/0``, ``<name>/version``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}/data.pkl", data_pkl)
        archive.writestr(f"{name}/byteorder", "little")
        archive.writestr(f"{name}/data/0", b"\0" * 64)
        archive.writestr(f"{name}/version", "3\n")
    return buffer.getvalue()


_MAGIC = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)


def legacy_stream(main: bytes, storage_bytes: int = 64) -> bytes:
    """torch < 1.6: magic, protocol, sys_info, the main pickle, storage keys, raw data."""
    parts = [
        _MAGIC,
        pickle.dumps(1001, protocol=2),
        pickle.dumps({"little_endian": True}, protocol=2),
        main,
        pickle.dumps(["0"], protocol=2),
        struct.pack("<q", storage_bytes // 4) + b"\x80" * storage_bytes,  # looks like PROTO
    ]
    return b"".join(parts)


def legacy_tar(main: bytes, storage_header: bytes | None = None) -> bytes:
    """torch < 0.4's tar checkpoint: sys_info, pickle, storages (records), tensors (records)."""
    header = storage_header or (
        b"\x80\x02(X\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
        + _global("torch", "FloatStorage")
        + b"t."
    )
    storages = pickle.dumps(1, protocol=2) + header + struct.pack("<q", 4) + b"\x80" * 16
    storages += pickle.dumps([], protocol=2)
    tensor = pickle.dumps(("t0", "0", None), protocol=2)
    tensors = pickle.dumps(1, protocol=2) + tensor + struct.pack("<ii", 1, 0)
    tensors += struct.pack("<qqq", 4, 1, 0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in (
            ("sys_info", pickle.dumps({"little_endian": True}, protocol=2)),
            ("pickle", main),
            ("storages", storages),
            ("tensors", tensors),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def ordered(**items: Any) -> OrderedDict[str, Any]:
    return OrderedDict(items)
