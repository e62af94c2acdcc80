"""Authorization as httpd 2.4 runs it: mod_access_compat, then mod_authz_core,
then authentication (mod_auth_basic + mod_authn_file) and authz again with
the user (server/request.c ap_process_request_internal,
modules/aaa/mod_authz_core.c, mod_access_compat.c, mod_authz_host.c).

* `Satisfy Any`: the access checker (Order/Allow/Deny) granting is enough;
  with `Satisfy All` (or unset) its 403 (AH01797) comes first.
* The Require tree is evaluated without a user first: granted -> served;
  denied/neutral -> 403 (AH01630); "needs a user" -> authentication
  (401 without credentials, 500 when the password file cannot be read),
  then the tree again with the user (401 on failure, 403 with
  AuthzSendForbiddenOnFailure).
"""

from __future__ import annotations

import ipaddress

from confcheck.parsers.syntax import Node
from confcheck.servers.apache.perdir import (ALL_METHODS, AllowDeny, AuthzNode, DirConf, DirectiveError,
                                             method_key)

GRANTED, DENIED, NEUTRAL, NO_USER, ERROR = "granted", "denied", "neutral", "denied (no authenticated user yet)", "error"
# a provider whose answer depends on what confcheck cannot know offline (DNS, a database, LDAP)
UNKNOWN = "unknown"

# provider -> module that registers it
PROVIDERS = {"all": "authz_core_module", "env": "authz_core_module", "method": "authz_core_module",
             "expr": "authz_core_module", "ip": "authz_host_module", "host": "authz_host_module",
             "local": "authz_host_module", "forward-dns": "authz_host_module",
             "user": "authz_user_module", "valid-user": "authz_user_module",
             "group": "authz_groupfile_module", "file-owner": "authz_owner_module",
             # file-group is mod_authz_groupfile's (it asks mod_authz_owner for the file's group)
             "file-group": "authz_groupfile_module",
             "dbm-group": "authz_dbm_module", "dbm-file-group": "authz_dbm_module",
             "dbd-group": "authz_dbd_module", "dbd-login": "authz_dbd_module", "dbd-logout": "authz_dbd_module",
             "ldap-user": "authnz_ldap_module", "ldap-group": "authnz_ldap_module",
             "ldap-dn": "authnz_ldap_module", "ldap-attribute": "authnz_ldap_module",
             "ldap-filter": "authnz_ldap_module", "ldap-search": "authnz_ldap_module"}

# Providers that ask a database or a directory about the authenticated user: without
# a user they answer "no user yet" (as httpd's do); with one, the answer is not known offline.
OFFLINE_UNKNOWN = {"dbm-group": "a DBM group file", "dbm-file-group": "a DBM group file",
                   "dbd-group": "an SQL database", "dbd-login": "an SQL database", "dbd-logout": "an SQL database",
                   "ldap-user": "LDAP", "ldap-group": "LDAP", "ldap-dn": "LDAP", "ldap-attribute": "LDAP",
                   "ldap-filter": "LDAP", "ldap-search": "LDAP"}


# -- reading (config time) ---------------------------------------------------------

def parse_subnet(text: str):
    """apr_ipsubnet_create: a network, or "not-ip" (looks like a host name), or an error text."""
    ip, sep, mask = text.partition("/")
    if ":" in ip:
        try:
            addr = ipaddress.IPv6Address(ip)
        except ValueError:
            return "The specified IP address is invalid."
        try:
            return ipaddress.ip_network(f"{addr}/{mask or 128}", strict=False)
        except ValueError:
            return "The specified network mask is invalid."
    if not ip or any(c not in "0123456789." for c in ip):
        return "not-ip"
    parts = [p for p in ip.split(".")]
    if len(parts) > 4 or any(p == "" for p in parts) or any(int(p) > 255 for p in parts):
        return "The specified IP address is invalid."
    if not sep:
        # partial addresses name a network: 10.1 is 10.1.0.0/16
        bits = 8 * len(parts)
        full = parts + ["0"] * (4 - len(parts))
        return ipaddress.ip_network(f"{'.'.join(full)}/{bits}", strict=False)
    full = parts + ["0"] * (4 - len(parts))
    try:
        if "." in mask:
            return ipaddress.ip_network(f"{'.'.join(full)}/{mask}", strict=False)
        return ipaddress.ip_network(f"{'.'.join(full)}/{int(mask)}", strict=False)
    except ValueError:
        return "The specified network mask is invalid."


def add_require(layer, node: Node, limited: frozenset, parent: AuthzNode | None) -> None:
    words = node.values
    negate = bool(words) and words[0].lower() == "not"
    if negate:
        words = words[1:]
    if not words:
        raise DirectiveError("Require requires at least one argument", node)
    provider = words[0].lower()
    modules = layer.values.get("modules")
    module = PROVIDERS.get(provider)
    if module is None or (modules is not None and module not in modules):
        raise DirectiveError(f"Unknown Authz provider: {words[0]}", node)
    args = words[1:]
    if provider == "all" and (len(args) != 1 or args[0].lower() not in ("granted", "denied")):
        raise DirectiveError("Argument for 'Require all' must be 'granted' or 'denied'", node)
    if provider == "ip":
        if not args:
            raise DirectiveError("Require ip requires an argument", node)
        for word in args:
            net = parse_subnet(word)
            if net == "not-ip":
                raise DirectiveError(f"ip address '{word}' appears to be invalid", node)
            if isinstance(net, str):
                raise DirectiveError(f"ip address '{word}' appears to be invalid: {net}", node)
    if provider == "method":
        if not args:
            raise DirectiveError("Must specify at least one method", node)
    req = AuthzNode(None, negate=negate, provider=provider, args=args, node=node, limited=limited)
    container = parent
    if container is None:
        if layer.authz is None:
            layer.authz = AuthzNode("or", node=node, limited=frozenset())
        container = layer.authz
    if negate and container.op == "or" and not container.negate:
        raise DirectiveError(f"negative Require directive has no effect in {container.text()} directive", node)
    if negate and container.op == "or" and container.negate:
        pass
    container.limited = container.limited | limited
    container.children.append(req)


def add_container(layer, section, limited: frozenset, parent: AuthzNode | None, walk) -> None:
    kind = section.kind
    op = "and" if kind in ("requireall", "requirenotall") else "or"
    negate = kind in ("requirenone", "requirenotall")
    me = AuthzNode(op, negate=negate, node=section.node, limited=frozenset())
    walk(section.items, limited, me)
    if not me.children:
        raise DirectiveError(f"{me.text()} directive contains no authorization directives", section.node)
    outer = parent
    if outer is None:
        if layer.authz is None:
            layer.authz = AuthzNode("or", node=section.node, limited=frozenset())
        outer = layer.authz
    if negate and outer.op == "or":
        raise DirectiveError(f"{me.text()} directive has no effect in {outer.text()} directive", section.node)
    outer.limited = outer.limited | me.limited
    if not negate and me.op == outer.op:
        outer.children.extend(me.children)       # associative, as httpd flattens it
    else:
        outer.children.append(me)


def only_negative(section: AuthzNode) -> bool:
    """authz_core_check_section: true when a container holds nothing but negative
    directives (after De Morgan flattening of negated containers of the other kind)."""
    flags: list[bool] = []
    for child in section.children:
        if child.op is not None:
            if only_negative(child):
                return True
            if child.negate and child.op != section.op:
                flags.extend(not c.negate for c in child.children)
                continue
        flags.append(child.negate)
    return bool(flags) and all(flags)


def add_access_compat(layer, node: Node, limited: frozenset) -> None:
    key = node.key
    values = node.values
    if key == "order":
        if len(values) != 1:
            raise DirectiveError("Order takes one argument, 'allow,deny', 'deny,allow', or 'mutual-failure'", node)
        value = values[0].lower()
        if value not in ("allow,deny", "deny,allow", "mutual-failure"):
            raise DirectiveError("unknown order", node)
        for m in limited:
            layer.order[m] = value
        layer.values["order_node"] = node
        return
    if key == "satisfy":
        if len(values) != 1 or values[0].lower() not in ("all", "any"):
            raise DirectiveError("Satisfy either 'any' or 'all'.", node)
        for m in limited:
            layer.satisfy[m] = (values[0].lower(), node)
        return
    name = "allow" if key == "allow" else "deny"
    if len(values) < 2:
        raise DirectiveError(f"{name} requires at least two arguments, 'from' followed by hostnames or "
                             "IP-address wildcards", node)
    if values[0].lower() != "from":
        raise DirectiveError("allow and deny must be followed by 'from'", node)
    target = layer.allows if key == "allow" else layer.denys
    for where in values[1:]:
        low = where.lower()
        if low.startswith("env=!"):
            target.append(AllowDeny("nenv", where[5:], node, limited))
        elif low.startswith("env="):
            target.append(AllowDeny("env", where[4:], node, limited))
        elif low == "all":
            target.append(AllowDeny("all", None, node, limited))
        else:
            net = parse_subnet(where)
            if net == "not-ip":
                if "/" in where:
                    raise DirectiveError("An IP address was expected", node)
                if "#" in where:
                    raise DirectiveError("No comments are allowed here", node)
                target.append(AllowDeny("host", low, node, limited))
            elif isinstance(net, str):
                raise DirectiveError(net, node)
            else:
                target.append(AllowDeny("ip", net, node, limited))


# -- request time --------------------------------------------------------------------

class Context:
    """What the providers look at."""

    def __init__(self, method: str, client_ip: str, env: dict, user: str | None, expr_eval, assume) -> None:
        self.method = method_key(method)
        self.client_ip = client_ip
        self.env = env
        self.user = user
        self.expr_eval = expr_eval      # callable(text) -> bool | None
        self.assume = assume            # callable(text): record an assumption
        self.deciding: Node | None = None
        self.groups: set[str] | None = None       # AuthGroupFile membership, when read
        self.group_file: str | None = None        # why the group file could not be read (it denies then)
        self.file_ids = lambda: None    # callable() -> (owner name | None, group name | None) or a reason (str)
        self.client_unknown: str | None = None    # the address is not known offline (mod_remoteip): why
        self.forced: dict = {}          # id(AuthzNode) -> the answer taken for an unknown provider
        self.hosts_match = False        # Allow/Deny from a host name (or an unknown address) taken as matching
        self.host_entries: list = []    # such entries consulted
        self.undecided: list = []       # (AuthzNode, why) of unknown providers, as met


def _in_net(ip: str, net) -> bool:
    try:
        return ipaddress.ip_address(ip) in net
    except (ValueError, TypeError):
        return False


def find_allowdeny(entries, ctx: Context) -> AllowDeny | None:
    for entry in entries:
        if ctx.method not in entry.limited:
            continue
        if entry.kind == "all":
            return entry
        if entry.kind == "ip" and ctx.client_unknown is None and _in_net(ctx.client_ip, entry.value):
            return entry
        if entry.kind == "env" and entry.value in ctx.env:
            return entry
        if entry.kind == "nenv" and entry.value not in ctx.env:
            return entry
        if entry.kind == "host":
            # a reverse DNS lookup of the client: _access asks both ways (ctx.hosts_match)
            ctx.host_entries.append(entry)
            if ctx.hosts_match:
                return entry
        if entry.kind == "ip" and ctx.client_unknown is not None:
            ctx.host_entries.append(entry)
            if ctx.hosts_match:
                return entry
    return None


def check_access_compat(conf: DirConf, ctx: Context) -> tuple[bool, Node | None, str]:
    """mod_access_compat check_dir_access: (allowed, deciding directive, explanation)."""
    order = conf.order.get(ctx.method, "deny,allow")
    allow = find_allowdeny(conf.allows, ctx)
    deny = find_allowdeny(conf.denys, ctx)
    if order == "allow,deny":
        if deny is not None:
            return False, deny.node, f"Order allow,deny: '{_text(deny.node)}' matches (evaluated last)"
        if allow is not None:
            return True, allow.node, f"Order allow,deny: '{_text(allow.node)}' matches"
        return False, conf.order_node, "Order allow,deny and no Allow matches: denied by default"
    if order == "deny,allow":
        if allow is not None:
            return True, allow.node, f"Order deny,allow: '{_text(allow.node)}' matches (evaluated last)"
        if deny is not None:
            # with an explicit `Satisfy All` the unmatched Allow is the condition that failed;
            # otherwise the Deny that matched decides
            shown = deny.node
            if (conf.satisfy.get(ctx.method) or ("", None))[0] == "all":
                shown = next((a.node for a in conf.allows if ctx.method in a.limited), deny.node)
            return False, shown, (f"Order deny,allow: '{_text(deny.node)}' matches and no Allow does"
                                  + (f" ('{_text(shown)}' does not match {ctx.client_ip})" if shown is not deny.node
                                     else ""))
        return True, conf.order_node, "Order deny,allow and nothing matches: allowed by default"
    if allow is not None and deny is None:
        return True, allow.node, "Order mutual-failure: allowed and not denied"
    node = deny.node if deny is not None else conf.order_node
    return False, node, "Order mutual-failure: not (allowed and not denied)"


def _text(node: Node | None) -> str:
    if node is None:
        return "(default)"
    return " ".join([node.name] + [a.raw for a in node.args])


def evaluate(section: AuthzNode, ctx: Context, parent_op: str = "and") -> str:
    """apply_authz_sections: granted / denied / neutral / needs a user, or UNKNOWN when a
    provider the model cannot answer offline decides it (ctx.undecided names it). The
    answer is confident when every answer of those providers gives the same result."""
    ctx.undecided = []
    ctx.forced = {}
    result = _evaluate(section, ctx, parent_op)
    if not ctx.undecided:
        return result
    met = list(ctx.undecided)
    leaves: dict = {}
    results: dict = {}
    while True:
        # a forced answer may reach providers the first pass skipped: add them and look again
        new = [leaf for leaf, _ in met if id(leaf) not in leaves]
        if not new:
            break
        leaves.update((id(leaf), leaf) for leaf in new)
        if len(leaves) > 6:
            ctx.undecided = met[:1]
            return UNKNOWN
        order = list(leaves.values())
        results = {}
        for bits in range(2 ** len(order)):
            ctx.forced = {id(leaf): (GRANTED if bits >> i & 1 else DENIED) for i, leaf in enumerate(order)}
            ctx.undecided = []
            results[bits] = _evaluate(section, ctx, parent_op)
            met += [u for u in ctx.undecided if id(u[0]) not in leaves]
    leaves = list(leaves.values())
    ctx.forced = {}
    ctx.undecided = met
    answers = set(results.values())
    if len(answers) == 1:
        ctx.undecided = []
        return answers.pop()
    # name the first provider whose answer changes the result
    for i, leaf in enumerate(leaves):
        if any(results[b] != results[b ^ (1 << i)] for b in results):
            ctx.undecided = [(leaf, why) for leaf2, why in met if leaf2 is leaf][:1]
            break
    return UNKNOWN


def _evaluate(section: AuthzNode, ctx: Context, parent_op: str = "and") -> str:
    if ctx.method not in section.limited:
        return GRANTED if parent_op == "and" else NEUTRAL
    if section.op is None:
        result = ctx.forced.get(id(section)) or _provider(section, ctx)
        if result == UNKNOWN:
            result = DENIED     # taken as not matching while looking; evaluate() checks both answers
    else:
        result = NEUTRAL
        for child in section.children:
            r = _evaluate(child, ctx, section.op)
            if r == ERROR:
                return ERROR
            if r == NEUTRAL:
                continue
            if section.op == "and":
                if r == DENIED:
                    result = r
                    break
                if (r == NO_USER and result != DENIED) or result == NEUTRAL:
                    result = r
            else:
                if r == GRANTED:
                    result = r
                    break
                if (r == NO_USER and result == DENIED) or result == NEUTRAL:
                    result = r
    if section.negate:
        if result == GRANTED:
            result = DENIED
        elif result in (DENIED, NO_USER):
            result = NEUTRAL
    return result


def _unknown(req: AuthzNode, ctx: Context, why: str) -> str:
    if id(req) not in ctx.forced:
        ctx.undecided.append((req, why))
    return UNKNOWN


def _provider(req: AuthzNode, ctx: Context) -> str:
    p, args = req.provider, req.args
    if p == "all":
        return GRANTED if args and args[0].lower() == "granted" else DENIED
    if p in ("ip", "local") and ctx.client_unknown is not None:
        return _unknown(req, ctx, ctx.client_unknown)
    if p == "ip":
        for word in args:
            net = parse_subnet(word)
            if not isinstance(net, str) and _in_net(ctx.client_ip, net):
                return GRANTED
        return DENIED
    if p == "local":
        ip = ipaddress.ip_address(ctx.client_ip)
        return GRANTED if ip.is_loopback else DENIED
    if p == "env":
        return GRANTED if any(a in ctx.env for a in args) else DENIED
    if p == "method":
        return GRANTED if any(method_key(a) == ctx.method for a in args) else DENIED
    if p in ("valid-user", "user"):
        if ctx.user is None:
            return NO_USER
        return GRANTED if p == "valid-user" or ctx.user in args else DENIED
    if p == "expr":
        text = " ".join(args)
        value = ctx.expr_eval(text)
        if value is None:
            return _unknown(req, ctx, f"the expression {text} cannot be evaluated offline")
        return GRANTED if value else DENIED
    if p == "host":
        # mod_authz_host: a double-reverse DNS lookup of the client address, whatever HostnameLookups says
        return _unknown(req, ctx, f"the client {ctx.client_ip} is matched by a reverse DNS lookup "
                                  "(double-checked forward), not known offline")
    if p == "forward-dns":
        return _unknown(req, ctx, f"the names {' '.join(args)} are resolved when the request comes, "
                                  "not known offline")
    if p in OFFLINE_UNKNOWN:
        if ctx.user is None:
            return NO_USER
        return _unknown(req, ctx, f"asks {OFFLINE_UNKNOWN[p]} about {ctx.user}, not read offline")
    if p in ("group", "file-group"):
        if ctx.user is None:
            return NO_USER
        if ctx.groups is None:
            # no AuthGroupFile, or it cannot be read (AH01664/AH01665): denied
            return DENIED
        if p == "group":
            if any("%{" in a for a in args):
                return _unknown(req, ctx, "the group names are an expression evaluated per request")
            return GRANTED if any(g in ctx.groups for g in args) else DENIED
        ids = ctx.file_ids()
        if isinstance(ids, str):
            return _unknown(req, ctx, ids)
        return GRANTED if ids is not None and ids[1] is not None and ids[1] in ctx.groups else DENIED
    if p == "file-owner":
        if ctx.user is None:
            return NO_USER
        ids = ctx.file_ids()
        if isinstance(ids, str):
            return _unknown(req, ctx, ids)
        # a file httpd cannot stat, or whose owner has no name, is denied (AH01633-AH01636)
        return GRANTED if ids is not None and ids[0] == ctx.user else DENIED
    return DENIED


def deciding_require(section: AuthzNode, ctx: Context, want: str) -> AuthzNode | None:
    """The Require line whose result decided `want` for this container: inside a
    negated container the inverse result counts; an Any that denies names its
    last line (all of them failed), an All its first failing one."""
    if ctx.method not in section.limited:
        return None
    if section.op is None:
        r = ctx.forced.get(id(section)) or _provider(section, _Quiet(ctx))
        if section.negate:
            r = DENIED if r == GRANTED else NEUTRAL if r in (DENIED, NO_USER) else r
        return section if r == want else None
    inner = want
    if section.negate:
        inner = GRANTED if want == DENIED else want
    found = [d for d in (deciding_require(c, ctx, inner) for c in section.children) if d is not None]
    if not found and inner == DENIED:
        # neutral children (negated lines that did not match) leave the container denied
        found = [d for d in (deciding_require(c, ctx, NEUTRAL) for c in section.children) if d is not None]
    if not found:
        return None
    if section.op == "or" and inner == DENIED:
        # all failed: the one that came closest (an All with a granted line) explains best
        for child in section.children:
            if child.op == "and" and not child.negate and any(
                    deciding_require(g, ctx, GRANTED) for g in child.children):
                hit = deciding_require(child, ctx, DENIED)
                if hit is not None:
                    return hit
        return found[-1]
    return found[0]


class _Quiet(Context):
    def __init__(self, ctx: Context) -> None:   # noqa: D107 - a copy that records nothing
        self.__dict__.update(ctx.__dict__)
        self.assume = lambda text: None
        self.undecided = []


__all__ = ["ALL_METHODS", "UNKNOWN", "Context", "check_access_compat", "evaluate", "deciding_require"]
