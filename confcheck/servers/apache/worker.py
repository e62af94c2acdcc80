"""Who Apache's children run as: `User`/`Group` (mod_unixd), with Debian's
`${APACHE_RUN_USER}`/`${APACHE_RUN_GROUP}` already substituted from envvars by
the loader. The children call initgroups(), so the user's groups count too.
`--worker-user` overrides it (only the operator knows a non-root master).
`why` and `scan` both ask here."""

from __future__ import annotations

from confcheck.servers.nginx.worker import IdentityProblem


def apache_identity(fs, conf, override: str | None):
    """An Identity, or an IdentityProblem when the configured user cannot be resolved.

    Without `User` httpd keeps its compiled default `#-1` (uid 4294967295), an
    id no file belongs to, so only the 'other' bits count (a truncated main
    config gets this too, never a missing identity). A `${VAR}` left
    unresolved (no envvars next to apache2.conf) stops httpd at start-up
    (AH00111, then "bad user name")."""
    from confcheck.fs.identity import UnknownUser, resolve_identity
    from confcheck.fs.model import Identity

    if override:
        return resolve_identity(fs, override, None, source="--worker-user")
    user, group = conf.main.last("user"), conf.main.last("group")
    if user is None or not user.values:
        if fs is not None and group is not None and group.values and "${" not in group.values[0]:
            from confcheck.fs.identity import Accounts, _NUMERIC
            if not _NUMERIC.match(group.values[0]) and group.values[0] not in Accounts.load(fs).groups:
                # mod_unixd looks the group up even without User (AH00544)
                return IdentityProblem(f"unknown group {group.values[0]!r}", group, ("group", group.values[0]))
        return Identity(user="#-1", uid=0xFFFFFFFF, gid=0xFFFFFFFF, groups=frozenset(),
                        source="Apache compiled default (no User directive)")
    for node in (user, group):
        if node is not None and node.values and "${" in node.values[0]:
            return IdentityProblem(f"{node.name} {node.values[0]}: the variable is not defined "
                                   "(Debian sets it in /etc/apache2/envvars)", node)
    try:
        return resolve_identity(fs, user.values[0], group.values[0] if group is not None and group.values else None,
                                source=f"User at {user.file}:{user.line}")
    except UnknownUser as exc:
        return IdentityProblem(str(exc), group if "group" in str(exc) else user, exc.account)
