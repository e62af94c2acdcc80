"""This machine's own Apache and nginx configurations, with the ModSecurity packages
installed, scan without one input error: mod_security2's directives exist where
mods-enabled loads it, and nginx's where a modules-enabled `load_module` line does."""

from __future__ import annotations

import os
from pathlib import Path

from machine_copy import CRS, copy_machine, need_waf_packages

from confcheck.engine import ScanOptions, run_scan


def _scan(root: Path, main: str):
    return run_scan(ScanOptions(paths=[main], root=str(root), no_fs=True))


def _read(result) -> set[str]:
    return {path for item in result.reading.loaded for path in item.files}


def test_apache_with_mod_security_and_the_crs_has_no_input_error(tree_dir):
    need_waf_packages()
    root = copy_machine(Path(tree_dir))
    result = _scan(root, "/etc/apache2/apache2.conf")
    assert [str(e) for e in result.errors] == []
    # not vacuous: every CRS rule file was read as part of the configuration
    read = {os.path.basename(p) for p in _read(result)}
    assert {p.name for p in CRS.glob("*.conf")} <= read and "crs-setup.conf" in read


def test_without_security2_loaded_its_directives_are_refused(tree_dir):
    """The same tree with security2 disabled but its conf left enabled: httpd says Invalid command."""
    need_waf_packages()
    root = copy_machine(Path(tree_dir))
    (root / "etc/apache2/mods-enabled/security2.load").unlink()
    conf = root / "etc/apache2/mods-enabled/security2.conf"
    os.unlink(conf)
    # the conf outside its <IfModule>, as an admin's own file would have it
    (root / "etc/apache2/conf-enabled/waf.conf").write_text("SecRuleEngine On\n")
    result = _scan(root, "/etc/apache2/apache2.conf")
    assert [str(e).split(": ", 1)[1] for e in result.errors] == [
        "Invalid command 'SecRuleEngine', perhaps misspelled or defined by a module not included"
        " in the server configuration"]


def test_nginx_with_the_modsecurity_site_enabled_has_no_input_error(tree_dir):
    need_waf_packages()
    root = copy_machine(Path(tree_dir))
    enabled = root / "etc/nginx/sites-enabled"
    for link in enabled.iterdir():
        link.unlink()
    # Debian's sample site with the WAF switched on, as its comments say
    site = (root / "etc/nginx/sites-available/default-modsecurity.conf").read_text()
    site = site.replace("#modsecurity on;", "modsecurity on;").replace(
        "#modsecurity_rules_file", "modsecurity_rules_file")
    assert "\tmodsecurity on;" in site
    (enabled / "waf").write_text(site)
    result = _scan(root, "/etc/nginx/nginx.conf")
    assert [str(e) for e in result.errors] == []
    # and without the modules-enabled line nginx does not know the directive
    for link in (root / "etc/nginx/modules-enabled").iterdir():
        link.unlink()
    result = _scan(root, "/etc/nginx/nginx.conf")
    assert [str(e).split(": ", 1)[1] for e in result.errors] == [
        'unknown directive "modsecurity"', 'unknown directive "modsecurity_rules_file"']
