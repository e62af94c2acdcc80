"""AppArmor's verdict on a file access, from the profile as confcheck reads it.

The kernel mediates the final open (not the path walk): read needs `r` on the
file, a directory listing `r` on "DIR/"; a `deny` rule wins over any grant; an
`owner` rule applies when the worker's fsuid owns the file. A complain-mode
profile logs (apparmor="ALLOWED") and is not applied. What the reader did not
understand makes the answer unknown.
"""

from __future__ import annotations

from confcheck.parsers.apparmor import BASE, Profile, load_profiles


def find_profile(fs, name: str, display=None) -> tuple[Profile | None, list[str]]:
    """The profile (or `profile//hat`) called `name` among /etc/apparmor.d's files."""
    from confcheck.fs.model import NotChecked
    top, _, hat = name.partition("//")
    try:
        files = sorted(m.path for m in fs.scandir(BASE) if m.kind == "file")
    except (NotChecked, OSError):
        return None, [f"{BASE} cannot be read"]
    profiles, problems = load_profiles(fs, files, display)
    for profile in profiles:
        if top in (profile.name, profile.attach):
            return (profile.hats.get(hat) if hat else profile), problems
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
