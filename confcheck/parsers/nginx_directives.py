"""Context and argument-count checks for nginx directives.

The data is crossplane's directive table (`crossplane.analyzer.DIRECTIVES`,
bitmasks copied from nginx's ngx_command_t definitions) plus a few directives
its 0.5.8 table lacks. crossplane is imported only when validating, so plain
parsing stays fast to import.

What is deliberately not an error:
* a directive neither table knows (third-party modules: more_set_headers, Lua);
* entries of map/types/geo/split_clients/match/charset_map bodies, which are
  data, not directives;
* anything inside a context crossplane has no entry for.
"""

from __future__ import annotations

import re

from confcheck.source import Diagnostics, Span
from confcheck.parsers import nginx_values as values
from confcheck.parsers.nginx_ssl import certificate_problems
from confcheck.parsers.nginx_variables import LOOKED_AT, Variables
from confcheck.parsers.spelling import near
from confcheck.parsers.syntax import LazyNode, Node, effective_children

# Blocks whose body is a table of entries, not directives.
DATA_BLOCKS = frozenset({"map", "types", "geo", "split_clients", "match", "charset_map"})

CODE = "nginx-directive"


def _local_directives(a) -> dict[str, list[int]]:
    """Directives real configs use that crossplane 0.5.8 does not know (nginx docs)."""
    http_ms = a.NGX_HTTP_MAIN_CONF | a.NGX_HTTP_SRV_CONF
    http_msl = http_ms | a.NGX_HTTP_LOC_CONF
    stream_ms = a.NGX_STREAM_MAIN_CONF | a.NGX_STREAM_SRV_CONF
    mail_ms = a.NGX_MAIL_MAIN_CONF | a.NGX_MAIL_SRV_CONF
    return {
        "http2": [http_ms | a.NGX_CONF_FLAG],                       # 1.25.1
        "http3": [http_ms | a.NGX_CONF_FLAG],                       # 1.25.0
        "http3_hq": [http_ms | a.NGX_CONF_FLAG],
        "quic_retry": [http_ms | a.NGX_CONF_FLAG],
        "quic_gso": [http_ms | a.NGX_CONF_FLAG],
        "ssl_reject_handshake": [http_ms | a.NGX_CONF_FLAG,         # 1.19.4
                                 stream_ms | a.NGX_CONF_FLAG],
        "ssl_conf_command": [http_ms | a.NGX_CONF_TAKE2,            # 1.19.4
                             stream_ms | a.NGX_CONF_TAKE2,
                             mail_ms | a.NGX_CONF_TAKE2],
        "proxy_ssl_conf_command": [http_msl | a.NGX_CONF_TAKE2,
                                   stream_ms | a.NGX_CONF_TAKE2],
        "grpc_ssl_conf_command": [http_msl | a.NGX_CONF_TAKE2],
        "uwsgi_ssl_conf_command": [http_msl | a.NGX_CONF_TAKE2],
        "ssl_ocsp": [http_ms | a.NGX_CONF_TAKE1],                   # 1.19.0
        "ssl_ocsp_cache": [http_ms | a.NGX_CONF_TAKE1],
        "ssl_ocsp_responder": [http_ms | a.NGX_CONF_TAKE1],
        "keepalive_time": [http_msl | a.NGX_CONF_TAKE1,             # 1.19.10
                           a.NGX_HTTP_UPS_CONF | a.NGX_CONF_TAKE1],
        "proxy_cookie_flags": [http_msl | a.NGX_CONF_TAKE1234],     # 1.19.3
        "ssl_key_log": [http_ms | a.NGX_CONF_TAKE1],
        # libnginx-mod-http-modsecurity 1.0.3 (ngx_http_modsecurity_module.c)
        "modsecurity": [http_msl | a.NGX_CONF_FLAG],
        "modsecurity_rules": [http_msl | a.NGX_CONF_TAKE1],
        "modsecurity_rules_file": [http_msl | a.NGX_CONF_TAKE1],
        "modsecurity_rules_remote": [http_msl | a.NGX_CONF_TAKE2],
        "modsecurity_transaction_id": [http_msl | a.NGX_CONF_1MORE],
    }


class _Table:
    """crossplane's masks and contexts, loaded on first use of a validator."""

    def __init__(self) -> None:
        from crossplane import analyzer as a  # deliberately lazy: slow import
        self.a = a
        self.directives = dict(a.DIRECTIVES)
        self.directives.update(_local_directives(a))
        self.contexts = a.CONTEXTS
        self.prefixes: set[str] | None = None  # of every directive name, made when needed


def _enter(ctx: tuple, name: str) -> tuple:
    # crossplane's enter_block_ctx: locations don't nest as contexts
    if ctx and ctx[0] == "http" and name == "location":
        return ("http", "location")
    return ctx + (name,)


def _check(node: Node, ctx: tuple, table: _Table, diags: Diagnostics, cache: dict) -> None:
    """Report `node` if it is wrong in `ctx`; `cache` holds one dict of verdicts per context."""
    verdicts = cache.get(ctx)
    if verdicts is None:
        verdicts = cache[ctx] = {}
    _report(node, _cached_verdict(node, ctx, table, verdicts), diags)


def _cached_verdict(node: Node, ctx: tuple, table: _Table, verdicts: dict):
    is_block = node.children is not None
    key = (node.name, len(node.args), is_block)
    verdict = verdicts.get(key)
    if verdict is None:
        verdict = verdicts[key] = _verdict(node.name, ctx, is_block, len(node.args), table)
    return verdict


def _report(node: Node, verdict, diags: Diagnostics) -> None:
    if verdict is True:
        return
    if verdict == "flag":  # depends on the value, not only on the count
        value = node.args[0].value
        if value.split("\0", 1)[0].lower() in ("on", "off"):  # ngx_strcasecmp: a C string
            return
        verdict = f'invalid value "{value}" in "{node.name}" directive, it must be "on" or "off"'
    diags.add(verdict, node.name_span, code=CODE)


def _verdict(name: str, ctx: tuple, is_block: bool, n_args: int, table: _Table):
    """True when fine, "flag" when an on/off value decides, else the message."""
    masks = table.directives.get(name)
    mask_ctx = table.contexts.get(ctx)
    if masks is None or mask_ctx is None:
        return True
    a = table.a
    masks = [m for m in masks if m & mask_ctx]
    if not masks:
        return f'"{name}" directive is not allowed here'
    reason = None
    flag = False
    for mask in reversed(masks):
        if mask & a.NGX_CONF_BLOCK and not is_block:
            reason = f'directive "{name}" has no opening "{{"'
            continue
        if not mask & a.NGX_CONF_BLOCK and is_block:
            reason = f'directive "{name}" is not terminated by ";"'
            continue
        if ((n_args <= 7 and mask >> n_args & 1)
                or mask & a.NGX_CONF_ANY
                or (mask & a.NGX_CONF_1MORE and n_args >= 1)
                or (mask & a.NGX_CONF_2MORE and n_args >= 2)):
            return True
        if mask & a.NGX_CONF_FLAG and n_args == 1:
            flag = True
            continue
        reason = f'invalid number of arguments in "{name}" directive'
    return "flag" if flag else reason


def validate_nginx(nodes: list[Node], diags: Diagnostics, *, context: tuple[str, ...] = (),
                   main: bool = False, unloaded: frozenset[str] = frozenset()) -> None:
    """Check every directive below `nodes` (includes followed): context and
    arity, then what nginx's handlers refuse in the values (nginx_values.py).

    `context` is where `nodes` sit, as crossplane names contexts: () for the
    main file, ("http",) for a vhost snippet, ("http", "location") ...
    `main`: `nodes` are a whole main configuration with its includes, so
    what nginx decides on the whole (an "events" section, variables) is
    decided too.
    `unloaded`: directives of dynamic modules no `load_module` of this (main)
    configuration loads: nginx does not know them.

    Generated configs repeat the same directives thousands of times, so what
    depends only on the context, the name and the argument values is decided
    once (_Steps, _Values) and only reported per node, at that node's place;
    what depends on the block (duplicates, a second listen) is decided per node.
    """
    steps = _Steps(_Table(), unloaded)
    variables = Variables() if main else None
    checked = _Values(variables.formats if variables is not None else None)
    # explicit stack of (iterator, context, directives seen in that block, what
    # _quiet_body() needs to remember the block when it ends): source order, no
    # recursion limit on deep input; an included file's nodes share their block's entry
    stack = [(iter(nodes), context, {}, None)]
    quiet: set = set()      # _quiet_body()'s keys of the block bodies found fine
    by_ctx: dict = {}  # context -> (its steps, family, Variables.visit or None)
    fine = checked.fine
    visited = variables.effects if variables is not None else None
    while stack:
        it, ctx, seen, body = stack[-1]
        here = by_ctx.get(ctx)
        if here is None:
            fam = values.family(ctx)
            here = by_ctx[ctx] = (steps.of(ctx), fam,
                                  variables.visit if variables is not None and fam == "http" else None)
        of_ctx, fam, visit = here
        for node in it:
            name = node.name
            args = node.args
            step = of_ctx.get((name, len(args), node.children is not None))
            if step is None:
                step = steps.make(node, ctx, fam)
            what, verdict, todo, looked = step
            if what == _UNLOADED:
                diags.add(f'unknown directive "{name}"', node.name_span, code=CODE)
                continue
            vals = None  # the argument values, made when something needs them
            if what == _KNOWN:
                if verdict == "flag":  # on|off, decided by the value
                    _report(node, verdict, diags)
                if todo is not None:
                    vals = tuple([a.value for a in args])
                    # the same directive again, where only its values decide: fine as before,
                    # without a call (generated configs repeat most directives thousands of times),
                    # unless it is a second use in its block
                    dup = fine.get((fam, name, vals), _CHECK)
                    if dup is _CHECK or (dup is not None and dup in seen):
                        checked.check(node, fam, todo, seen, diags, vals)
                    elif dup is not None:
                        seen[dup] = node
            elif what == _BAD:
                _report(node, verdict, diags)
            else:  # a name no table knows
                if what == _MISSPELT:
                    shown = name.split("\0", 1)[0]  # nginx prints the name as a C string
                    diags.add(f'unknown directive "{shown}"', node.name_span, code=CODE)
                if variables is not None:
                    variables.unknowable = True
            if looked and visit is not None:
                if vals is None:
                    vals = tuple([a.value for a in args])
                if (name, vals) not in visited:     # a repeat changes nothing (Variables.visit)
                    visit(node, vals)
            elif variables is not None and name == "load_module":
                variables.unknowable = True  # a module may define any variable
            if node.included:
                for inc in reversed(node.included):
                    key = _quiet_key(inc.source.data, ctx, checked.formats)
                    if key in quiet:
                        continue
                    # an included file's nodes count in the including block: watch it
                    stack.append((iter(inc.nodes), ctx, seen,
                                  key and (key, len(diags.items), seen, len(seen))))
                break
            if node.children is None:
                continue
            if name in DATA_BLOCKS:
                if verdict is True:
                    _check_data(node, ctx, diags, variables)
                continue
            inner = _enter(ctx, name)
            key = _quiet_body(node, inner, checked.formats)
            if key in quiet:
                continue
            stack.append((iter(node.children), inner, {"^up": seen},
                          key and (key, len(diags.items), seen, len(seen))))
            break
        else:
            stack.pop()
            if body is not None:
                key, n_diags, watched, n_watched = body
                if len(diags.items) == n_diags and len(watched) == n_watched:
                    quiet.add(key)
    if variables is not None:
        for message, arg in variables.unknown():
            diags.add(message, arg.span, code=CODE)


def _quiet_body(node: Node, ctx: tuple, formats: set[str] | None) -> tuple | None:
    """_quiet_key of the body of block `node` (`ctx`: its own context), None unless it
    is a closed block of the nginx reader: the nodes of a closed block are exactly
    what its body's bytes say (the lexer and the parser start it at a statement
    boundary; a block only the parser's recovery ended is not closed)."""
    if not isinstance(node, LazyNode) or not node._closed:
        return None
    return _quiet_key(node._src.data[node._header_end:node._end], ctx, formats)


def _quiet_key(text: bytes, ctx: tuple, formats: set[str] | None) -> tuple | None:
    """The key under which validate_nginx remembers directives read from `text` (a
    block's body or an included file) in `ctx` as fine, None when it cannot.

    Generated configs repeat the same location bodies and include the same
    snippets in every server. The same bytes in the same context are the same
    directives with the same values, and checking them again changes nothing
    when the first check reported nothing and recorded nothing in the enclosing
    block (a duplicate key, a `listen`, a location): every verdict then depends
    on the context and the values only (a second use in a block is seen through
    that record), and Variables has their definitions and uses already. Not for
    text with an `include` (what that loads is the disk's business, not the
    text's); the log formats known so far are part of the key, as access_log's
    verdict depends on them."""
    if text.find(b"include") >= 0:      # (`in` on bytes pays for trying the operand as an int first)
        return None
    return ctx, text, None if formats is None else len(formats)


# What a directive is, by context, name, argument count and block-ness (_Steps.make)
_UNLOADED, _BAD, _UNKNOWN, _MISSPELT, _KNOWN = range(5)


class _Steps:
    """Per context: (name, argument count, is a block) -> (what, verdict,
    values.plan, whether Variables looks at it), decided once."""

    def __init__(self, table: _Table, unloaded: frozenset[str]) -> None:
        self.table = table
        self.unloaded = unloaded
        self.by_ctx: dict[tuple, dict] = {}
        self.plans: dict = {}       # (family, name) -> values.plan()
        self.verdicts: dict = {}    # context -> _cached_verdict's cache

    def of(self, ctx: tuple) -> dict:
        found = self.by_ctx.get(ctx)
        if found is None:
            found = self.by_ctx[ctx] = {}
        return found

    def make(self, node: Node, ctx: tuple, fam: str) -> tuple:
        table = self.table
        name = node.name
        verdicts = self.verdicts.get(ctx)
        if verdicts is None:
            verdicts = self.verdicts[ctx] = {}
        verdict = _cached_verdict(node, ctx, table, verdicts)
        todo = None
        if name in self.unloaded:
            what = _UNLOADED
        elif verdict is not True and verdict != "flag":
            what = _BAD
        elif name not in table.directives:
            what = _MISSPELT if ctx in table.contexts and _misspelt(name, table) else _UNKNOWN
        else:
            what = _KNOWN
            todo = self.plans.get((fam, name), False)
            if todo is False:
                todo = self.plans[(fam, name)] = values.plan(name, fam)
        step = (what, verdict, todo, name in LOOKED_AT)
        self.of(ctx)[(name, len(node.args), node.children is not None)] = step
        return step


class _Values:
    """What the handlers refuse in the values, or a second use in one block.

    The handler's complaint depends on the family, the name and the argument
    values only: it is decided once per distinct directive, as (message,
    index of the argument it names, -1 for the directive) or None, and
    reported at each node's own argument."""

    def __init__(self, formats: set[str] | None) -> None:
        self.formats = formats  # log formats defined so far (None: not known)
        self.known: dict[tuple, tuple[str, int] | None] = {}
        # (family, name, values) of directives found fine whose verdict nothing but their values
        # decides (no log format to find, no listen or location to compare) -> their duplicate
        # key (None: any number allowed): a repeat needs no check, only a look for a second use
        self.fine: dict[tuple, str | None] = {}

    def check(self, node: Node, fam: str, todo: tuple, seen: dict, diags: Diagnostics,
              vals: tuple[str, ...]) -> None:
        """`todo`: nginx_values.plan for the directive; `vals`: its argument values."""
        kind, key, custom = todo
        if key is not None:
            first = seen.get(key)
            if first is not None:
                diags.add(values.duplicate_message(node, first), node.name_span, code=CODE)
                return
            seen[key] = node
        where = None
        if (kind is not None and kind != "flag") or custom:
            known = (fam, node.name, vals)
            if node.name == "access_log" and self.formats is not None and len(vals) > 1:
                known += (vals[1].lower() in self.formats,)  # the format must be defined by now
            found = self.known.get(known, _UNSEEN)
            if found is _UNSEEN:
                problem = self.decide(node, fam, kind, known)
                if problem is not None:
                    message, where = problem
            elif found is not None:
                message, index = found
                where = node if index < 0 else node.args[index]
        if where is None and fam == "http" and node.name in ("listen", "location"):
            problem = values.repeated_problem(node, seen)
            if problem is not None:
                message, where = problem
            else:
                # what a repeat records in its block depends on the values only (unless it
                # is a default server): it needs no call either, only the look for a repeat
                mark = values.repeat_key(node)
                if mark is not False:
                    self.fine[(fam, node.name, vals)] = mark
        elif where is None and node.name != "access_log":
            self.fine[(fam, node.name, vals)] = key
        if where is not None:
            diags.add(message, where.span if hasattr(where, "quote") else where.name_span, code=CODE)

    def decide(self, node: Node, fam: str, kind: str | None, known: tuple):
        """The handler's (message, where) or None, remembered under `known`."""
        if kind is not None and kind != "flag":
            problem = values.slot_problem(node, kind, fam)
        else:
            problem = values.custom_problem(node, fam, self.formats)
        if problem is None:
            self.known[known] = None
            return None
        message, where = problem
        index = -1 if where is node else next(
            (i for i, arg in enumerate(node.args) if arg is where), None)
        if index is not None:  # (a complaint about another object is decided each time)
            self.known[known] = (message, index)
        return problem


_UNSEEN = object()
_CHECK = object()       # not in _Values.fine: check it


def _check_data(block: Node, ctx: tuple, diags: Diagnostics, variables) -> None:
    for message, entry in values.data_block_problems(block, values.family(ctx)):
        diags.add(message, entry.name_span, code=CODE)
    if variables is not None and block.name == "map" and ctx[:1] == ("http",):
        for entry in effective_children(block.children):
            variables.visit_map_entry(entry)


_WORD = re.compile(r"[a-z_][a-z0-9_]*")


def _misspelt(name: str, table: _Table) -> bool:
    """Is `name`, which no table knows, nginx's `unknown directive`: can no module define it?

    A third-party module's directive (more_set_headers, content_by_lua_block)
    is unknown to the table but fine once its module is loaded, which a
    lone file cannot tell: only a name no module could have (characters
    other than a-z 0-9 _, a leading digit), a truncated directive (a proper
    prefix of one), a typo (one edit away from one) or a directive run into
    the next word (`worker_processesxauto`: a module extends a name with
    "_", as rewrite_by_lua does) is refused.
    """
    return not _WORD.fullmatch(name) or _near_known(name, table)


def _near_known(name: str, table: _Table) -> bool:
    if table.prefixes is None:
        table.prefixes = {d[:i] for d in table.directives for i in range(1, len(d))}
    if name in table.prefixes:
        return True
    for end in range(4, len(name)):
        if name[end] != "_" and name[:end] in table.directives:
            return True
    return near(name, table.directives)


MAIN_ONLY = frozenset({"http", "events", "stream", "mail", "user", "worker_processes", "pid",
                       "load_module", "worker_rlimit_nofile", "daemon", "master_process"})
SNIPPET_CONTEXTS = (("http",), ("http", "server"), ("http", "location"))


def snippet_context(nodes: list[Node]) -> tuple[str, ...]:
    """Where a file that is not a main config most plausibly sits.

    A vhost file (sites-available/shop.conf) holds `server` blocks for http{};
    a snippet holds `location` blocks or directives for a server or location.
    nginx would only know from the include site, so pick the context in which
    the file's own top-level directives are valid: the one with fewest errors.
    """
    if any(n.name in MAIN_ONLY for n in nodes):
        return ()
    best, best_errors = SNIPPET_CONTEXTS[0], None
    for context in SNIPPET_CONTEXTS:
        trial = Diagnostics()
        table_check = _Table()
        cache: dict = {}
        for node in nodes:
            _check(node, context, table_check, trial, cache)
        if best_errors is None or len(trial.items) < best_errors:
            best, best_errors = context, len(trial.items)
    return best


def load_module_paths(nodes: list[Node]) -> list[str]:
    """The paths the main context's `load_module` lines name (Debian: modules-enabled/*.conf),
    as written: relative ones are relative to nginx's prefix; only the file name says the module."""
    return [n.args[0].value for n in effective_children(nodes) if n.name == "load_module" and n.args]


def validate(config, diags: Diagnostics, unloaded=None, *, named_main: bool = False) -> None:
    """Validate a loaded NginxConfig: the main file in the main context, a
    lone vhost or snippet file where its directives belong. `unloaded(paths)`:
    the directives of the dynamic modules these `load_module` paths leave out
    (coverage.nginx_unloaded_directives); asked only of a main configuration,
    as a lone file does not say which modules its server loads. `named_main`: the user named
    this file, holding an http or events block, as the config nginx is started with (-c)."""
    main = named_main or config.main.source.path.rsplit("/", 1)[-1] == "nginx.conf"
    context = () if main else snippet_context(config.nodes)
    missing = unloaded(load_module_paths(config.nodes)) if main and unloaded else frozenset()
    validate_nginx(config.nodes, diags, context=context, main=main, unloaded=missing)
    if main and not any(n.name == "events" for n in effective_children(config.nodes)):
        # nginx names no line (ngx_event_init_conf): the file's start stands for it
        diags.add('no "events" section in configuration', Span(config.main.source, 0, 0), code=CODE)
    if main:
        for message, node in certificate_problems(config.nodes):
            diags.add(message, node.name_span, code=CODE)
