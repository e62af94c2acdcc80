"""AppArmor's verdict on a file access, from the profile as confcheck reads it.

The kernel mediates the final open (not the path walk): read needs `r` on the
file, a directory listing `r` on "DIR/"; a `deny` rule wins over any grant; an
`owner` rule applies when the worker's fsuid owns the file. A complain-mode
profile logs (apparmor="ALLOWED") and is not applied. What the reader did not
understand makes the answer unknown.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from confcheck.parsers.apparmor import BASE, Profile, profile_for, top_level_profiles

# The binaries each server's worker runs as (the profile attaches to the executable).
BINARIES = {
    "nginx": ("/usr/sbin/nginx",),
    "apache": ("/usr/sbin/apache2", "/usr/sbin/httpd", "/usr/sbin/httpd2-prefork", "/usr/sbin/httpd-prefork"),
    "php-fpm": ("/usr/sbin/php-fpm8.2", "/usr/sbin/php-fpm"),
}


def child_of(profile: Profile, name: str) -> Profile | None:
    """`profile//name`: a hat (mod_apparmor) or a child profile (php-fpm's apparmor_hat), named in full."""
    found = profile.hats.get(name) or profile.children.get(name)
    return None if found is None else replace(found, name=f"{profile.name}//{found.name}")


def find_profile(fs, name: str, display=None) -> tuple[Profile | None, list[str]]:
    """The profile (or `profile//hat`) called `name` among /etc/apparmor.d's files."""
    top, _, hat = name.partition("//")
    found = top_level_profiles(fs, display)
    if found is None:
        return None, [f"{BASE} cannot be read"]
    profiles, problems = found
    for profile in profiles:
        if top in (profile.name, profile.attach):
            return (child_of(profile, hat) if hat else profile), problems
    return None, problems


def audit_cause(event, fs) -> str:
    """The explanation of an apparmor="DENIED"/"ALLOWED" audit line: the rule or profile that decides."""
    fields = event.fields
    name = fields.get("profile", "")
    perm = "w" if set(fields.get("requested_mask", "r")) & set("wac") else "r"
    path = event.path
    display = getattr(fs, "host_path", None)
    profile, _problems = find_profile(fs, name, display) if fs is not None else (None, [])
    if profile is None:
        return (f"profile {name} refused {fields.get('requested_mask', '?')} on {path}, and no profile of that "
                f"name is in {BASE} here: the answer is unknown")
    owner = fields.get("fsuid") is not None and fields.get("fsuid") == fields.get("ouid")
    allowed, by = profile.decide(path, perm, owner)
    mode = ("complain mode: reported, not applied; " if event.kind == "apparmor-complain"
            else "")
    if allowed is None:
        return (f"{mode}profile {name} ({profile.where}) holds rules confcheck does not read "
                f"({profile.unknown[0]}): the answer is unknown")
    if allowed:
        return (f"{mode}profile {name} as it is on disk grants {perm} on {path} ({by.text} at {by.where}): the "
                "loaded policy is older than the file (apparmor_parser -r reloads it)")
    if by is profile:
        return (f"{mode}no rule of profile {name} ({profile.where}) grants {perm} on {path}: add "
                f"`{path} {perm},` (or a glob of its directory) to the profile or its local include")
    return f"{mode}`{by.text}` at {by.where} denies {perm} on {path} (a deny rule wins over every grant)"


@dataclass(frozen=True)
class Confinement:
    """The AppArmor profile the worker runs under, in enforce mode, and how we know."""

    profile: Profile
    assumed: str = ""     # "" when the running kernel said so; else the assumption made
    prefix: str = ""      # the --root the profile files were read under (not part of their server path)
    problem: str = ""     # why nothing under it can be answered, found before its rules were asked

    def server(self, where: str) -> str:
        """`FILE:LINE:COL` (or a path) as the host names it, without the --root prefix."""
        if self.prefix and where.startswith(self.prefix + "/"):
            return where[len(self.prefix):]
        return where

    @property
    def file(self) -> str:
        return self.server(self.profile.span.file)

    def note(self) -> str:
        return f"AppArmor profile {self.profile.name} ({self.server(self.profile.where)}{self.assumed})"

    @property
    def unknown(self) -> str | None:
        """Why no access answer can be given under this profile (then none is), or None."""
        if self.problem:
            return self.problem
        if self.profile.hats:
            return f"{self.note()} has hats (mod_apparmor changes into one per request), not modelled"
        if self.profile.unknown:
            return f"{self.note()} holds rules confcheck does not read ({self.profile.unknown[0]})"
        return None

    def refusal(self, path: str, perm: str, owner: bool, is_dir: bool) -> str | None:
        """Why the profile refuses `perm` on `path` (the kernel asks for "DIR/" when a
        directory is read), None when it allows. Only asked when `unknown` is None."""
        asked = path.rstrip("/") + "/" if is_dir else path
        allowed, by = self.profile.decide(asked, perm, owner)
        if allowed:
            return None
        if by is self.profile:
            return f"no rule of {self.note()} grants {perm} on {asked}"
        return f"`{by.text}` at {self.server(by.where)} denies {perm} on {asked} ({self.note()}; a deny rule wins)"


def _mode_files(fs, name: str) -> tuple[bool, bool]:
    """(disabled, forced to complain) by the links in /etc/apparmor.d/disable and force-complain."""
    from confcheck.fs.model import NotChecked
    found = []
    for folder in ("disable", "force-complain"):
        try:
            found.append(fs.lstat(posixpath.join(BASE, folder, name)) is not None)
        except NotChecked:
            found.append(False)
    return found[0], found[1]


def for_server(fs, server: str, child: str | None = None) -> Confinement | None:
    """The enforce-mode profile confining `server`'s worker on the view `fs`, or None
    (no profile, complain mode, disabled, or a running kernel without AppArmor). `child`:
    the worker changes into `PROFILE//child` (php-fpm's pool setting apparmor_hat,
    sapi/fpm/fpm/fpm_unix.c: aa_change_profile of the master's label + "//" + the hat)."""
    loaded = getattr(fs, "apparmor_profiles", lambda: None)()
    if loaded is not None and not loaded:
        return None                 # the running kernel enforces no AppArmor policy
    display = getattr(fs, "host_path", None)
    prefix = (getattr(fs, "root", None) or "").rstrip("/")
    profile = profile_for(fs, BINARIES.get(server, ()), display)
    if profile is None:
        return None
    top_file = profile.span.file
    if child:
        found = child_of(profile, child)
        if found is None:
            return Confinement(profile, prefix=prefix, problem=(
                f"apparmor_hat = {child}: profile {profile.name} ({profile.where}) has no child profile {child}, so "
                "php-fpm's change of profile fails and the pool's children do not start (not modelled)"))
        profile = found
    if loaded is not None:
        # the running kernel's word decides: the loaded profile and its mode
        return Confinement(profile, prefix=prefix) if loaded.get(profile.name) == "enforce" else None
    disabled, complain = _mode_files(fs, posixpath.basename(top_file))
    if disabled or complain or profile.complain:
        return None
    return Confinement(profile, ", enforce mode assumed: the host loads its profiles at boot", prefix)


class ConfinedFs:
    """A view whose worker runs under an AppArmor profile (the access Checker asks it).
    Under a profile confcheck cannot read, every lookup is unknown: never an answer
    that ignores it."""

    def __init__(self, inner, confinement: Confinement) -> None:
        self.inner = inner
        self.confinement = confinement

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _refuse_unknown(self, path: str) -> None:
        from confcheck.fs.model import NotChecked
        why = self.confinement.unknown
        if why:
            raise NotChecked(path, why)

    def lstat(self, path: str):
        self._refuse_unknown(path)
        return self.inner.lstat(path)

    def scandir(self, path: str):
        self._refuse_unknown(path)
        return self.inner.scandir(path)

    def read_bytes(self, path: str):
        return self.inner.read_bytes(path)     # configs are read by the master, unconfined here
