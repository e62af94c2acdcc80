"""Who nginx's worker processes run as.

The `user` directive names the user and, optionally, the group; without a
group nginx uses the group of the same name. Without the directive the
compiled default applies (`nobody`, group `nogroup` on Debian builds). The
workers call initgroups(), so every group listing the user counts too.
`--worker-user` overrides all of it (a master not running as root ignores
`user`, and only the operator knows that).
"""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.parsers.syntax import Node


@dataclass(frozen=True, slots=True)
class IdentityProblem:
    message: str
    node: Node | None
    account: tuple[str, str] | None = None     # ("user" | "group", name) that does not exist


def nginx_identity(fs, model, override: str | None):
    """An Identity, or an IdentityProblem when the configured user does not exist."""
    from confcheck.fs.identity import UnknownUser, nginx_default_identity, nginx_user_identity, resolve_identity

    if override:
        # The CLI validated it already; resolving again keeps one code path.
        return resolve_identity(fs, override, None)
    setting = model.user
    try:
        if setting.node is None:
            return nginx_default_identity(fs)
        # `user alice;` means group alice in nginx, not alice's passwd group.
        return nginx_user_identity(fs, setting.user, setting.group)
    except UnknownUser as exc:
        return IdentityProblem(str(exc), setting.node, exc.account)
