"""Who Apache's children run as: `User`/`Group` (mod_unixd), with Debian's
`${APACHE_RUN_USER}`/`${APACHE_RUN_GROUP}` already substituted from envvars by
the loader. The children call initgroups(), so the user's groups count too.
`--worker-user` overrides it (only the operator knows a non-root master)."""

from __future__ import annotations

from confcheck.servers.nginx.worker import IdentityProblem


def apache_identity(fs, conf, override: str | None):
    from confcheck.fs.identity import UnknownUser, resolve_identity

    if override:
        return resolve_identity(fs, override, None, source="--worker-user")
    user = conf.main.last("user")
    group = conf.main.last("group")
    if user is None or not user.values:
        return IdentityProblem("no User directive (httpd's compiled default is uid -1)", None)
    name = user.values[0]
    if "${" in name:
        return IdentityProblem(f"User {name}: the variable is not defined (Debian's envvars not found)", user)
    gname = group.values[0] if group is not None and group.values and "${" not in group.values[0] else None
    try:
        return resolve_identity(fs, name, gname, source=f"User at {user.file}:{user.line}")
    except UnknownUser as exc:
        return IdentityProblem(str(exc), user)
