"""The rewrite module's script: `rewrite`, `return`, `set`, `break`, `if`.

Directives run in order; `if` switches the configuration to its block when
its condition holds (so a `proxy_pass` or `root` inside it applies, and the
location's try_files does not: it is not inherited) and runs its directives
inline. A rewrite without a flag changes the URI and goes on; at the end of
the script a changed URI means a new location search, as with `last`.
"""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.parsers.syntax import Node
from confcheck.servers.nginx import variables
from confcheck.servers.nginx.conf import BadRegex, compile_regex

REDIRECT_CODES = (301, 302, 303, 307, 308)


@dataclass
class Action:
    kind: str                   # return | redirect | last | break
    node: Node
    status: int | None = None
    reason: str = ""
    location: str | None = None
    uri: str | None = None


def run_script(state, nodes: list[Node], scope) -> Action | None:
    changed: Node | None = None
    for node in nodes:
        key = node.key
        if key == "set" and len(node.args) >= 2:
            name = node.args[0].value.lstrip("$")
            mark = len(state.unknown_reads)
            state.set_vars[name] = variables.expand(node.args[1].value, state)
            # a set decides nothing itself: what reads $name later carries the origin
            origins = state.unknown_reads[mark:]
            del state.unknown_reads[mark:]
            if origins:
                state.derived[name] = origins[0]
            else:
                state.derived.pop(name, None)
            state.step("rewrite", f"set ${name} = {state.set_vars[name]!r}", node)
        elif key == "break":
            state.step("rewrite", "break: stop the rewrite directives", node)
            return Action("break", node)
        elif key == "return":
            return _return(state, node)
        elif key == "rewrite":
            action = _rewrite(state, node)
            if action is None:
                continue
            if action.kind == "changed":
                changed = node
                continue
            return action
        elif key == "if" and node.children is not None:
            mark = len(state.unknown_reads)
            holds = _condition(state, node)
            variables.decided_by_unknown(state, node, mark)
            if holds:
                inner = scope.if_scope(node) if hasattr(scope, "if_scope") else None
                state.step("rewrite", f"if ({' '.join(a.raw for a in node.args)}) is true", node)
                if inner is not None:
                    state.scope = inner
                    action = run_script(state, inner.rewrite_script(), inner)
                    if action is not None:
                        return action
            else:
                state.step("rewrite", f"if ({' '.join(a.raw for a in node.args)}) is false", node)
    if changed is not None:
        return Action("last", changed, uri=state.uri)
    return None


def _return(state, node: Node) -> Action:
    values = node.values
    if not values:
        return Action("return", node, 500, "return without a code")
    first = values[0]
    if not first.isdigit():
        url = variables.expand(first, state)
        return Action("redirect", node, 302, f"return {first}: redirect", location=url)
    code = int(first)
    text = variables.expand(values[1], state) if len(values) > 1 else None
    if code in REDIRECT_CODES and text is not None:
        return Action("redirect", node, code, f"return {code} {values[1]}: redirect", location=text)
    if code == 444:
        return Action("return", node, 444, "return 444: nginx closes the connection without a response")
    return Action("return", node, code, f"return {code}" + (" with a body" if text else ""))


def _rewrite(state, node: Node) -> Action | None:
    if len(node.args) < 2:
        return None
    pattern = node.args[0].value
    try:
        regex = compile_regex(pattern, False)
    except BadRegex as exc:
        state.step("rewrite", f"rewrite {pattern}: the pattern cannot be evaluated here ({exc})", node)
        return None
    match = regex.search(state.uri)
    if not match:
        _forget_captures(state)
        state.step("rewrite", f"rewrite {pattern} does not match {state.uri}", node)
        return None
    state.captures = match.groups()
    state.named_captures.update({k: v for k, v in match.groupdict().items() if v is not None})
    state.capture_whole = match.group(0)
    replacement = node.args[1].value
    flag = node.args[2].value if len(node.args) > 2 else ""
    mark = len(state.unknown_reads)
    target = variables.expand(replacement, state)
    if not (replacement.startswith(("http://", "https://", "$scheme")) or flag in ("redirect", "permanent")):
        # the new URI (or whether it is a redirect at all) depends on the value; a redirect's status does not
        variables.decided_by_unknown(state, node, mark)
    if target.startswith(("http://", "https://")) or replacement.startswith("$scheme") or flag in ("redirect", "permanent"):
        code = 301 if flag == "permanent" else 302
        if "?" not in replacement and state.args and not replacement.endswith("?"):
            target += "?" + state.args
        return Action("redirect", node, code, f"rewrite {pattern} {replacement} {flag}".rstrip() + ": redirect",
                      location=target.rstrip("?"))
    # the arguments start at the first "?" written in the replacement (ngx_http_script_compile's
    # compile_args): a "?" a capture or variable brings stays in the URI (a request for "/a%3F")
    drop = replacement.endswith("?")
    template = replacement[:-1] if drop else replacement
    split = _literal_question(template)
    if split >= 0:
        # New arguments replace the old ones, which follow them unless the
        # replacement ends with "?".
        uri = variables.expand(template[:split], state)
        keep = state.args and not drop
        state.args = variables.expand(template[split + 1:], state) + ("&" + state.args if keep else "")
    else:
        uri = variables.expand(template, state)
        if drop:
            state.args = ""
    state.step("rewrite", f"rewrite {pattern} {replacement}{' ' + flag if flag else ''}: URI {state.uri} -> {uri}", node)
    state.uri = uri
    state.internal = True     # any rewritten URI may enter `internal` locations (ngx_http_script: r->internal = 1)
    if flag == "last":
        return Action("last", node, uri=uri)
    if flag == "break":
        state.valid_location = False      # ngx_http_script: r->valid_location = 0 (break_cycle)
        return Action("break", node, uri=uri)
    return Action("changed", node, uri=uri)


def _literal_question(template: str) -> int:
    """Where the first "?" outside variable names is in `template`, or -1."""
    pos = 0
    while pos < len(template):
        if template[pos] == "?":
            return pos
        match = variables.VAR.match(template, pos) if template[pos] == "$" else None
        pos = match.end() if match else pos + 1
    return -1


def _condition(state, node: Node) -> bool:
    args = node.values
    if not args:
        return False
    if len(args) == 1:
        value = variables.expand(args[0], state)
        return value not in ("", "0")
    first, op = args[0], args[1]
    if op in ("-f", "!-f", "-d", "!-d", "-e", "!-e", "-x", "!-x") or first in (
            "-f", "!-f", "-d", "!-d", "-e", "!-e", "-x", "!-x"):
        test, path_text = (first, args[1]) if first.startswith(("-", "!-")) else (op, first)
        return _file_test(state, test, variables.expand(path_text, state))
    value = variables.expand(first, state)
    other = args[2] if len(args) > 2 else ""
    if op == "=":
        return value == variables.expand(other, state)
    if op == "!=":
        return value != variables.expand(other, state)
    if op in ("~", "~*", "!~", "!~*"):
        try:
            regex = compile_regex(other, op.endswith("*"))
        except BadRegex:
            return False
        match = regex.search(value)
        if not match:
            _forget_captures(state)
        else:           # a match sets the captures whichever way the test is read
            state.captures = match.groups()
            state.named_captures.update({k: v for k, v in match.groupdict().items() if v is not None})
            state.capture_whole = match.group(0)
        return bool(match) != op.startswith("!")
    return False


def _forget_captures(state) -> None:
    """Real nginx: after any regex of the script is tried, $1..$9 are those of
    that regex, empty when it failed or has no groups (checked on nginx 1.22;
    named captures stay set)."""
    state.captures, state.capture_whole = (), ""


def _file_test(state, test: str, path: str) -> bool:
    negate = test.startswith("!")
    kind = test.lstrip("!")
    if state.model.fs is None:
        state.unknown.add("filesystem")
        return negate
    checker = state.model.checker(state.scope, state)
    access = checker.check(path, state.model.test_want(checker, path))
    meta = access.meta if access.ok else None
    if meta is not None and meta.kind != "dir" and path.endswith("/"):
        meta = None        # stat("file/") fails with ENOTDIR: -e and -f are false
    if meta is None:
        result = False
    elif kind == "-f":
        result = meta.kind == "file"
    elif kind == "-d":
        result = meta.kind == "dir"
    elif kind == "-x":
        result = bool(meta.mode & 0o111)
    else:
        result = True
    return result != negate
