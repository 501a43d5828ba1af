"""The pickle scanner over every container, on benign, malicious and hostile bytes."""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import struct
import zipfile
from pathlib import Path

import pytest

from ptmlock.audit import pickle_files
from ptmlock.audit.pickle_files import FileScan, scan_file
from ptmlock.audit.pickle_ops import Limits
from ptmlock.audit.pickle_policy import classify
from tests.audit.pickles import Evil, legacy_stream, legacy_tar, state_dict_pickle, torch_zip


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _verdicts(scan: FileScan) -> set[tuple[str, str]]:
    return {(f.item.dotted, classify(f.item.module, f.item.name)) for f in scan.imports}


def test_state_dict_pickle_is_torch_loadable_shape_and_all_safe(tmp_path: Path) -> None:
    pickletools.dis(state_dict_pickle(), out=io.StringIO())  # well formed, by the stdlib
    scan = scan_file(_write(tmp_path, "pytorch_model.bin", torch_zip(state_dict_pickle())))
    assert scan.format == "zip" and scan.pickles == 1 and not scan.problems
    assert {v for _, v in _verdicts(scan)} == {"safe"}
    assert ("torch._utils._rebuild_tensor_v2", "safe") in _verdicts(scan)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_scan_file_flags_os_system_in_every_protocol_and_never_runs_it(
    tmp_path: Path, protocol: int
) -> None:
    marker = tmp_path / "pwned"
    path = _write(tmp_path, "model.pkl", pickle.dumps({"w": Evil(marker)}, protocol=protocol))
    scan = scan_file(path)
    assert (f"{os.system.__module__}.system", "dangerous") in _verdicts(scan)
    assert not marker.exists()


def test_scan_file_finds_the_pickle_inside_a_torch_zip(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = torch_zip(state_dict_pickle(Evil(marker)), name="pytorch_model")
    scan = scan_file(_write(tmp_path, "pytorch_model.bin", data))
    found = [f for f in scan.imports if classify(f.item.module, f.item.name) == "dangerous"]
    assert [(f.member, f.item.name) for f in found] == [("pytorch_model/data.pkl", "system")]
    assert not marker.exists()


def test_stack_global_through_the_memo_is_followed(tmp_path: Path) -> None:
    # protocol 4: the second use of a module name comes from the memo (BINGET)
    data = pickle.dumps([Evil(tmp_path / "a"), os.system, os.getcwd], protocol=4)
    assert b"\x94" in data  # MEMOIZE
    names = {f.item.dotted for f in scan_file(_write(tmp_path, "m.pkl", data)).imports}
    assert {"posix.system", "posix.getcwd"} <= names or {"nt.system", "nt.getcwd"} <= names


def test_stack_global_with_non_string_operands_is_dangerous(tmp_path: Path) -> None:
    # builtins.getattr result used as a STACK_GLOBAL operand: the import is hidden on purpose
    data = b"\x80\x04(K\x01K\x02\x93."
    scan = scan_file(_write(tmp_path, "m.pkl", data))
    assert [classify(f.item.module, f.item.name) for f in scan.imports] == ["dangerous"]


def test_legacy_stream_scans_five_pickles_and_skips_the_raw_storages(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    scan = scan_file(_write(tmp_path, "m.pt", legacy_stream(state_dict_pickle(Evil(marker)))))
    assert scan.format == "legacy" and scan.pickles == 5 and not scan.problems
    assert any(v == "dangerous" for _, v in _verdicts(scan))


def test_legacy_tar_scans_every_record_pickle(tmp_path: Path) -> None:
    clean = scan_file(_write(tmp_path, "clean.tar", legacy_tar(state_dict_pickle())))
    assert clean.format == "tar" and not clean.problems, clean.problems
    assert {v for _, v in _verdicts(clean)} == {"safe"}
    hidden = b"\x80\x02(X\x01\x00\x00\x000" + b"cposix\nsystem\n" + b"t."  # in a storage header
    evil = scan_file(_write(tmp_path, "evil.tar", legacy_tar(state_dict_pickle(), hidden)))
    assert any(f.member == "storages" and f.item.name == "system" for f in evil.imports)


def test_not_a_pickle_is_reported_not_raised(tmp_path: Path) -> None:
    scan = scan_file(_write(tmp_path, "model.bin", b"\x01\x02\x03 definitely not a pickle"))
    assert scan.format == "not-pickle" and scan.imports == []
    assert scan.problems == ["not a pickle (not a pickle opcode: 0x01 at byte 0)"]


def test_truncated_zip_is_reported(tmp_path: Path) -> None:
    data = torch_zip(state_dict_pickle())
    scan = scan_file(_write(tmp_path, "model.bin", data[: len(data) // 2]))
    assert scan.format == "zip" and "not a readable zip archive" in scan.problems[0]


def test_truncated_pickle_keeps_what_it_found(tmp_path: Path) -> None:
    data = pickle.dumps([Evil(tmp_path / "x"), list(range(1000))], protocol=2)
    scan = scan_file(_write(tmp_path, "m.pkl", data[:-40]))
    assert "truncated" in scan.problems[0]
    assert any(f.item.name == "system" for f in scan.imports)


def test_huge_memo_bomb_stays_bounded(tmp_path: Path) -> None:
    # 200k memo entries of strings, then a STACK_GLOBAL reading one the scan had to drop
    body = b"".join(b"X\x02\x00\x00\x00os" + b"r" + struct.pack("<I", i) for i in range(200_000))
    get = b"j" + struct.pack("<I", 199_999) + b"X\x06\x00\x00\x00system\x93"
    path = _write(tmp_path, "bomb.pkl", b"\x80\x04" + body + get + b".")
    scan = scan_file(path, Limits(max_memo_strings=1000))
    assert [classify(f.item.module, f.item.name) for f in scan.imports] == ["dangerous"]


def test_deep_nesting_is_a_loop_not_recursion(tmp_path: Path) -> None:
    depth = 1_000_000
    data = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."
    scan = scan_file(_write(tmp_path, "deep.pkl", data))
    assert scan.pickles == 1 and not scan.problems


def test_opcode_limit_stops_the_scan_and_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.pkl", b"\x80\x02" + b"N0" * 50_000 + b"N.")
    scan = scan_file(path, Limits(max_ops=10_000))
    assert "over 10000 opcodes" in scan.problems[0]


def test_multi_gigabyte_argument_is_skipped_not_read(tmp_path: Path) -> None:
    # a sparse 3 GiB file: one BINBYTES8 argument, then a dangerous GLOBAL and STOP
    size = 3 << 30
    path = tmp_path / "big.pkl"
    with path.open("wb") as out:
        out.write(b"\x80\x04\x8e" + struct.pack("<Q", size))
        out.seek(size, 1)
        out.write(b"0cposix\nsystem\n.")
    scan = scan_file(path)
    assert scan.pickles == 1 and not scan.problems
    assert [f.item.dotted for f in scan.imports] == ["posix.system"]


def test_argument_longer_than_the_file_is_truncation(tmp_path: Path) -> None:
    path = _write(tmp_path, "lie.pkl", b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"x")
    assert "runs past the end" in scan_file(path).problems[0]


def test_compressed_zip_member_over_the_limit_is_not_inflated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pickle_files, "_MAX_COMPRESSED_MEMBER", 1 << 20)
    path = tmp_path / "bomb.bin"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("archive/data.pkl")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            chunk = b"N" * (1 << 20)
            for _ in range(3):
                member.write(chunk)
    scan = scan_file(path)
    assert scan.imports == [] and "compressed member" in scan.problems[0]


@pytest.mark.parametrize(
    ("module", "name", "verdict"),
    [
        ("builtins", "exec", "dangerous"),
        ("subprocess", "Popen", "dangerous"),
        ("os.path", "join", "dangerous"),
        ("torch.storage", "_load_from_bytes", "dangerous"),
        ("torch", "FloatStorage", "safe"),
        ("collections", "OrderedDict", "safe"),
        ("numpy.core.multiarray", "_reconstruct", "safe"),
        ("torch.nn.modules.linear", "Linear", "library"),
        ("mypackage.models", "Net", "unknown"),
    ],
)
def test_classify(module: str, name: str, verdict: str) -> None:
    assert classify(module, name) == verdict


def test_memoize_after_put_is_not_trusted(tmp_path: Path) -> None:
    # PUT 5 then MEMOIZE: len(memo) is 1 in the unpickler, so the MEMOIZE numbering is unsure
    data = b"\x80\x04X\x02\x00\x00\x00osq\x05X\x06\x00\x00\x00system\x94"
    data += b"X\x0b\x00\x00\x00collections\x94h\x01h\x05\x93."
    scan = scan_file(_write(tmp_path, "m.pkl", data))
    assert [classify(f.item.module, f.item.name) for f in scan.imports] == ["dangerous"]
