"""FS100: the worker user named by the config does not exist on this system."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.worker import IdentityProblem

DOC = RuleDoc(
    what="Finds a `user` directive naming a user (or group) that the system's passwd/group "
         "files do not have.",
    why="nginx refuses to start (`getpwnam(\"nginx\") failed`), and configs copied between "
        "distributions often name `nginx` where Debian's worker is `www-data`: files prepared "
        "for one user are then 403 for the other.",
    example="user nginx;   # Debian: no such user; the packages use www-data",
    fixed="user www-data;",
    fix_safety="Display only: which user should own the worker is the operator's decision.",
    references=("https://nginx.org/en/docs/ngx_core_module.html#user",),
)


@rule(id="FS100", name="worker-user-unknown", severity="error", server="any", needs_fs=True,
      summary="the worker user or group does not exist", doc=DOC)
def check(ctx):
    for target in ctx.targets():
        identity = ctx.identity(target)
        if isinstance(identity, IdentityProblem):
            words = _refusal(target.server, identity.account)
            yield Finding(rule="FS100", name="worker-user-unknown", severity="error",
                          message=(f"{words + ': ' if words else ''}{identity.message}: "
                                   f"{'Apache' if target.server == 'apache' else 'nginx'} will not start with this user"),
                          span=identity.node.span if identity.node is not None else None,
                          server=target.server)


def _refusal(server: str, account: tuple[str, str] | None) -> str | None:
    """The server's own words for the lookup that fails (nginx -t, apache2 -t)."""
    if account is None:
        return None
    kind, name = account
    if server == "apache":
        return f"AH0054{3 if kind == 'user' else 4}: apache2: bad {kind} name {name}"
    return f'{"getpwnam" if kind == "user" else "getgrnam"}("{name}") failed'
