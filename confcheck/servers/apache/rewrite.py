"""mod_rewrite: RewriteEngine/Base/Options/Cond/Rule, in server and directory context.

Facts from modules/mappers/mod_rewrite.c:
* server context (hook_uri2file, translate phase): rules see the URI with its
  leading slash; a result whose first path segment exists on disk is a
  filesystem path, else a URL path under DocumentRoot (prefix_stat); [PT]
  hands the result on as a URI (Alias, DocumentRoot).
* directory context (hook_fixup, after authorization): rules see the file
  path with the section's directory stripped (path info included); a
  relative result gets the directory back, then RewriteBase replaces it or the
  DocumentRoot is stripped, and the request is redirected internally. Without
  FollowSymLinks/SymLinksIfOwnerMatch it is a 403 (AH00670). A result equal
  to the current file name is ignored (that is what ends loops).
* flags: F (403), G (410), R[=code] (302 default), L, END, PT, NC, OR, C, S,
  E=, QSA, QSD, NS; P hands the request to mod_proxy. A subrequest passes over
  rules with NS or R (apply_rewrite_list).
* a status or redirect a rule answers is returned after r->status is set back
  to 200 (hook_uri2file, hook_fixup), so during an ErrorDocument's internal
  redirect it replaces the original error (decide.RewriteStatus).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from confcheck.parsers.syntax import Node
from confcheck.servers.apache.conf import compile_regex
from confcheck.servers.apache.perdir import DirectiveError, RewriteCondSpec, RewriteRuleSpec

_FLAG_NAMES = {"nocase": "nc", "last": "l", "forbidden": "f", "gone": "g", "redirect": "r",
               "passthrough": "pt", "chain": "c", "skip": "s", "env": "e", "qsappend": "qsa",
               "qsdiscard": "qsd", "noescape": "ne", "nosubreq": "ns", "proxy": "p", "type": "t",
               "handler": "h", "ornext": "or", "next": "n", "cookie": "co", "discardpath": "dpi",
               "novary": "nv"}


def _flags(text: str | None, node: Node, cond: bool) -> dict:
    out: dict = {}
    if text is None:
        return out
    if not (text.startswith("[") and text.endswith("]")):     # an empty third word too
        raise DirectiveError(f"{'RewriteCond' if cond else 'RewriteRule'}: bad flag delimiters", node)
    for part in text[1:-1].split(","):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.partition("=")
        key = _FLAG_NAMES.get(name.lower(), name.lower())
        if key == "e":
            out.setdefault("e", []).append(value)
        else:
            out[key] = value if _ else True
    return out


def add_directive(layer, node: Node) -> None:
    key = node.key
    v = layer.values
    values = node.values
    if key == "rewriteengine":
        if not values or values[0].lower() not in ("on", "off"):
            raise DirectiveError("RewriteEngine must be On or Off", node)
        v["rw_engine"] = values[0].lower() == "on"
        v["rw_engine_node"] = node
    elif key == "rewriteoptions":
        v["rw_options"] = frozenset(w.lower() for w in values)
    elif key == "rewritebase":
        if not values or not values[0].startswith("/"):
            raise DirectiveError("RewriteBase: argument is not a valid URL", node)
        v["rw_base"] = node
    elif key == "rewritecond":
        layer.rw_pending.append(make_cond(node))
    elif key == "rewriterule":
        layer.rw_rules.append(make_rule(node, layer.rw_pending))
        layer.rw_pending = []


def make_cond(node: Node) -> RewriteCondSpec:
    values = node.values
    # mod_rewrite's parseargline reads three words and ignores the rest of the line
    if len(values) < 2:
        raise DirectiveError("RewriteCond: bad argument line", node)
    flags = _flags(values[2] if len(values) > 2 else None, node, True)
    pattern = values[1]
    body = pattern[1:] if pattern.startswith("!") else pattern
    if not (body.startswith("-") and len(body) <= 3) and body[:1] not in ("<", ">", "="):
        if compile_regex(body, "nc" in flags) is None:
            raise DirectiveError(f"RewriteCond: cannot compile regular expression '{body}'", node)
    return RewriteCondSpec(node, values[0], pattern, flags)


def make_rule(node: Node, conds: list) -> RewriteRuleSpec:
    values = node.values
    if len(values) < 2:
        raise DirectiveError("RewriteRule: bad argument line", node)
    flags = _flags(values[2] if len(values) > 2 else None, node, False)
    pattern = values[0]
    negate = pattern.startswith("!")
    body = pattern[1:] if negate else pattern
    regex = compile_regex(body, "nc" in flags)
    if regex is None:
        raise DirectiveError(f"RewriteRule: cannot compile regular expression '{body}'", node)
    return RewriteRuleSpec(node, pattern, regex, negate, values[1], flags, list(conds))




@dataclass
class Action:
    kind: str                 # none | status | redirect | rewrite | proxy
    target: str = ""
    status: int | None = None
    node: Node | None = None
    passthrough: bool = False
    end: bool = False
    args: str | None = None
    log: list[str] = field(default_factory=list)


class Env:
    """What %{...} and the -f/-d tests see."""

    def __init__(self, variables, file_test, env: dict) -> None:
        self.variables = variables    # callable(name) -> str | None (None: unknown)
        self.file_test = file_test    # callable(kind, path) -> bool | None
        self.env = env                # request environment (E= writes here)
        self.unknown: list[str] = []
        # (node, name): the first unknown value (%{TIME...}, %{SSL:...}, a module's variable) that
        # decided a condition or a rewritten URI; the answer is then unknown (decide.py)
        self.deciding: tuple[Node, str] | None = None

    def decided(self, node: Node, mark: int) -> None:
        if len(self.unknown) > mark and self.deciding is None:
            self.deciding = (node, self.unknown[mark])


# do_expand: a backslash takes the next character literally (`\&`, `\$1`) and is dropped
_VAR = re.compile(r"%\{([^}]+)\}|\$(\d)|%(\d)|\\(.)", re.S)


def expand(text: str, env: Env, rule_groups: tuple, cond_groups: tuple) -> str:
    def sub(m: re.Match) -> str:
        if m.group(4) is not None:
            return m.group(4)
        if m.group(1):
            name = m.group(1)
            value = env.variables(name)
            if value is None:
                env.unknown.append(name)
                return ""
            return value
        if m.group(2):
            i = int(m.group(2))
            return (rule_groups[i] or "") if i < len(rule_groups) else ""
        i = int(m.group(3))
        return (cond_groups[i] or "") if i < len(cond_groups) else ""
    return _VAR.sub(sub, text)


def _cond_holds(cond: RewriteCondSpec, env: Env, rule_groups: tuple, state: dict) -> bool:
    value = expand(cond.test, env, rule_groups, state.get("cond_groups", ()))
    pattern = cond.pattern
    negate = pattern.startswith("!")
    if negate:
        pattern = pattern[1:]
    nc = "nc" in cond.flags
    if pattern in ("-d", "-f", "-s", "-l", "-L", "-h", "-x", "-F", "-U"):
        result = env.file_test(pattern, value)
        if result is None:
            env.unknown.append(f"{cond.test} {pattern}")
            result = False
    elif pattern[:1] in ("<", ">", "=") and not pattern.startswith("=~"):
        op = pattern[:2] if pattern[:2] in ("<=", ">=") else pattern[0]
        other = pattern[len(op):]
        if other == '""':
            other = ""
        a, b = (value.lower(), other.lower()) if nc else (value, other)
        result = {"=": a == b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    elif pattern in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
        result = False
    else:
        regex = compile_regex(pattern, nc)
        m = regex.search(value) if regex is not None else None
        result = m is not None
        if m is not None and not negate:
            state["cond_groups"] = (m.group(0),) + m.groups()
    return result != negate


def run(rules, subject: str, env: Env, *, perdir: str | None, base: str | None,
        args: str, subrequest: bool = False) -> Action:
    """apply_rewrite_list: the first rule set outcome for `subject`. In a subrequest
    (mod_dir's DirectoryIndex lookup) rules with [NS] or [R] are passed over."""
    i = 0
    changed = False
    current = subject
    out_args: str | None = None
    last_node: Node | None = None
    log: list[str] = []
    skip_chain = False
    while i < len(rules):
        rule = rules[i]
        flags = rule.flags
        if skip_chain:
            skip_chain = "c" in flags
            i += 1
            continue
        if subrequest and ("ns" in flags or "r" in flags):
            i += 1
            continue
        # per directory, every rule matches the file name without the directory (a rule
        # before may have put it back in front: apply_rewrite_rule strips it again)
        text = current[len(perdir):] if perdir is not None and current.startswith(perdir) else current
        m = rule.regex.search(text)
        matched = (m is not None) != rule.negate
        if matched:
            groups = ((m.group(0),) + m.groups()) if m is not None and not rule.negate else ()
            state: dict = {}
            ok = True
            conds = rule.conds
            j = 0
            while j < len(conds):
                cond = conds[j]
                mark = len(env.unknown)
                holds = _cond_holds(cond, env, groups, state)
                env.decided(cond.node, mark)
                if "or" in cond.flags:
                    if holds:
                        while j < len(conds) and "or" in conds[j].flags:
                            j += 1
                        j += 1
                        continue
                    j += 1
                    continue
                if not holds:
                    ok = False
                    break
                j += 1
            matched = ok
        if not matched:
            if "c" in flags:
                skip_chain = True
            i += 1
            continue
        last_node = rule.node
        cond_groups = state.get("cond_groups", ())
        for assignment in flags.get("e", []):
            mark = len(env.unknown)
            name, _, value = assignment.partition(":")
            name = expand(name, env, groups, cond_groups)
            if name.startswith("!"):
                env.env.pop(name[1:], None)
            else:
                env.env[name] = expand(value, env, groups, cond_groups)
            if len(env.unknown) > mark:
                # the value (or the name) is made of something not known offline: whoever reads it
                # cannot be answered (envvars.RequestEnv)
                env.env.set_unknown(name.lstrip("!"), rule.node,
                                    f"E={assignment} is built from %{{{env.unknown[mark]}}}, not known offline",
                                    is_set=not name.startswith("!") and "%{" not in assignment.partition(":")[0])
        if "f" in flags:
            return Action("status", status=403, node=rule.node, log=log)
        if "g" in flags:
            return Action("status", status=410, node=rule.node, log=log)
        target = rule.target
        if target != "-":
            mark = len(env.unknown)
            result = expand(target, env, groups, cond_groups)
            if "r" not in flags and not re.match(r"^[a-z][a-z0-9+.-]*://", target, re.I):
                env.decided(rule.node, mark)     # the new URI depends on it; a redirect's status does not
            query = None
            if "?" in result:
                result, _, query = result.partition("?")
                if "qsa" in flags and args:
                    query = (query + "&" + args) if query else args
            elif "qsd" in flags:
                query = ""
            if query is not None:
                out_args = query
            is_url = re.match(r"^[a-z][a-z0-9+.-]*://", result, re.I) is not None
            if perdir is not None and not is_url and not result.startswith("/"):
                result = perdir + result
            current = result
            changed = True
            log.append(f"{rule.node.name} {' '.join(a.raw for a in rule.node.args)} -> {result}")
            if "r" in flags or (is_url and "p" not in flags):
                code = flags["r"] if isinstance(flags.get("r"), str) else None
                status = 302
                if code:
                    status = 301 if code.lower() == "permanent" else 303 if code.lower() == "seeother" \
                        else 302 if code.lower() == "temp" else int(code) if code.isdigit() else 302
                if status < 300 or status > 399:
                    # R=4xx/5xx: the substitution is dropped, the status is returned
                    return Action("status", status=status, node=rule.node, log=log)
                return Action("redirect", current, status, rule.node, args=out_args, log=log)
            if "p" in flags:
                return Action("proxy", current, None, rule.node, log=log)
        elif isinstance(flags.get("r"), str) and flags["r"].isdigit() and not 300 <= int(flags["r"]) <= 399:
            return Action("status", status=int(flags["r"]), node=rule.node, log=log)
        if "end" in flags:
            return Action("rewrite" if changed else "none", current, node=last_node,
                          passthrough="pt" in flags, end=True, args=out_args, log=log)
        if "l" in flags or "pt" in flags:
            break
        if "s" in flags and str(flags["s"]).isdigit():
            i += int(flags["s"])
        i += 1
    if changed:
        return Action("rewrite", current, node=last_node,
                      passthrough=bool(last_node and "pt" in _rule_flags(rules, last_node)),
                      args=out_args, log=log)
    return Action("none", node=last_node, log=log)


def _rule_flags(rules, node: Node) -> dict:
    for r in rules:
        if r.node is node:
            return r.flags
    return {}
