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
  unclosed `<IfModule>` of a loaded module, which httpd accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.parsers.apache_directives import directive_info, providing_modules
from confcheck.parsers.apache_parser import ReadState, _test, parse_apache_state
from confcheck.parsers.syntax import Node
from confcheck.source import Diagnostics, SourceFile
from confcheck.servers.apache.conf import CONDITIONAL, Section, _Builder
from confcheck.servers.apache.perdir import OVERRIDE_CLASSES

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
    parsed = parse_apache_state(SourceFile(path, data), diags, ReadState(), dialect="htaccess")
    modules = model.conf.modules
    for diag in diags.items:
        if diag.code == "unclosed-section" and diag.severity != "error":
            continue       # conditional sections: settled below with the loaded modules
        if diag.severity == "error":
            return _fail(path, diag.message, None)
    # an unclosed <IfModule>/<IfDefine> is accepted only when its condition holds
    error = _unclosed_conditionals(parsed.nodes, modules)
    if error is not None:
        return _fail(path, error[0], error[1])
    error = _check(parsed.nodes, modules, override, override_list)
    if error is not None:
        return _fail(path, error[0], error[1])
    builder = _Builder(modules, set(), {}, model.fs)
    section = Section("htaccess", None, builder.items(parsed.nodes, path), pattern=path,
                      where=f".htaccess {path}")
    if builder.errors:
        return _fail(path, builder.errors[0][0], builder.errors[0][1])
    return HtaccessResult(section=section)


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


def _check(nodes, modules, override: frozenset, override_list: frozenset) -> tuple[str, Node] | None:
    """The first directive httpd refuses in this .htaccess (ap_walk_config order)."""
    for node in nodes or ():
        key = node.key
        if node.children is not None and key in CONDITIONAL:
            if key == "ifmodule" and not _test(node, lambda n: n in modules):
                continue
            found = _check(node.children, modules, override, override_list)
            if found:
                return found
            continue
        name = ("<" + node.name) if node.children is not None else node.name
        info = directive_info(name)
        mods = providing_modules(name)
        if info is None or not mods or not any(m in modules for m in mods):
            shown = f"<{node.name}" if node.children is not None else node.name
            return (f"Invalid command '{shown}', perhaps misspelled or defined by a module not included "
                    "in the server configuration"), node
        allowed = {_CLASS_LETTER[c] for c in info.flags if c in _CLASS_LETTER}
        listed = key in override_list
        if not listed and not (allowed & override):
            return f"{info.name.lstrip('<')} not allowed here", node
        if node.children is not None:
            found = _check(node.children, modules, override if not listed else frozenset(OVERRIDE_CLASSES),
                           override_list)
            if found:
                return found
    return None
