"""Read a pickle's opcodes from a byte stream without ever unpickling it.

Only what decides the pickle's imports is kept: the ``module name`` of every GLOBAL and INST,
the two strings a STACK_GLOBAL takes (pushed just before it, or fetched from the memo), and
extension-registry codes. Large arguments (tensor bytes in a raw pickle) are skipped with a
seek, not read, and the memo keeps only short strings, so memory stays bounded whatever the
file holds; opcodes are counted against a limit, so time is bounded too. The opcode table is
``pickletools``' own; the walk is a loop, so nesting depth costs nothing.
"""

from __future__ import annotations

import pickletools
from dataclasses import dataclass, field
from typing import IO

__all__ = ["DEFAULT_LIMITS", "Import", "Limits", "PickleError", "PickleScan", "scan_pickle"]

_OPS = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
_STRING_OPS = frozenset(
    {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE"}
    | {"BINUNICODE8"}
)
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_LENGTH_BYTES = {
    pickletools.TAKEN_FROM_ARGUMENT1: (1, False),
    pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
    pickletools.TAKEN_FROM_ARGUMENT4U: (4, False),
    pickletools.TAKEN_FROM_ARGUMENT8U: (8, False),
}
_UNKNOWN = None  # a stack or memo value that is not a short string


@dataclass(frozen=True, slots=True)
class Limits:
    """What one pickle may cost; past a limit the scan stops and says so."""

    max_ops: int = 5_000_000  # ~15 s; a real state_dict pickle has ~50 per tensor
    max_string: int = 4096  # longer strings are skipped: no module or attribute is that long
    max_line: int = 1 << 16
    max_memo_strings: int = 1 << 16


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Import:
    module: str | None  # None: a STACK_GLOBAL whose operands could not be followed
    name: str | None
    offset: int
    opcode: str

    @property
    def dotted(self) -> str:
        return f"{self.module or '?'}.{self.name or '?'}"


class PickleError(ValueError):
    """The bytes are not a well-formed pickle at ``offset`` (after ``ops`` opcodes)."""

    def __init__(self, message: str, offset: int, ops: int) -> None:
        super().__init__(message)
        self.offset, self.ops = offset, ops


@dataclass(slots=True)
class PickleScan:
    imports: list[Import] = field(default_factory=list)
    ops: int = 0
    end: int = 0  # offset just past STOP


def scan_pickle(stream: IO[bytes], limits: Limits = DEFAULT_LIMITS) -> PickleScan:
    """Scan one pickle from the stream's position up to and including STOP.

    Raises PickleError (with what was found so far in ``.scan``) on malformed input or a
    limit; the stream is left just past STOP on success.
    """
    walker = _Walker(stream, limits)
    try:
        walker.run()
    except PickleError as error:
        error.scan = walker.result  # type: ignore[attr-defined]
        raise
    return walker.result


class _Walker:
    def __init__(self, stream: IO[bytes], limits: Limits) -> None:
        self.stream, self.limits = stream, limits
        self.start = stream.tell()
        self.result = PickleScan()
        self.recent: list[str | None] = []  # the last values pushed (only the top two matter)
        self.memo: dict[int, str | None] = {}
        self.memo_len = 0
        self.memo_exact = True  # MEMOIZE numbering is known (no PUT mixed in, nothing dropped)

    def fail(self, message: str) -> PickleError:
        return PickleError(message, self.stream.tell() - self.start, self.result.ops)

    def read(self, n: int) -> bytes:
        data = self.stream.read(n)
        if len(data) != n:
            raise self.fail("truncated: the pickle ends in the middle of an opcode")
        return data

    def skip(self, n: int) -> None:
        if n < 0:
            raise self.fail("negative length")
        here = self.stream.tell()
        self.stream.seek(n - 1, 1)
        if not self.stream.read(1) and n:
            self.stream.seek(here)
            raise self.fail(f"truncated: an argument of {n} bytes runs past the end")

    def line(self) -> bytes:
        data = self.stream.readline(self.limits.max_line)
        if not data.endswith(b"\n"):
            raise self.fail("truncated or over-long line argument")
        return data[:-1]

    def run(self) -> None:
        while True:
            offset = self.stream.tell() - self.start
            code = self.stream.read(1)
            if not code:
                raise self.fail("truncated: no STOP opcode")
            op = _OPS.get(code)
            if op is None:
                raise self.fail(f"not a pickle opcode: 0x{code[0]:02x}")
            self.result.ops += 1
            if self.result.ops > self.limits.max_ops:
                raise self.fail(f"over {self.limits.max_ops} opcodes: scan stopped")
            value = self.argument(op)
            if op.name == "STOP":
                self.result.end = self.stream.tell() - self.start
                return
            self.step(op.name, value, offset)

    def argument(self, op: pickletools.OpcodeInfo) -> object:
        arg = op.arg
        if arg is None:
            return None
        if arg.name == "stringnl_noescape_pair":
            return (self.line(), self.line())
        if arg.n == pickletools.UP_TO_NEWLINE:
            return self.line()
        if arg.n >= 0:
            return self.read(arg.n)
        width, signed = _LENGTH_BYTES[arg.n]
        length = int.from_bytes(self.read(width), "little", signed=signed)
        if op.name in _STRING_OPS and 0 <= length <= self.limits.max_string:
            return self.read(length)
        self.skip(length)
        return _UNKNOWN

    def step(self, name: str, value: object, offset: int) -> None:
        if name in ("GLOBAL", "INST"):
            lines: tuple[bytes, bytes] = value  # type: ignore[assignment]
            self.add(_text(lines[0]), _text(lines[1]), offset, name)
            self.push(_UNKNOWN)
        elif name == "STACK_GLOBAL":
            pair = [_UNKNOWN, _UNKNOWN, *self.recent][-2:]
            self.add(pair[0], pair[1], offset, name)
            del self.recent[-2:]
            self.push(_UNKNOWN)
        elif name in ("EXT1", "EXT2", "EXT4"):
            code = int.from_bytes(value, "little") if isinstance(value, bytes) else -1
            self.add(None, f"copyreg extension {code}", offset, name)
            self.push(_UNKNOWN)
        elif name in _STRING_OPS:
            self.push(_string(name, value))
        elif name == "MEMOIZE":
            # numbered len(memo): exact while only MEMOIZE has added entries
            self.remember(self.memo_len, self.top() if self.memo_exact else _UNKNOWN)
            self.memo_len += 1
        elif name in _PUT_OPS:
            self.memo_exact = False  # PUT may reuse or skip indices: later MEMOIZEs are unsure
            self.remember(_index(name, value), self.top())
        elif name in _GET_OPS:
            index = _index(name, value)
            self.push(self.memo.get(index, _UNKNOWN) if index is not None else _UNKNOWN)
        elif name not in ("FRAME", "PROTO", "MARK"):
            self.push(_UNKNOWN)  # anything else may change the stack: the strings are not on top

    def add(self, module: str | None, name: str | None, offset: int, opcode: str) -> None:
        self.result.imports.append(Import(module, name, offset, opcode))

    def push(self, value: str | None) -> None:
        self.recent.append(value)
        if len(self.recent) > 8:
            del self.recent[:-2]

    def top(self) -> str | None:
        return self.recent[-1] if self.recent else _UNKNOWN

    def remember(self, index: int | None, value: str | None) -> None:
        if index is None:
            return
        if len(self.memo) >= self.limits.max_memo_strings and index not in self.memo:
            return  # a later GET of it reads as unknown: the import is reported unresolved
        self.memo[index] = value


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _string(name: str, value: object) -> str | None:
    if not isinstance(value, bytes):
        return _UNKNOWN
    if name == "STRING":  # a repr: 'os' or "os"
        return value[1:-1].decode("latin-1") if len(value) >= 2 else _UNKNOWN
    if name == "UNICODE":
        return value.decode("raw-unicode-escape")
    return value.decode("utf-8", "replace") if "UNICODE" in name else value.decode("latin-1")


def _index(name: str, value: object) -> int | None:
    if not isinstance(value, bytes):
        return None
    if name in ("PUT", "GET"):
        try:
            return int(value)
        except ValueError:
            return None
    return int.from_bytes(value, "little")
