""".htaccess files as httpd reads them during the directory walk (config.c
ap_parse_htaccess, core.c):

* read only where AllowOverride (or AllowOverrideList) is not None for that
  directory; otherwise never opened (syntax errors, unreadable files and
  denials in it are all ignored);
* a missing file (ENOENT/ENOTDIR) is nothing; any other failure to open it
  (the file unreadable, the directory not searchable, the name a directory)
  is 403 AH00529;
* every directive is executed in directory context: one the override class
  does not allow is a 500 "<Name> not allowed here", an unknown one "Invalid
  command ...", a section left open or closed twice a 500 -- except an
  unclosed `<IfModule>` of a loaded module, which httpd accepts;
* `AllowOverride Nonfatal=Override` (`Unknown`, `All`) turns the first (the
  second, both) of those 500s into a warning: httpd skips that directive, a
  section with everything in it (config.c invoke_cmd, ap_walk_config_sub).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from confcheck.parsers.apache_directives import directive_info, providing_modules
from confcheck.parsers.apache_parser import ReadState, _test, parse_apache_state
from confcheck.parsers.apache_validate import arg_error
from confcheck.parsers.syntax import Node
from confcheck.source import Diagnostics, SourceFile
from confcheck.servers.apache.conf import CONDITIONAL, Section, _Builder
from confcheck.servers.apache.perdir import NONFATAL_OVERRIDE, NONFATAL_UNKNOWN, OVERRIDE_CLASSES

_CLASS_LETTER = {"L": "Limit", "O": "Options", "F": "FileInfo", "A": "AuthConfig", "I": "Indexes"}


@dataclass
class HtaccessResult:
    section: Section | None = None        # None: no file
    status: int | None = None             # 403 / 500 when httpd refuses
    message: str = ""
    fs_path: str | None = None
    node: Node | None = None
    unknown: str | None = None            # the content cannot be read by the scanner


def read(path: str, model, checker, override: frozenset, override_list: frozenset) -> HtaccessResult:
    access = checker.check(path, "read")
    if access.not_checked is not None:
        return HtaccessResult(unknown=f"{path}: {access.not_checked.reason}")
    if not access.ok:
        denial = access.denial
        if denial.need == "missing":
            return HtaccessResult()
        return HtaccessResult(status=403, fs_path=denial.path,
                              message=f"AH00529: {path} pcfg_openfile: unable to check htaccess file, ensure it "
                                      f"is readable and that '{path.rsplit('/', 1)[0]}/' is executable "
                                      f"({denial.detail})")
    if access.meta is not None and access.meta.kind == "dir":
        return HtaccessResult(status=403, fs_path=path,
                              message=f"AH00529: {path} pcfg_openfile: unable to check htaccess file: "
                                      "(9)Bad file descriptor: it is a directory")
    data = model.fs.read_bytes(path) if hasattr(model.fs, "read_bytes") else None
    if data is None:
        return HtaccessResult(unknown=f"{path}: its content is not in this filesystem view")
    return parse(path, data, model, override, override_list)


def parse(path: str, data: bytes, model, override: frozenset, override_list: frozenset) -> HtaccessResult:
    diags = Diagnostics()
    modules = model.conf.modules
    # <IfModule> is settled while the file is read, with the server's modules
    parsed = parse_apache_state(SourceFile(path, data), diags, ReadState(modules=set(modules)),
                                dialect="htaccess")
    # read time (ap_build_config) stops at the first problem met while reading: a nesting
    # error or a conditional section this AllowOverride does not allow, in file order;
    # sections left open are found only at the end of the file
    read_errors = [((d.code == "unclosed-section", d.span.start if d.span else 0), d.message,
                    _node_at(parsed.nodes, d.span.start) if d.span else None)
                   for d in diags.items if d.severity == "error"]
    error = _unclosed_conditionals(parsed.nodes, modules)
    if error is not None:
        read_errors.append(((True, error[1].span.start), error[0], error[1]))
    skipped: dict[int, tuple] = {}   # by id: (node, Nonfatal class) of what httpd skipped
    error = _walk(parsed.nodes, modules, override, override_list, None, read_time=True, skipped=skipped)
    if error is not None:
        read_errors.append(((False, error[1].span.start), error[0], error[1]))
    if read_errors:
        _, message, node = min(read_errors, key=lambda e: e[0])
        return _fail(path, message, node)
    error = _walk(parsed.nodes, modules, override, override_list, None, read_time=False, skipped=skipped)
    if error is not None:
        return _fail(path, error[0], error[1])
    builder = _Builder(modules, set(), {}, model.fs)
    nodes = _without(parsed.nodes, skipped) if skipped else parsed.nodes
    section = Section("htaccess", None, builder.items(nodes, path), pattern=path,
                      where=f".htaccess {path}")
    if builder.errors:
        return _fail(path, builder.errors[0][0], builder.errors[0][1])
    if skipped:
        # an unknown directive has no module, so no config either
        _mark_skipped(section, [n for n, cls in skipped.values() if cls == NONFATAL_OVERRIDE])
    return HtaccessResult(section=section)


def skipped_ids(nodes, modules, override: frozenset, override_list: frozenset) -> set[int]:
    """Ids of the nodes a Nonfatal= AllowOverride makes httpd skip (empty when the file
    fails instead: a rule reading the file then sees what it would have seen before)."""
    if NONFATAL_OVERRIDE not in override and NONFATAL_UNKNOWN not in override:
        return set()             # only a Nonfatal= class makes _walk skip rather than fail
    skipped: dict[int, tuple] = {}
    for read_time in (True, False):
        if _walk(nodes, modules, override, override_list, None, read_time=read_time, skipped=skipped):
            return set()
    return set(skipped)


# sections whose directives go to the enclosing section's config
_TRANSPARENT = CONDITIONAL | {"limit", "limitexcept", "requireall", "requireany", "requirenone"}


def _mark_skipped(top: Section, nodes) -> None:
    """Give each skipped directive to the section whose config httpd made for it: the
    file's own, or the <Files>/<If> it stands in (by the opening line's offset)."""
    owners: dict[int | None, list] = {}
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.key in _TRANSPARENT:
            parent = parent.parent
        owners.setdefault(None if parent is None else parent.span.start, []).append(node)
    stack = [top]
    while stack:
        sec = stack.pop()
        key = None if sec is top else sec.node.span.start
        if key in owners:
            sec.skipped = tuple(owners[key])
        stack.extend(i for i in sec.items if isinstance(i, Section))


def _node_at(nodes, offset: int) -> Node | None:
    """The innermost node whose text holds `offset` (where a reader error points)."""
    for node in nodes or ():
        if node.span.start <= offset < max(node.span.end, node.span.start + 1):
            return _node_at(node.children, offset) or node
    return None


def _fail(path: str, message: str, node: Node | None) -> HtaccessResult:
    return HtaccessResult(status=500, message=f"{path}: {message}", node=node)


def _unclosed_conditionals(nodes, modules) -> tuple[str, Node] | None:
    for node in nodes or ():
        if node.children is None:
            continue
        if node.key in CONDITIONAL and node.close_span is None:
            holds = bool(_test(node, lambda n: n in modules)) if node.key == "ifmodule" else False
            if not holds:
                return f"Expected </{node.name}> before end of configuration", node
        found = _unclosed_conditionals(node.children, modules)
        if found:
            return found
    return None


def _refusal(node: Node, modules, override: frozenset, override_list: frozenset,
             parent: str | None) -> tuple[str, str | None] | None:
    """invoke_cmd's verdict on one directive or section opener under this AllowOverride:
    the message, and the Nonfatal= class that makes it a warning (None: always fatal)."""
    name = ("<" + node.name) if node.children is not None else node.name
    info = directive_info(name)
    mods = providing_modules(name)
    if info is None or not mods or not any(m in modules for m in mods):
        return (f"Invalid command '{name}', perhaps misspelled or defined by a module not included "
                "in the server configuration", NONFATAL_UNKNOWN)
    allowed = {_CLASS_LETTER[c] for c in info.flags if c in _CLASS_LETTER}
    if node.key not in override_list and not (allowed & override):
        return (info.name + (f" not allowed in {parent} context" if parent else " not allowed here"),
                NONFATAL_OVERRIDE)
    error = arg_error(node, parent)
    return None if error is None else (error, None)


def _without(nodes, skipped) -> list:
    """The file's nodes less the ones httpd skipped (copies where a section loses children)."""
    out = []
    for node in nodes:
        if id(node) in skipped:
            continue
        if node.children is not None:
            children = _without(node.children, skipped)
            if len(children) != len(node.children):
                node = replace(node, children=children)
        out.append(node)
    return out


def _walk(nodes, modules, override, override_list, parent, *, read_time: bool, skipped: dict[int, tuple]):
    for node in nodes or ():
        if id(node) in skipped:
            continue
        key = node.key
        info = directive_info(("<" + node.name) if node.children is not None else node.name)
        if read_time and (key in CONDITIONAL or (info is not None and "E" in info.flags)):
            # executed while the file is read (EXEC_ON_READ): no parent is known yet
            error = _refusal(node, modules, override, override_list, None)
            if error is not None:
                if error[1] in override:
                    skipped[id(node)] = (node, error[1])
                    continue
                return error[0], node
        if node.children is not None and key in CONDITIONAL:
            if key == "ifmodule" and not _test(node, lambda n: n in modules):
                continue
            found = _walk(node.children, modules, override, override_list, parent, read_time=read_time,
                          skipped=skipped)
            if found:
                return found
            continue
        if not read_time and not (info is not None and "E" in info.flags):
            error = _refusal(node, modules, override, override_list, parent)
            if error is not None:
                if error[1] in override:
                    skipped[id(node)] = (node, error[1])
                    continue
                return error[0], node
        if node.children is not None:
            listed = key in override_list
            inner = override if not listed else frozenset(OVERRIDE_CLASSES) | (override - set(OVERRIDE_CLASSES))
            found = _walk(node.children, modules, inner, override_list,
                          (info.name if info else "<" + node.name) + ">", read_time=read_time, skipped=skipped)
            if found:
                return found
    return None
