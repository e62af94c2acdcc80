"""PHP105: a folder the pool's configuration names for uploads, sessions or temporary
files is not writable by the pool's user, judged on the disk as the pool sees it: through
php-fpm's unit (its mount namespace: a folder ProtectSystem=strict leaves read-only refuses
every write with EROFS whatever its modes) and its AppArmor profile."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

# php.ini settings naming folders PHP writes into on behalf of the application
WRITABLE_SETTINGS = ("upload_tmp_dir", "session.save_path", "sys_temp_dir", "soap.wsdl_cache_dir")

DOC = RuleDoc(
    what="Finds folders a pool that nginx or Apache passes requests to names in `php_admin_value`/`php_value` for uploads "
         f"({', '.join(WRITABLE_SETTINGS)}) that the pool's user cannot write into.",
    why="PHP writes uploads, sessions and temporary files as the pool's user: without w and x on "
        "the folder (and x on every folder above it) session_start() fails (sessions are lost) and an "
        "upload goes to the system temporary folder instead (`file created in the system's temporary "
        "directory`), or, when that one is not writable either, fails with UPLOAD_ERR_NO_TMP_DIR (6). "
        "Both measured with php-fpm 8.2.",
    example="php_admin_value[upload_tmp_dir] = /var/www/shop/tmp   ; drwxr-xr-x root:root",
    fixed="setfacl -m u:shop:rwx,m::rwx /var/www/shop/tmp   # the pool user alone",
    fix_safety="The script grants write on that folder to the pool's user alone (`chmod u+w` when it owns "
               "the folder, else a named ACL entry), and search where it is refused; never write on the "
               "application's code: a folder holding PHP scripts gets advice instead. When php-fpm's "
               "systemd unit mounts the folder read-only or hides it, no permission change helps: the "
               "fix is a new drop-in for that unit (`ReadWritePaths=FOLDER`), shown for review.",
    references=("https://www.php.net/manual/en/ini.core.php#ini.upload-tmp-dir",),
)


def folder_of(setting: str, value: str) -> str | None:
    """The folder a setting names (session.save_path may be `N;MODE;/path`)."""
    path = value.rsplit(";", 1)[-1].strip() if setting == "session.save_path" else value.strip()
    return path if path.startswith("/") else None


@rule(id="PHP105", name="pool-cannot-write-folder", severity="error", server="any", needs_fs=True,
      fixable=True, summary="a pool's upload/session/temp folder is not writable by its user", doc=DOC)
def check(ctx):
    from confcheck.fs.access import Checker
    from confcheck.fs.identity import IdentityError, resolve_identity
    from confcheck.analyzers.php._common import linked_pools
    from confcheck.fixers.phpfpm import write_fix
    from confcheck.fixers.unit_dropin import dropin_fix
    from confcheck.fs.sandbox import read_only_denial
    if not ctx.pools or ctx.fs is None:
        return
    views = ctx.pool_views
    for pool in linked_pools(ctx):
        try:
            identity = resolve_identity(ctx.fs, pool.user or "", pool.group)
        except IdentityError:
            continue
        fs = views.fs_of(pool) if views is not None else ctx.fs     # the disk as php-fpm's unit shows it
        checker = Checker(fs, identity)
        for setting in WRITABLE_SETTINGS:
            got = pool.php(setting)
            folder = folder_of(setting, got[0]) if got else None
            if folder is None:
                continue
            entry = got[1]
            access = checker.check(folder, "search")
            denial = access.denial
            if access.ok and access.meta is not None:
                denial = read_only_denial(fs, folder, access.meta, f"php-fpm's pool [{pool.name}]") or \
                    checker.writable(access.meta, folder)
            if denial is None:
                continue
            if denial.sandbox is not None:      # the unit's namespace refuses it: no chmod helps
                fix = dropin_fix(views.sandbox_of(pool), denial.sandbox, folder, write=True)
            elif denial.confinement is not None:    # php-fpm's AppArmor profile refuses it: FS111's fix
                fix = None
            else:
                fix = write_fix(ctx, pool, identity, folder)
            yield Finding("PHP105", "pool-cannot-write-folder", "error",
                          f"php-fpm pool [{pool.name}] runs as {identity.user}, who cannot write into {folder} "
                          f"({setting}): {denial.detail}", entry.span, None, denial.path, None, fix)
