"""Which SELinux file types the web server domain (httpd_t) may use.

nginx and Apache both run as httpd_t under the targeted policy (RHEL, Fedora,
CentOS). The tables are a deliberately small model of that policy, written
from the policy's documentation (httpd_selinux(8)) rather than from a loaded
policy, so they can be wrong for custom modules: a denial carries the type so
the user can check it with `sesearch`/`audit2why`.

Two questions are asked of a label:
- may httpd_t *search* a directory on the way to the content (every ancestor)?
  System directories such as `/var` (var_t) or `/home` (home_root_t) are fine
  here even though the same type on served content is the classic mistake;
- may httpd_t *read* the content itself (the file, a listed directory)?
"""

from __future__ import annotations

# Content types httpd_t reads without any boolean.
CONTENT_TYPES = frozenset({
    "httpd_sys_content_t",
    "httpd_sys_rw_content_t",
    "httpd_sys_ra_content_t",
    "httpd_sys_script_exec_t",
    "httpd_sys_htaccess_t",
    "httpd_content_t",          # older policies' alias
    "public_content_t",
    "public_content_rw_t",
    "httpd_cache_t",
    "httpd_tmp_t",
    "httpd_var_lib_t",
    "httpd_config_t",
})

# Directories httpd_t may traverse (search/getattr) but whose files it does not
# serve: the system skeleton above a docroot.
SEARCH_TYPES = frozenset({
    "root_t", "usr_t", "var_t", "etc_t", "home_root_t", "var_lib_t",
    "tmp_t", "mnt_t", "srv_t", "var_run_t", "var_log_t", "bin_t", "lib_t",
    "device_t",
})

# Types allowed only when a boolean is on: type -> (boolean, applies to).
# 'search' means only traversal is granted by the boolean.
BOOLEAN_TYPES: dict[str, tuple[str, str]] = {
    "httpd_user_content_t": ("httpd_enable_homedirs", "read"),
    "user_home_dir_t": ("httpd_enable_homedirs", "search"),
    "user_home_t": ("httpd_read_user_content", "read"),
    "nfs_t": ("httpd_use_nfs", "read"),
    "cifs_t": ("httpd_use_cifs", "read"),
    "fusefs_t": ("httpd_use_fusefs", "read"),
}

# The types people most often leave on content by mistake (for messages).
CLASSIC_MISLABELS = frozenset({
    "default_t", "var_t", "file_t", "user_home_t", "user_home_dir_t",
    "admin_home_t", "tmp_t", "unlabeled_t",
})


def allowed(setype: str, want: str, booleans: frozenset[str] = frozenset()) -> bool:
    """May httpd_t do `want` ('search' a directory, 'read' content, 'stat')?"""
    if setype in CONTENT_TYPES:
        return True
    if want in ("search", "stat") and setype in SEARCH_TYPES:
        return True
    rule = BOOLEAN_TYPES.get(setype)
    if rule is not None and rule[0] in booleans:
        return rule[1] == "read" or want in ("search", "stat")
    return False


def explain(setype: str, want: str) -> str:
    """One-line hint for a denied type."""
    rule = BOOLEAN_TYPES.get(setype)
    if rule is not None:
        return f"httpd_t may not {want} {setype} unless the boolean {rule[0]} is on"
    if setype in CLASSIC_MISLABELS:
        return (f"{setype} is not web content (mislabeled: restorecon, or "
                f"semanage fcontext -a -t httpd_sys_content_t)")
    return f"httpd_t may not {want} {setype}"
