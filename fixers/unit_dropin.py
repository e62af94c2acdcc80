"""FS109's fix: a new systemd drop-in file, never an edit of the vendor unit.

A drop-in applies after the unit and the drop-ins before it in file-name
order (src/shared/dropin.c), so the file is named to sort after every drop-in
the unit has. The change is the narrowest one that lets the worker read the
served directory again: a read-only bind mount of that one directory (on an
empty tmpfs that keeps every other home hidden), or, for an InaccessiblePaths=
entry, the list reset and written again without that entry. confcheck never
writes it: the diff is shown for review (apply it, then `systemctl daemon-reload`
and restart the service).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from confcheck.findings import Fix
from confcheck.fs.sandbox import INACCESSIBLE, PRIVATE_TMP, READ_ONLY, TMPFS

from .config import DISPLAY

DROPIN_DIR = "/etc/systemd/system"


@dataclass
class DropInFix(Fix):
    path: str = ""           # server path of the new drop-in
    lines: tuple[str, ...] = ()

    @property
    def diff(self) -> str | None:
        body = "".join(f"+{line}\n" for line in self.lines)
        return (f"--- /dev/null\n+++ b/{self.path.lstrip('/')}\n"
                f"@@ -0,0 +1,{len(self.lines)} @@\n{body}")


def dropin_name(unit) -> str:
    """A drop-in path for `unit` that sorts after every drop-in it already has."""
    taken = [posixpath.basename(p) for p in unit.dropins]
    name = "zz-confcheck.conf"
    while any(other > name for other in taken):
        name = "z" + name
    return f"{DROPIN_DIR}/{unit.name}.d/{name}"


def dropin_fix(sandbox, mount, directory: str, write: bool = False) -> Fix | None:
    """The drop-in that lets the worker read `directory` (with `write`: write into it), hidden by `mount`."""
    unit = sandbox.unit
    bind, how = ("BindPaths", "writable") if write else ("BindReadOnlyPaths", "read-only")
    if mount.mode == INACCESSIBLE and mount.setting.startswith("ProtectHome="):
        lines = ("ProtectHome=tmpfs", f"{bind}={directory}")
        why = ("home directories become an empty read-only tmpfs instead of inaccessible, with only "
               f"{directory} bound into it {how}")
    elif mount.mode == INACCESSIBLE and mount.setting.startswith("InaccessiblePaths="):
        kept = [m.setting.partition("=")[2] for m in sandbox.mounts
                if m.mode == INACCESSIBLE and m.setting.startswith("InaccessiblePaths=") and m is not mount]
        lines = ("InaccessiblePaths=",) + tuple(f"InaccessiblePaths={w}" for w in kept)
        why = f"the InaccessiblePaths= list is reset and written again without {mount.path} (everything under it becomes visible)"
    elif mount.mode == TMPFS:
        lines = (f"{bind}={directory}",)
        why = f"{directory} is bound {how} into the empty tmpfs; the rest of {mount.path} stays hidden"
    elif mount.mode == READ_ONLY and not mount.read_only:
        lines = (f"ReadWritePaths={directory}",)
        why = f"{directory} becomes writable again below the read-only {mount.path}"
    elif mount.mode == PRIVATE_TMP:
        return Fix(DISPLAY, f"{directory} lies in the host's {mount.path}, which {unit.name} never sees "
                            f"({mount.setting}): move the served files out of {mount.path}")
    else:
        return None
    path = dropin_name(unit)
    return DropInFix(DISPLAY, f"add the drop-in {path} ({why}), then `systemctl daemon-reload` and restart "
                              f"{unit.name}; the vendor unit stays untouched",
                     path=path, lines=("[Service]",) + lines)
