"""A Python settings module read statically with libcst: each module-level name's
value as far as it can be known without running the code.

Followed: literals (str, bytes, numbers, True/False/None, lists, tuples, sets),
names assigned earlier, `+` (and `+=`) on known values, f-strings of known
parts, `"a,b".split(",")`, `.strip()`, `.lower()`, `int()`/`bool()`, `==`/`!=`/`in`
and `and`/`or` on known values, comprehensions that only strip or filter,
`os.environ.get(K, default)` / `os.getenv(K, default)` (the value from
the environment the unit or `.env` gives, else the default, stated as an
assumption), `.append/.extend/.insert/.remove` on a known list, and
`from .base import *` (split settings: the imported file is read the same way).
Everything else (a function call, an assignment inside `if`/`try`/`for`, an
import that cannot be read) makes the name unknown, with the reason and the
file:line:column where it happened: never a guess.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper

from confcheck.parsers.pysettings_value import Value, where
from confcheck.source import SourceFile, Span


@dataclass
class Module:
    """The names a settings file (and the files it star-imports) defines."""

    source: SourceFile
    names: dict[str, Value] = field(default_factory=dict)
    wildcard: str | None = None        # an unreadable `import *` may define any name: why
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tree: cst.Module | None = None
    spans: dict = field(default_factory=dict)   # libcst node -> Span, for every file read (fixes edit by it)

    def span_of(self, node) -> Span | None:
        return self.spans.get(node)

    def get(self, name: str) -> Value | None:
        """The value of `name`; None when never assigned (the setting's default applies)."""
        if name in self.names:
            return self.names[name]
        if self.wildcard is not None:
            return Value.unknown(self.wildcard)
        return None


class Reader:
    def __init__(self, environ: dict[str, tuple[str, str]] | None = None, package_root: str | None = None) -> None:
        self.environ = environ or {}     # NAME -> (value, where it was set)
        self.package_root = package_root  # the directory dotted module names start from
        self._reading: set[str] = set()

    def read(self, path: str) -> Module:
        source = SourceFile.read(path)
        module = Module(source, files=[path])
        try:
            tree = cst.parse_module(source.data)
        except cst.ParserSyntaxError as exc:
            module.errors.append(f"{source.display_path}:{exc.editor_line}:{exc.editor_column}: "
                                 f"not valid Python: {exc.message}")
            module.wildcard = f"{source.display_path} is not valid Python"
            return module
        module.tree = tree
        self._reading.add(os.path.realpath(path))
        try:
            wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
            spans = wrapper.resolve(ByteSpanPositionProvider)
            _Evaluator(self, module, spans).run(tree)
        finally:
            self._reading.discard(os.path.realpath(path))
        return module

    def resolve_import(self, here: str, node: cst.ImportFrom) -> str | None:
        """The file `from X import *` reads, relative to `here` or the package root."""
        dots = len(node.relative)
        name = _dotted(node.module) if node.module is not None else ""
        if name is None:
            return None
        if dots:
            base = os.path.dirname(here)
            for _ in range(dots - 1):
                base = os.path.dirname(base)
        else:
            if self.package_root is None:
                return None
            base = self.package_root
        parts = [p for p in name.split(".") if p]
        target = os.path.join(base, *parts)
        for candidate in (target + ".py", os.path.join(target, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
        return None


def _dotted(expr) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        head = _dotted(expr.value)
        return None if head is None else f"{head}.{expr.attr.value}"
    return None


_ENV_GETTERS = {"os.environ.get", "os.getenv", "environ.get", "getenv"}
_COMPARE = {cst.Equal: lambda a, b: a == b, cst.NotEqual: lambda a, b: a != b,
            cst.In: lambda a, b: a in b, cst.NotIn: lambda a, b: a not in b}
_LIST_METHODS = {"append", "extend", "insert", "remove"}


class _Evaluator:
    def __init__(self, reader: Reader, module: Module, spans) -> None:
        self.reader = reader
        self.module = module
        self.spans = spans

    # -- positions -----------------------------------------------------------
    def span(self, node) -> Span | None:
        found = self.module.spans.get(node)
        if found is None:
            pos = self.spans.get(node)
            if pos is None:
                return None
            found = self.module.spans[node] = Span(self.module.source, pos.start, pos.start + pos.length)
        return found

    def at(self, node) -> str:
        return where(self.span(node))

    # -- statements ------------------------------------------------------------
    def run(self, tree: cst.Module) -> None:
        for stmt in tree.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self.simple(small, stmt)
            else:
                self.compound(stmt)

    def compound(self, stmt) -> None:
        kind = {cst.If: "an `if`", cst.Try: "a `try`", cst.For: "a `for`", cst.While: "a `while`",
                cst.With: "a `with`"}.get(type(stmt))
        if kind is None:    # def/class: defines no setting by itself
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self.module.names.pop(stmt.name.value, None)
            return
        why = f"assigned inside {kind} at {self.at(stmt)}: which branch runs is not known offline"
        for node in _walk(stmt):
            if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
                self.star(node, why)
            for name in _assigned_names(node):
                self.module.names[name] = Value.unknown(why, self.span(node))

    def star(self, node: cst.ImportFrom, inside: str | None = None) -> None:
        path = self.reader.resolve_import(self.module.source.path, node)
        if path is None or os.path.realpath(path) in self.reader._reading:
            self.module.wildcard = (f"`from {_dotted(node.module) or '.'} import *` at {self.at(node)} "
                                    "cannot be read, and may define any setting")
            return
        sub = self.reader.read(path)
        self.module.files += sub.files
        self.module.errors += sub.errors
        self.module.spans.update(sub.spans)
        if sub.wildcard is not None:
            self.module.wildcard = sub.wildcard
        for name, value in sub.names.items():
            if name.startswith("_"):
                continue
            self.module.names[name] = value if inside is None else Value.unknown(
                f"imported from {sub.source.display_path} by `import *` inside a block ({inside})", value.span)

    def simple(self, small, line) -> None:
        names = self.module.names
        if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
            self.star(small)
        elif isinstance(small, cst.Assign):
            value = self.expr(small.value)
            value.stmt, value.node = self.span(line), small.value
            for target in small.targets:
                if isinstance(target.target, cst.Name):
                    names[target.target.value] = value
                else:
                    for name in _target_names(target.target):
                        names[name] = Value.unknown(f"assigned by unpacking at {self.at(small)}", self.span(small))
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
            value = self.expr(small.value)
            value.stmt, value.node = self.span(line), small.value
            names[small.target.value] = value
        elif isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
            name = small.target.value
            old = names.get(name)
            if isinstance(small.operator, cst.AddAssign) and old is not None:
                value = self.add(old, self.expr(small.value), small)
            else:
                value = Value.unknown(f"changed by `{_code(small)}` at {self.at(small)}", self.span(small))
            value.stmt = self.span(line)
            names[name] = value
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            self.mutation(small.value, line)
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            for alias in small.names if not isinstance(small.names, cst.ImportStar) else ():
                bound = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(bound, cst.Name):
                    names.pop(bound.value, None)    # a module, not a setting
        elif isinstance(small, cst.Del):
            for name in _target_names(small.target):
                names.pop(name, None)

    def mutation(self, call: cst.Call, line) -> None:
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return
        name, method = func.value.value, func.attr.value
        old = self.module.names.get(name)
        if old is None or method not in _LIST_METHODS:
            return
        args = [self.expr(a.value) for a in call.args]
        new = None
        if old.known and isinstance(old.value, list) and all(a.known for a in args) and not any(
                a.star or a.keyword for a in call.args):
            items = list(old.items or [])
            if method == "append" and len(args) == 1:
                items.append(args[0])
            elif method == "extend" and len(args) == 1 and args[0].items is not None:
                items.extend(args[0].items)
            elif method == "insert" and len(args) == 2 and isinstance(args[0].value, int):
                items.insert(args[0].value, args[1])
            elif method == "remove" and len(args) == 1:
                found = [i for i, item in enumerate(items) if item.value == args[0].value]
                if found:
                    del items[found[0]]
                else:
                    items = None
            else:
                items = None
            if items is not None:
                new = Value([i.value for i in items], old.span, items=items,
                            assumptions=old.assumptions + tuple(a for x in args for a in x.assumptions),
                            stmt=old.stmt, node=old.node)
        if new is None:
            new = Value.unknown(f"changed by `{_code(call)}` at {self.at(call)}", self.span(call))
        self.module.names[name] = new

    # -- expressions -----------------------------------------------------------
    def expr(self, node) -> Value:
        span = self.span(node)
        try:
            return self._expr(node, span)
        except _Unknown as exc:
            return Value.unknown(str(exc), span)

    def _expr(self, node, span) -> Value:
        if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float)):
            return Value(node.evaluated_value, span)
        if isinstance(node, cst.ConcatenatedString):
            left, right = self.expr(node.left), self.expr(node.right)
            return self.add(left, right, node)
        if isinstance(node, cst.FormattedString):
            return self.fstring(node, span)
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return Value({"True": True, "False": False, "None": None}[node.value], span)
            found = self.module.names.get(node.value)
            if found is None:
                raise _Unknown(f"`{node.value}` at {self.at(node)} is not a value this file assigns")
            if not found.known:
                return Value.unknown(found.why, span, found.assumptions)
            return Value(found.value, span, items=found.items, assumptions=found.assumptions)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            items: list[Value] = []
            for element in node.elements:
                value = self.expr(element.value)
                if isinstance(element, cst.StarredElement):
                    if not value.known or value.items is None:
                        return self._unknown_from(value, node, span)
                    items.extend(value.items)
                else:
                    if not value.known:
                        return self._unknown_from(value, node, span)
                    items.append(value)
            kind = tuple if isinstance(node, cst.Tuple) else list
            return Value(kind(i.value for i in items), span, items=items,
                         assumptions=tuple(a for i in items for a in i.assumptions))
        if isinstance(node, cst.Dict):
            out = {}
            for element in node.elements:
                if not isinstance(element, cst.DictElement):
                    raise _Unknown(f"`{_code(node)}` at {self.at(node)}: a dict unpacking not followed offline")
                key, value = self.expr(element.key), self.expr(element.value)
                for part in (key, value):
                    if not part.known:
                        return self._unknown_from(part, node, span)
                out[key.value] = value.value
            return Value(out, span)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self.add(self.expr(node.left), self.expr(node.right), node)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            inner = self.expr(node.expression)
            if not inner.known:
                return inner
            return Value(not inner.value, span, assumptions=inner.assumptions)
        if isinstance(node, cst.Comparison):
            return self.compare(node, span)
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, (cst.And, cst.Or)):
            left = self.expr(node.left)
            if not left.known:
                return left
            # Python's and/or: the left value decides whether the right one is the result
            if bool(left.value) == isinstance(node.operator, cst.Or):
                return left
            right = self.expr(node.right)
            return Value(right.value, span, right.known, right.why, right.items,
                         left.assumptions + right.assumptions)
        if isinstance(node, cst.Call):
            return self.call(node, span)
        if isinstance(node, cst.Subscript):
            name = _dotted(node.value)
            if name in ("os.environ", "environ") and len(node.slice) == 1:
                key = self.expr(node.slice[0].slice.value) if isinstance(node.slice[0].slice, cst.Index) else None
                if key is not None and key.known and isinstance(key.value, str):
                    return self.env(key.value, None, node, span, required=True)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            return self.comprehension(node, span)
        raise _Unknown(f"`{_code(node)}` at {self.at(node)} is computed in a way not followed offline")

    def compare(self, node: cst.Comparison, span) -> Value:
        """`==`, `!=`, `in`, `not in` on known values (`os.environ.get("DEBUG", "0") == "1"`), chained
        as Python chains them."""
        left = self.expr(node.left)
        result, assumptions = True, list(left.assumptions)
        for target in node.comparisons:
            test = _COMPARE.get(type(target.operator))
            if test is None:
                raise _Unknown(f"`{_code(node)}` at {self.at(node)}: a comparison not followed offline")
            right = self.expr(target.comparator)
            for part in (left, right):
                if not part.known:
                    return Value.unknown(part.why, span, part.assumptions)
            try:
                result = result and test(left.value, right.value)
            except TypeError:
                raise _Unknown(f"`{_code(node)}` at {self.at(node)} fails") from None
            assumptions += right.assumptions
            left = right
        return Value(result, span, assumptions=tuple(assumptions))

    def _unknown_from(self, value: Value, node, span) -> Value:
        return Value.unknown(value.why or f"`{_code(node)}` at {self.at(node)} is not known offline", span,
                             value.assumptions)

    def add(self, left: Value, right: Value, node) -> Value:
        span = self.span(node)
        for part in (left, right):
            if not part.known:
                return Value.unknown(part.why, span, left.assumptions + right.assumptions)
        try:
            total = left.value + right.value
        except TypeError:
            return Value.unknown(f"`{_code(node)}` at {self.at(node)} adds values of different types", span)
        items = None
        if left.items is not None and right.items is not None:
            items = left.items + right.items
        return Value(total, span, items=items, assumptions=left.assumptions + right.assumptions)

    def fstring(self, node: cst.FormattedString, span) -> Value:
        out, assumptions = [], []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value.replace("{{", "{").replace("}}", "}"))
                continue
            if part.conversion is not None or part.format_spec is not None:
                raise _Unknown(f"`{_code(part)}` at {self.at(part)}: a formatted field not followed offline")
            value = self.expr(part.expression)
            if not value.known:
                return Value.unknown(value.why, span, value.assumptions)
            out.append(str(value.value))
            assumptions += value.assumptions
        if "\\" in "".join(out):
            raise _Unknown(f"an f-string with escapes at {self.at(node)}")
        return Value("".join(out), span, assumptions=tuple(assumptions))

    def call(self, node: cst.Call, span) -> Value:
        name = _dotted(node.func)
        if name in _ENV_GETTERS and 1 <= len(node.args) <= 2 and not any(a.star for a in node.args):
            key = self.expr(node.args[0].value)
            if key.known and isinstance(key.value, str):
                default = self.expr(node.args[1].value) if len(node.args) == 2 else Value(None, span)
                return self.env(key.value, default, node, span)
        if isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            target = self.expr(node.func.value)
            args = [self.expr(a.value) for a in node.args]
            if not target.known:
                return Value.unknown(target.why, span, target.assumptions)
            if any(not a.known for a in args) or any(a.keyword or a.star for a in node.args):
                raise _Unknown(f"`{_code(node)}` at {self.at(node)} is not known offline")
            if isinstance(target.value, str) and method in ("split", "strip", "lower", "upper", "rstrip", "lstrip"):
                try:
                    result = getattr(target.value, method)(*[a.value for a in args])
                except (TypeError, ValueError):
                    raise _Unknown(f"`{_code(node)}` at {self.at(node)} fails") from None
                if isinstance(result, list):
                    return Value(result, span, items=[Value(x, span) for x in result],
                                 assumptions=target.assumptions)
                return Value(result, span, assumptions=target.assumptions)
        if name in ("list", "tuple") and len(node.args) == 1:
            inner = self.expr(node.args[0].value)
            if inner.known and inner.items is not None:
                kind = list if name == "list" else tuple
                return Value(kind(inner.value), span, items=inner.items, assumptions=inner.assumptions)
        if name == "int" and len(node.args) == 1:
            inner = self.expr(node.args[0].value)
            if inner.known:
                try:
                    return Value(int(inner.value), span, assumptions=inner.assumptions)
                except (TypeError, ValueError):
                    raise _Unknown(f"`{_code(node)}` at {self.at(node)} fails: Django would not start") from None
        if name == "bool" and len(node.args) == 1:
            inner = self.expr(node.args[0].value)
            if inner.known:
                return Value(bool(inner.value), span, assumptions=inner.assumptions)
        raise _Unknown(f"`{_code(node)}` at {self.at(node)} is a call not followed offline")

    def env(self, key: str, default: Value | None, node, span, required: bool = False) -> Value:
        got = self.reader.environ.get(key)
        if got is not None:
            value, origin = got
            return Value(value, span, assumptions=(f"{key}={value!r} as {origin} sets it",))
        if required:
            return Value.unknown(f"`{_code(node)}` at {self.at(node)} reads the environment variable {key}, "
                                 "which is not set where confcheck looked", span)
        if not default.known:
            return Value.unknown(default.why, span, default.assumptions)
        return Value(default.value, span, items=default.items,
                     assumptions=default.assumptions + (
                         f"{key} is not set in the app's environment (as far as confcheck read it): "
                         f"its default {default.value!r} at {self.at(node)} applies",))

    def comprehension(self, node, span) -> Value:
        comp = node.for_in
        if comp.inner_for_in is not None or not isinstance(comp.target, cst.Name):
            raise _Unknown(f"`{_code(node)}` at {self.at(node)} is not followed offline")
        source = self.expr(comp.iter)
        if not source.known:
            return Value.unknown(source.why, span, source.assumptions)
        if source.items is None:
            raise _Unknown(f"`{_code(node)}` at {self.at(node)} iterates over a value not followed")
        var = comp.target.value
        saved = self.module.names.get(var)
        out: list[Value] = []
        try:
            for item in source.items:
                self.module.names[var] = item
                keep = True
                for cond in comp.ifs:
                    test = self.expr(cond.test)
                    if not test.known:
                        return Value.unknown(test.why, span)
                    keep = keep and bool(test.value)
                if keep:
                    value = self.expr(node.elt)
                    if not value.known:
                        return Value.unknown(value.why, span)
                    out.append(Value(value.value, item.span))
        finally:
            if saved is None:
                self.module.names.pop(var, None)
            else:
                self.module.names[var] = saved
        return Value([v.value for v in out], span, items=out, assumptions=source.assumptions)


class _Unknown(Exception):
    pass


def _code(node) -> str:
    text = cst.Module(body=[]).code_for_node(node)
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _target_names(target) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    return []


def _assigned_names(node) -> list[str]:
    if isinstance(node, cst.Assign):
        return [n for t in node.targets for n in _target_names(t.target)]
    if isinstance(node, (cst.AugAssign, cst.AnnAssign)):
        return _target_names(node.target)
    if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call) and isinstance(node.value.func, cst.Attribute) \
            and isinstance(node.value.func.value, cst.Name) and node.value.func.attr.value in _LIST_METHODS:
        return [node.value.func.value.value]
    return []
