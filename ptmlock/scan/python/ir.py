"""The per-file summary of a Python module: a compact, serialisable form of what value-following
reads, built once per file content (phase 1) and linked across the project later (phase 2).

Everything is plain tuples, lists, dicts, strings and numbers, so a summary round-trips through
``marshal`` unchanged and can be cached by the file's content hash alone.

An expression is a tuple whose first item is a tag and whose second is its line:

=========================================  ====================================================
``("c", line, value)``                     a constant (str, int, float, bool, None)
``("n", line, name, scope)``               a name, looked up from ``scope`` outwards (LEGB)
``("a", line, base, attr)``                ``base.attr``
``("s", line, base, index)``               ``base[index]``
``("k", line, func, args, kwargs)``        a call; ``args`` may hold ``("*", line, expr)``,
                                           ``kwargs`` is ``((name | None, expr), ...)``
``("f", line, parts)``                     an f-string; a part is an expression or
                                           ``("v", line, expr, spec)``
``("b", line, op, left, right)``           ``+``, ``%``, ``/`` or another operator (``"?"``)
``("i", line, body, orelse)``              ``body if test else orelse``
``("o", line, op, values)``                ``or`` / ``and``
``("d", line, keys, values)``              a dict literal (key None for ``**mapping``)
``("l", line, kind, elts)``                a list, tuple or set literal
``("g", line, elt)``                       a comprehension: one value per element
``("dg", line, key, value)``               a dict comprehension
``("lv", line, iter, path)``               a comprehension variable: element ``path`` of ``iter``
``("lam", line, scope)``                   a lambda (its body is the scope's return)
``("u", line, text)``                      anything else, ``text`` saying what it is
=========================================  ====================================================

A scope (``Summary.scopes[i]``) is a dict: ``kind`` (module, class, function, lambda), ``name``,
``parent``, ``line``, ``params`` (``(name, kind, default, annotation names)``), ``bind`` (name ->
bindings ``(kind, line, value, path, unconditional)``, kind one of assign, param, loop, def,
class, with), ``returns``, ``bases``, ``decorators`` and ``selfattrs`` (attr -> ``(expr, line)``
for ``self.attr = ...`` in the class's methods).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FORMAT", "Expr", "Scope", "Summary", "last_name", "root_of"]

FORMAT = 1  # bump when the shape below changes: cached summaries of another format are rebuilt

Expr = tuple[Any, ...]
Scope = dict[str, Any]


@dataclass(slots=True)
class Summary:
    """One Python module (or notebook, or Markdown code) as phase 2 reads it.

    ``imports`` maps a local name to ``(level, module, name)`` (``name`` None for ``import m``),
    still relative; ``calls`` lists ``(scope, call expr, guards)`` for every call that may load a
    model or call project code (``guards``: the plain-name tests of the ``if`` statements around
    it); ``options`` maps an argparse destination to the calls declaring it.
    """

    scopes: list[Scope] = field(default_factory=list)
    imports: dict[str, tuple[int, str, str | None]] = field(default_factory=dict)
    star_imports: list[tuple[int, str]] = field(default_factory=list)
    calls: list[tuple[int, Expr, tuple[Expr, ...]]] = field(default_factory=list)
    options: dict[str, list[int]] = field(default_factory=dict)  # dest -> indexes into calls
    called: list[str] = field(default_factory=list)  # last names of the calls, sorted
    urls: list[tuple[int, str, bool]] = field(default_factory=list)  # (line, URL, in a table)
    # (line, ``org/name``-shaped string, table: 0 none, > 0 a list literal, < 0 a dict literal)
    strings: list[tuple[int, str, int]] = field(default_factory=list)
    comment_urls: list[tuple[int, str]] = field(default_factory=list)  # URLs in comments
    size: int = 0  # bytes marshalled, when loaded from them (not itself dumped)

    def dump(self) -> tuple[Any, ...]:
        return (FORMAT, self.scopes, self.imports, self.star_imports, self.calls, self.options,
                self.called, self.urls, self.strings, self.comment_urls)  # fmt: skip

    @classmethod
    def load(cls, data: tuple[Any, ...], size: int = 0) -> Summary | None:
        """A summary from ``dump()``'s tuple (``size``: its marshalled bytes), or None when it
        is of another format."""
        if not data or data[0] != FORMAT:
            return None
        scopes, imports, stars, calls, options, called, urls, strings, comments = data[1:]
        return cls(scopes, imports, [tuple(s) for s in stars], calls, options, called, urls,
                   strings, comments, size)  # fmt: skip


def last_name(func: Expr) -> str | None:
    """The name a call is made by: ``f`` for ``f(...)``, ``g`` for ``obj.g(...)``."""
    if func[0] == "n":
        return str(func[2])
    return str(func[3]) if func[0] == "a" else None


def root_of(func: Expr) -> Expr:
    """The innermost base of an attribute, call or subscript chain (``a`` of ``a.b().c[0]``)."""
    while func[0] in ("a", "k", "s"):
        func = func[2]
    return func
