"""Find and scan every pickle in a pickle-based model file, by its container format.

- a torch zip archive (``torch.save`` since 1.6, TorchScript): every ``*.pkl`` member;
- a legacy tar checkpoint (torch < 0.4): ``sys_info``, ``pickle``, and the pickles that head
  each record in ``storages`` and ``tensors`` (the raw data between them is skipped by size);
- a legacy torch stream (magic-number pickle first): its five pickles, then raw storages;
- a plain pickle (``.pkl``, ``.joblib``): pickles back to back, until the bytes stop being one.

Nothing is unpickled. Any failure becomes a ``problem`` string on the result; only a bug raises.
"""

from __future__ import annotations

import struct
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ptmlock.audit.pickle_ops import (
    DEFAULT_LIMITS,
    Import,
    Limits,
    PickleError,
    PickleScan,
    scan_pickle,
)

__all__ = ["PICKLE_SUFFIXES", "FileScan", "Found", "is_pickle_based", "scan_file"]

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".tar")
_LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."  # pickle of torch's MAGIC_NUMBER
_PROTO = 0x80
_MAX_COMPRESSED_MEMBER = 1 << 30  # a deflated pickle this large is a zip bomb, not a checkpoint
_MAX_MEMBERS = 100_000
_ELEMENT_SIZE = {
    "Double": 8, "Float": 4, "Half": 2, "BFloat16": 2, "Long": 8, "Int": 4, "Short": 2,
    "Char": 1, "Byte": 1, "Bool": 1, "ComplexFloat": 8, "ComplexDouble": 16, "QInt8": 1,
    "QUInt8": 1, "QInt32": 4, "QUInt4x2": 1, "QUInt2x4": 1, "Untyped": 1,
}  # fmt: skip


_Skipper = Callable[[IO[bytes], list[Import]], None]


@dataclass(frozen=True, slots=True)
class Found:
    member: str | None  # the archive member holding the pickle; None for the file itself
    item: Import


@dataclass(slots=True)
class FileScan:
    """What one file held: its format, the imports found, and what stopped the scan."""

    format: str = "unknown"  # zip | tar | legacy | pickle | not-pickle
    imports: list[Found] = field(default_factory=list)
    pickles: int = 0
    problems: list[str] = field(default_factory=list)


def is_pickle_based(path: str) -> bool:
    return path.lower().endswith(PICKLE_SUFFIXES)


def scan_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> FileScan:
    """Scan the file at ``path``; every import is listed with the member it came from."""
    result = FileScan()
    with path.open("rb") as stream:
        head = stream.read(512)
        stream.seek(0)
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            result.format = "zip"
            _scan_zip(stream, result, limits)
        elif len(head) >= 262 and head[257:262] == b"ustar":
            result.format = "tar"
            _scan_tar(stream, result, limits)
        elif head.startswith(_LEGACY_MAGIC):
            result.format = "legacy"
            _scan_run(stream, None, result, limits, count=5)
        else:
            result.format = "pickle"
            _scan_run(stream, None, result, limits, count=None)
            if result.pickles == 0 and result.problems:
                result.format = "not-pickle"
    return result


def _one(stream: IO[bytes], member: str | None, result: FileScan, limits: Limits) -> PickleScan:
    """Scan one pickle, recording its imports even when it turns out malformed."""
    try:
        scan = scan_pickle(stream, limits)
    except PickleError as error:
        partial: PickleScan = getattr(error, "scan", PickleScan())
        result.imports += [Found(member, i) for i in partial.imports]
        raise
    result.imports += [Found(member, i) for i in scan.imports]
    result.pickles += 1
    return scan


def _scan_run(
    stream: IO[bytes], member: str | None, result: FileScan, limits: Limits, *, count: int | None
) -> None:
    """``count`` pickles back to back (None: while the next byte starts another pickle)."""
    where = f"{member}: " if member else ""
    done = 0
    while count is None or done < count:
        start = stream.tell()
        try:
            _one(stream, member, result, limits)
        except PickleError as error:
            if done == 0 and error.ops <= 1:
                result.problems.append(f"{where}not a pickle ({error} at byte {start})")
            else:
                result.problems.append(f"{where}{error} at byte {start + error.offset}")
            return
        done += 1
        if count is None:
            peek = stream.read(1)
            stream.seek(-len(peek), 1)
            if not peek or peek[0] != _PROTO:
                return  # the end, or data a custom unpickler reads (joblib arrays): not pickles


def _scan_zip(stream: IO[bytes], result: FileScan, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        result.problems.append(f"not a readable zip archive (truncated?): {error}")
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > _MAX_MEMBERS:
            result.problems.append(f"{len(infos)} members: over the {_MAX_MEMBERS} scanned")
        for info in infos[:_MAX_MEMBERS]:
            if info.filename.endswith(".pkl"):
                _scan_member(archive, info, result, limits)


def _scan_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, result: FileScan, limits: Limits
) -> None:
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > _MAX_COMPRESSED_MEMBER:
        result.problems.append(f"{info.filename}: compressed member of {info.file_size} bytes")
        return
    try:
        with archive.open(info) as member:
            _scan_run(member, info.filename, result, limits, count=None)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        result.problems.append(f"{info.filename}: unreadable member ({error})")


def _scan_tar(stream: IO[bytes], result: FileScan, limits: Limits) -> None:
    try:
        with tarfile.open(fileobj=stream, mode="r:") as archive:
            members = _tar_members(archive, result)
            for name in ("sys_info", "pickle"):
                if name in members:
                    with _member(archive, members[name]) as member:
                        _scan_run(member, name, result, limits, count=1)
            for name, skip in (("storages", _skip_storage), ("tensors", _skip_tensor)):
                if name in members:
                    with _member(archive, members[name]) as member:
                        _walk_records(member, name, result, limits, skip)
    except (tarfile.TarError, OSError, EOFError) as error:
        result.problems.append(f"not a readable tar archive (truncated?): {error}")


def _tar_members(archive: tarfile.TarFile, result: FileScan) -> dict[str, tarfile.TarInfo]:
    members: dict[str, tarfile.TarInfo] = {}
    for _ in range(_MAX_MEMBERS):
        info = archive.next()
        if info is None:
            break
        if info.isfile():
            members[info.name] = info
    for name in sorted(set(members) - {"sys_info", "pickle", "storages", "tensors"}):
        result.problems.append(f"{name}: unexpected member in a legacy tar checkpoint")
    return members


@contextmanager
def _member(archive: tarfile.TarFile, info: tarfile.TarInfo) -> Iterator[IO[bytes]]:
    handle = archive.extractfile(info)
    if handle is None:
        raise tarfile.TarError(f"{info.name}: not a file")
    with handle:
        yield handle


def _walk_records(
    stream: IO[bytes], name: str, result: FileScan, limits: Limits, skip: _Skipper
) -> None:
    """A count pickle, then ``count`` records of (pickle, raw data skipped by ``skip``)."""
    try:
        count_scan = _one(stream, name, result, limits)
        count = _small_int(stream, count_scan)
        for _ in range(count):
            before = len(result.imports)
            _one(stream, name, result, limits)
            skip(stream, [f.item for f in result.imports[before:]])
        if name == "storages":
            _one(stream, name, result, limits)  # the storage views
    except PickleError as error:
        result.problems.append(f"{name}: {error}")
    except (ValueError, struct.error, EOFError) as error:
        result.problems.append(f"{name}: record layout not understood ({error})")


def _small_int(stream: IO[bytes], scan: PickleScan) -> int:
    """The int a tiny count pickle holds (``\\x80\\x02K\\x03.`` and the like), read again."""
    stream.seek(-scan.end, 1)
    raw = stream.read(scan.end)
    ops = raw[2:-1] if raw[:1] == b"\x80" else raw[:-1]
    if ops[:1] == b"K" and len(ops) == 2:
        return ops[1]
    if ops[:1] == b"M" and len(ops) == 3:
        return int.from_bytes(ops[1:], "little")
    if ops[:1] == b"J" and len(ops) == 5:
        return int.from_bytes(ops[1:], "little", signed=True)
    raise ValueError("the record count is not a small int")


def _skip_storage(stream: IO[bytes], imports: list[Import]) -> None:
    kind = next((i.name for i in imports if i.name and i.name.endswith("Storage")), None)
    size = _ELEMENT_SIZE.get((kind or "").removesuffix("Storage"))
    if size is None:
        raise ValueError(f"unknown storage type {kind!r}")
    (numel,) = struct.unpack("<q", _exact(stream, 8))
    _skip(stream, numel * size)


def _skip_tensor(stream: IO[bytes], imports: list[Import]) -> None:
    (ndim,) = struct.unpack("<i", _exact(stream, 4))
    if not 0 <= ndim <= 64:
        raise ValueError(f"tensor with {ndim} dimensions")
    _exact(stream, 4 + 16 * ndim + 8)


def _exact(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError("truncated record")
    return data


def _skip(stream: IO[bytes], n: int) -> None:
    if n < 0:
        raise ValueError("negative size")
    here = stream.tell()
    stream.seek(here + n)
    if n and stream.seek(0, 2) < here + n:
        raise EOFError("truncated storage data")
    stream.seek(here + n)
