"""nginx's fastcgi_pass handing a request to php-fpm: the address it connects to and
the SCRIPT_FILENAME it sends (fastcgi_param, an array inherited all-or-nothing from
the nearest level that has any), then php-fpm's own answer
(confcheck.servers.phpfpm.handoff)."""

from __future__ import annotations

from confcheck.servers.nginx import variables
from confcheck.servers.outcome import Final
from confcheck.servers.phpfpm.handoff import address_of, answer


def sends(state, name: str) -> bool:
    """Some fastcgi_param in force sets `name` (the array is inherited all-or-nothing)."""
    return any(node.args and node.args[0].value == name for node in state.scope.group("fastcgi_param"))


def param(state, name: str) -> tuple[str | None, object | None]:
    """(the FastCGI param `name` as nginx sends it, its fastcgi_param node), or (None, None)."""
    found = None
    for node in state.scope.group("fastcgi_param"):
        if node.args and node.args[0].value == name and len(node.args) >= 2:
            found = node        # a repeated param: nginx sends both, php-fpm keeps the last
    if found is None:
        return None, None
    return variables.expand_deciding(found.args[1].value, state, found), found


def script_filename(state) -> tuple[str | None, object | None]:
    """(SCRIPT_FILENAME as nginx sends it, the fastcgi_param node), or (None, None)."""
    return param(state, "SCRIPT_FILENAME")


def php_fpm_final(state, handler) -> Final:
    target = variables.expand_deciding(handler.args[0].value, state, handler) if handler.args else ""
    address = address_of(target)
    if address is None:
        return Final(None, f"handed to fastcgi_pass {target}: an upstream group or an address the model does not "
                           "resolve; the status comes from that upstream", handler)
    script, param = script_filename(state)
    if param is not None:
        state.step("fastcgi_param", f"SCRIPT_FILENAME {script}", param)
    model = state.model
    verdict = answer(model.pools, model.fs, model.identity, address, script, model.checkers,
                     handler="nginx", method_sent=sends(state, "REQUEST_METHOD"),
                     script_name=_sent(state, "SCRIPT_NAME"), path_translated=_sent(state, "PATH_TRANSLATED"),
                     document_root=_sent(state, "DOCUMENT_ROOT"), views=model.pool_views,
                     path_info=_sent(state, "PATH_INFO"))
    for step, detail in verdict.steps:
        state.step(step, detail, None)
    node = verdict.decided_by if verdict.decided_by is not None else handler
    return Final(verdict.status, verdict.reason, node, verdict.fs_path, verdict.rule, upstream=verdict.upstream)


def _sent(state, name: str) -> str | None:
    """A param's value as sent (None: no fastcgi_param sends it). Expanded without deciding:
    these matter to php-fpm only under some php.ini settings (doc_root, cgi.fix_pathinfo off,
    .user.ini)."""
    node = None
    for candidate in state.scope.group("fastcgi_param"):
        if candidate.args and candidate.args[0].value == name and len(candidate.args) >= 2:
            node = candidate
    return None if node is None else variables.expand(node.args[1].value, state)
