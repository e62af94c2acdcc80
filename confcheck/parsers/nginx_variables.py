"""nginx's `unknown "foo" variable`: a variable used that nothing defines.

nginx resolves every variable a directive compiles once the whole
configuration is read (ngx_http_variables_init_vars), so this is decided on a
main config with all its includes, never on a lone vhost or snippet (the map
that defines `$foo` may live in the main's http{}).

Defined: the built-in variables (nginx_slots.HTTP_VARIABLES, prefixes such
as `http_`, `arg_`, and nginx_slots.MODULE_VARIABLES), digits (regex captures), and what the configuration
defines: `set`, `map`, `geo`, `split_clients`, `perl_set`, `js_set`,
`auth_request_set`, and named captures `(?<name>...)` of any regex.

Only http{} is looked at: stream{} has variables of its own.

Used: `$name` / `${name}` in the arguments of the directives listed in
COMPILED (those whose handler compiles its value as a script); a `$` in a
regex, a server name or any other directive is not looked at.
"""

from __future__ import annotations

import re

from confcheck.parsers.nginx_slots import HTTP_VARIABLES, MODULE_VARIABLES
from confcheck.parsers.syntax import Arg, Node

_PREFIXES = tuple(v for v in HTTP_VARIABLES if v.endswith("_"))
_NAME = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z_][A-Za-z0-9_]*))")
_CAPTURE = re.compile(r"\(\?(?:P?<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')")

# directives with a regex argument, whose named captures become variables
_REGEX_DIRECTIVES = frozenset({"location", "server_name", "rewrite", "if", "valid_referers",
                               "fastcgi_split_path_info", "proxy_redirect", "proxy_cookie_domain",
                               "proxy_cookie_path", "map"})
_FILE_TESTS = frozenset({"-f", "!-f", "-d", "!-d", "-e", "!-e", "-x", "!-x"})
_ALL = slice(None)
# directive -> which arguments are compiled
COMPILED: dict[str, slice] = {
    "return": _ALL, "set": slice(1, None), "rewrite": slice(1, 2), "add_header": _ALL,
    "add_trailer": _ALL, "root": _ALL, "alias": _ALL, "try_files": _ALL, "index": _ALL,
    "error_page": slice(-1, None), "access_log": _ALL, "log_format": slice(1, None),
    "proxy_pass": _ALL, "fastcgi_pass": _ALL, "uwsgi_pass": _ALL, "scgi_pass": _ALL,
    "grpc_pass": _ALL, "proxy_set_header": slice(1, None), "fastcgi_param": slice(1, 2),
    "uwsgi_param": slice(1, 2), "scgi_param": slice(1, 2), "grpc_set_header": slice(1, None),
    "auth_basic": _ALL, "auth_request_set": slice(1, None), "limit_req_zone": slice(0, 1),
    "limit_conn_zone": slice(0, 1), "map": slice(0, 1), "split_clients": slice(0, 1),
    "proxy_cache_key": _ALL, "fastcgi_cache_key": _ALL, "uwsgi_cache_key": _ALL,
    "scgi_cache_key": _ALL, "proxy_cache_bypass": _ALL, "proxy_no_cache": _ALL,
    "fastcgi_cache_bypass": _ALL, "fastcgi_no_cache": _ALL, "proxy_set_body": _ALL,
    "secure_link": _ALL, "secure_link_md5": _ALL, "ssl_certificate": _ALL,
    "ssl_certificate_key": _ALL, "limit_rate": _ALL, "proxy_method": _ALL, "expires": _ALL,
    "sub_filter": _ALL, "charset": _ALL, "proxy_redirect": slice(1, 2),
    "proxy_cookie_domain": slice(1, 2), "proxy_cookie_path": slice(1, 2), "proxy_bind": _ALL,
}


LOOKED_AT = frozenset(COMPILED) | _REGEX_DIRECTIVES | {
    "set", "perl_set", "js_set", "auth_request_set", "map", "split_clients", "geo", "if", "log_format"}


class Variables:
    """Collects definitions and uses while the validator walks a main config
    (and the log formats defined so far, which access_log names)."""

    def __init__(self) -> None:
        self.defined: set[str] = set()
        # the first use of each variable, in order: only the first use of a
        # name nothing defines is reported
        self.used: dict[str, Arg] = {}
        self.unknowable = False  # a third-party directive may define any variable
        self.formats = {"combined"}  # log_format names defined so far (access_log needs one)
        # (name, argument values) -> what such a directive defines and uses: generated
        # configs repeat the same directive thousands of times, and a repeat changes nothing
        # (the validator skips the call for a key in it)
        self.effects: dict[tuple, tuple] = {}

    def visit(self, node: Node, values: tuple[str, ...] | None = None) -> None:
        """Definitions and uses in `node` (only nodes named in LOOKED_AT have any);
        `values`: its argument values, when the caller has them."""
        args = node.args
        if values is None:
            values = tuple([a.value for a in args])
        key = (node.name, values)
        if key in self.effects:
            # the same directive again changes nothing: its definitions and formats are in,
            # and each variable it uses already has its first use
            return
        defined, uses, log_format = self.effects[key] = _effect(node.name, values)
        if defined:
            self.defined.update(defined)
        if log_format is not None:
            self.formats.add(log_format)
        used = self.used
        for variable, index in uses:
            if variable not in used:
                used[variable] = args[index]

    def visit_map_entry(self, entry: Node) -> None:
        """`key value;` in a map block: a regex key may name captures, the
        value is compiled when it holds a variable."""
        if entry.name.startswith("~"):
            self.defined.update(_named_captures(entry.name))
        for arg in entry.args[:1]:
            if "$" in arg.value:
                for variable in _uses(arg.value):
                    self.used.setdefault(variable, arg)

    def unknown(self):
        """(message, arg) for every use of a variable nothing defines, first use only."""
        if self.unknowable:
            return
        for name, arg in self.used.items():
            if (name in self.defined or name in HTTP_VARIABLES
                    or name in MODULE_VARIABLES or name.isdigit() or name.startswith(_PREFIXES)):
                continue
            yield f'unknown "{name}" variable', arg


def _named_captures(text: str) -> list[str]:
    """The named captures of a regex: variables it defines."""
    if "(?" not in text:
        return []
    return [(m.group(1) or m.group(2)).lower() for m in _CAPTURE.finditer(text)]


def _uses(text: str) -> list[str]:
    return [(m.group(1) or m.group(2)).lower() for m in _NAME.finditer(text)]


def _effect(name: str, values: tuple[str, ...]) -> tuple[list[str], list[tuple[str, int]], str | None]:
    """What a directive `name values` defines, the variables it uses (with the
    index of the argument using each) and the log format it defines."""
    defined: list[str] = []
    if name in _REGEX_DIRECTIVES:
        for value in values:
            defined.extend(_named_captures(value))
    log_format = values[0].lower() if name == "log_format" and values else None
    word = None
    if name in ("set", "perl_set", "js_set", "auth_request_set") and values:
        word = values[0]
    elif name in ("map", "split_clients") and len(values) == 2:
        word = values[1]
    elif name == "geo" and values:
        word = values[-1]
    if word is not None and word.startswith("$"):
        defined.append(word[1:].lower())
    if name == "if":
        # the tested variable or file, not the regex or string it is compared with
        tested = range(1, min(2, len(values))) if values and values[0] in _FILE_TESTS \
            else range(min(1, len(values)))
        uses = [(variable, i) for i in tested if values[i].startswith("$")
                for variable in _uses(values[i])]
        return defined, uses, log_format
    which = COMPILED.get(name)
    if which is None:
        return defined, [], log_format
    indexes = range(len(values))[which]
    uses = [(variable, i) for i in indexes if "$" in values[i] for variable in _uses(values[i])]
    return defined, uses, log_format


def script_problem(value: str, log_format: bool = False) -> str | None:
    """ngx_http_script_compile's complaint about the variables written in
    `value` (ngx_http_log_compile_format's, worded its way, for log_format)."""
    pos = value.find("$")
    n = len(value)
    while pos >= 0:
        dollar = pos
        invalid = (f'invalid parameter "{value[dollar:].split(chr(0), 1)[0]}"' if log_format
                   else "invalid variable name")
        pos += 1
        if pos == n:
            return invalid
        if "1" <= value[pos] <= "9":  # a capture
            pos = value.find("$", pos + 1)
            continue
        bracket = value[pos] == "{"
        if bracket:
            pos += 1
            if pos == n:
                return invalid
        start = pos
        while pos < n and (value[pos].isascii() and (value[pos].isalnum() or value[pos] == "_")):
            pos += 1
        name = value[start:pos]
        if bracket:
            if pos < n and value[pos] == "}":
                pos += 1
                bracket = False
            else:
                return f'the closing bracket in "{name}" variable is missing'
        if not name:
            return invalid
        pos = value.find("$", pos)
    return None
