"""Apache's mod_proxy_fcgi handing a request to php-fpm: `SetHandler
"proxy:unix:/run/php/x.sock|fcgi://localhost"` (the file the directory walk mapped is
SCRIPT_FILENAME) and `ProxyPass`/`ProxyPassMatch ... fcgi://HOST:PORT/PATH` or
`"unix:/x.sock|fcgi://localhost/PATH"` (PATH is SCRIPT_FILENAME: php-fpm strips the
`proxy:fcgi://HOST` prefix Apache sends), then php-fpm's own answer
(confcheck.servers.phpfpm.handoff)."""

from __future__ import annotations

from urllib.parse import unquote

from confcheck.servers.outcome import Final
from confcheck.servers.phpfpm.handoff import NOT_KNOWN, Listen, address_of, answer


def split_fcgi(target: str) -> tuple[Listen | None, str | None]:
    """(address, the path after the fcgi://host part) of a proxy target: `unix:/x.sock|fcgi://h/p`,
    `fcgi://host:port/p`; (None, None) when it is not FastCGI."""
    target = target[6:] if target.lower().startswith("proxy:") else target
    unix = None
    if target.lower().startswith("unix:"):
        unix, _, target = target.partition("|")
    if not target.lower().startswith("fcgi://"):
        return None, None
    rest = target[7:]
    hostport, slash, path = rest.partition("/")
    if unix is not None:
        address = address_of(unix)
    else:
        address = address_of(hostport if ":" in hostport else hostport + ":8000")
    return address, (unquote("/" + path) if slash and path else None)


def php_fpm_final(st, node, target: str, script: str | None) -> Final | None:
    """php-fpm's answer for a request Apache hands to `target`; None when it is not
    FastCGI or no php-fpm configuration was read (the caller answers as before)."""
    model = st.model
    if model.pools is None or "proxy_fcgi_module" not in model.conf.modules:
        return None
    address, path = split_fcgi(target)
    if address is None:
        return None
    handled = script is not None        # SetHandler: the file the walk mapped (else ProxyPass's PATH)
    script = script if script is not None else path
    st.step("proxy_fcgi", f"{target}: SCRIPT_FILENAME {script}", node)
    info = st.path_info or ""
    # ap_add_cgi_vars: SCRIPT_NAME is the URI without PATH_INFO; PATH_TRANSLATED is sent only
    # with a PATH_INFO, mapped by a subrequest (not followed here: NOT_KNOWN)
    script_name = (st.uri[:len(st.uri) - len(info)] if info and st.uri.endswith(info) else st.uri) if handled else None
    verdict = answer(model.pools, model.fs, model.identity, address, script, model.fcgi_checkers,
                     handler="Apache (mod_proxy_fcgi)", script_name=script_name,
                     path_translated=NOT_KNOWN if info else None, document_root=st.document_root(),
                     views=model.pool_views, path_info=info or None, script_name_known=handled)
    for step, detail in verdict.steps:
        st.step(step, detail)
    status = verdict.status
    if status == 502 and not verdict.upstream:
        status = 503        # mod_proxy answers 503 when it cannot connect (AH01079/AH02454)
        verdict.reason = verdict.reason.replace("(502)", "(503)").replace("answers 502", "answers 503")
    return Final(status, verdict.reason, verdict.decided_by or node, verdict.fs_path, verdict.rule)
