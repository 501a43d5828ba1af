"""Which pickle imports are safe, which run code, and which are merely unknown: data.

A checkpoint of tensors imports only torch's rebuild functions, storage and dtype types,
numpy's array reconstruction and a few builtin containers (the set torch's own
``weights_only`` unpickler accepts). Anything that runs a command, evaluates code, opens a file
or a socket, or imports further modules is *dangerous* (critical). A class of a known ML library
(``torch.nn.modules.linear.Linear`` in a whole-model pickle) is *library*: not code execution
by itself, but loading it needs ``weights_only=False``. Everything else is *unknown* (high).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Verdict", "classify"]

Verdict = Literal["safe", "library", "unknown", "dangerous"]

# module -> names ("*" = every name in the module and its submodules)
_DANGEROUS: dict[str, frozenset[str] | Literal["*"]] = {
    "builtins": frozenset(
        {"eval", "exec", "execfile", "compile", "open", "__import__", "getattr", "setattr"}
        | {"delattr", "globals", "locals", "vars", "breakpoint", "input", "apply", "help"}
    ),
    "__builtin__": frozenset({"eval", "exec", "execfile", "compile", "open", "__import__"})
    | frozenset({"getattr", "setattr", "delattr", "globals", "locals", "apply", "input"}),
    "operator": frozenset({"attrgetter", "itemgetter", "methodcaller"}),
    "_operator": frozenset({"attrgetter", "itemgetter", "methodcaller"}),
    "functools": frozenset({"partial", "reduce"}),
    "_functools": frozenset({"partial", "reduce"}),
    "types": frozenset({"FunctionType", "CodeType", "MethodType", "LambdaType", "ModuleType"}),
    "logging": frozenset({"FileHandler", "config"}),
    "torch": frozenset({"load", "hub", "jit", "compile", "package", "classes", "ops"}),
    "torch.storage": frozenset({"_load_from_bytes"}),
    "torch.serialization": frozenset({"load", "_load"}),
    "numpy": frozenset({"load", "loadtxt", "fromfile", "f2py", "testing", "distutils"}),
    "pkgutil": frozenset({"resolve_name", "get_data"}),
    "code": frozenset({"InteractiveInterpreter", "InteractiveConsole", "interact"}),
}
_DANGEROUS_MODULES = frozenset(
    {"os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy", "pty", "ctypes"}
    | {"importlib", "pickle", "_pickle", "marshal", "codeop", "commands", "webbrowser"}
    | {"requests", "urllib", "urllib2", "http", "httplib", "asyncio", "aiohttp", "multiprocessing"}
    | {"signal", "tempfile", "_io", "io", "pdb", "bdb", "cProfile", "profile", "timeit", "trace"}
    | {"pip", "setuptools", "distutils", "ensurepip", "zipimport", "telnetlib", "smtplib"}
    | {"ftplib", "imaplib", "poplib", "ssl", "xmlrpc", "idlelib", "lib2to3", "doctest", "dill"}
    | {
        "cloudpickle",
        "joblib",
        "torch.hub",
        "torch.jit",
        "torch.package",
        "torch.utils.cpp_extension",
    }
    | {"numpy.f2py", "numpy.testing", "numpy.distutils", "_posixsubprocess", "posixpath", "glob"}
    | {"pathlib._local", "platform", "sysconfig", "site", "venv", "inspect", "gc", "threading"}
    | {"_thread", "concurrent", "selectors", "select", "mmap", "fcntl", "resource", "sqlite3"}
)

_TORCH_TYPES = frozenset(
    {"Size", "device", "dtype", "layout", "memory_format", "qscheme", "Tensor", "Generator"}
    | {"strided", "sparse_coo", "sparse_csr", "contiguous_format", "channels_last"}
    | {"preserve_format", "per_tensor_affine", "per_channel_affine", "per_tensor_symmetric"}
    | {f"{t}Storage" for t in ("Double", "Float", "Half", "BFloat16", "Long", "Int", "Short")}
    | {f"{t}Storage" for t in ("Char", "Byte", "Bool", "ComplexFloat", "ComplexDouble")}
    | {f"{t}Storage" for t in ("QInt8", "QUInt8", "QInt32", "QUInt4x2", "QUInt2x4", "Untyped")}
    | {"float32", "float", "float64", "double", "float16", "half", "bfloat16", "uint8", "int8"}
    | {"int16", "short", "int32", "int", "int64", "long", "bool", "complex32", "complex64"}
    | {"complex128", "cfloat", "cdouble", "quint8", "qint8", "qint32", "quint4x2", "quint2x4"}
    | {"float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "uint16"}
    | {"uint32", "uint64", "chalf", "bits8", "bits16"}
)
_TORCH_REBUILD = frozenset(
    {"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter"}
    | {"_rebuild_parameter_with_state", "_rebuild_sparse_tensor", "_rebuild_qtensor"}
    | {"_rebuild_device_tensor_from_numpy", "_rebuild_meta_tensor_no_storage"}
    | {
        "_rebuild_wrapper_subclass",
        "_rebuild_nested_tensor",
        "_rebuild_device_tensor_from_cpu_tensor",
    }
)
_SAFE: dict[str, frozenset[str]] = {
    "torch": _TORCH_TYPES,
    "torch._utils": _TORCH_REBUILD,
    "torch._tensor": frozenset({"_rebuild_from_type", "_rebuild_from_type_v2"}),
    "torch.nn.parameter": frozenset({"Parameter", "UninitializedParameter", "Buffer"}),
    "torch.torch_version": frozenset({"TorchVersion"}),
    "collections": frozenset({"OrderedDict", "defaultdict", "deque", "Counter"}),
    "builtins": frozenset({"set", "frozenset", "slice", "range", "complex", "bytearray"})
    | frozenset({"dict", "list", "tuple", "int", "float", "bool", "str", "bytes", "object"}),
    "__builtin__": frozenset({"set", "frozenset", "slice", "complex", "bytearray", "object"}),
    "copyreg": frozenset({"_reconstructor"}),
    "copy_reg": frozenset({"_reconstructor"}),
    "_codecs": frozenset({"encode"}),  # how protocol 2 spells bytes (numpy arrays)
    "numpy": frozenset({"ndarray", "dtype"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.dtypes": frozenset(
        {f"{t}DType" for t in ("Float16", "Float32", "Float64", "Int8", "Int16", "Int32")}
        | {f"{t}DType" for t in ("Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Bool")}
    ),
    "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
    "decimal": frozenset({"Decimal"}),
    "fractions": frozenset({"Fraction"}),
    "uuid": frozenset({"UUID"}),
    "argparse": frozenset({"Namespace"}),  # training args saved beside the weights
    "pathlib": frozenset({"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath"}),
}
# namespaces whose classes are ordinary (a whole-model pickle); dangerous names checked first
_LIBRARIES = (
    "torch",
    "numpy",
    "sklearn",
    "scipy",
    "transformers",
    "timm",
    "torchvision",
    "lightning",
    "pytorch_lightning",
    "omegaconf",
    "tokenizers",
    "sentence_transformers",
    "xgboost",
    "lightgbm",
    "pandas",
)


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def classify(module: str | None, name: str | None) -> Verdict:
    """The verdict for ``module.name`` (None: an import the scan could not follow)."""
    if module is None or name is None:
        return "dangerous"  # hidden on purpose: no real pickler writes an untraceable import
    if any(_within(module, m) for m in _DANGEROUS_MODULES):
        return "dangerous"
    head = name.split(".", 1)[0]
    for prefix, names in _DANGEROUS.items():
        if _within(module, prefix) and (names == "*" or head in names or name in names):
            return "dangerous"
    if name in _SAFE.get(module, frozenset()):
        return "safe"
    if any(_within(module, lib) for lib in _LIBRARIES):
        return "library"
    return "unknown"
