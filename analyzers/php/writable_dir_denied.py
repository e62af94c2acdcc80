"""PHP105: a folder the pool's configuration names for uploads, sessions or temporary
files is not writable by the pool's user."""

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
               "application's code: a folder holding PHP scripts gets advice instead.",
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
    if not ctx.pools or ctx.fs is None:
        return
    for pool in linked_pools(ctx):
        try:
            identity = resolve_identity(ctx.fs, pool.user or "", pool.group)
        except IdentityError:
            continue
        checker = Checker(ctx.fs, identity)
        for setting in WRITABLE_SETTINGS:
            got = pool.php(setting)
            folder = folder_of(setting, got[0]) if got else None
            if folder is None:
                continue
            entry = got[1]
            access = checker.check(folder, "search")
            denial = access.denial
            if access.ok and access.meta is not None:
                denial = checker.writable(access.meta, folder)
            if denial is None:
                continue
            yield Finding("PHP105", "pool-cannot-write-folder", "error",
                          f"php-fpm pool [{pool.name}] runs as {identity.user}, who cannot write into {folder} "
                          f"({setting}): {denial.detail}", entry.span, None, denial.path, None,
                          write_fix(ctx, pool, identity, folder))
