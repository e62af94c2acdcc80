"""why: what the server answers to one request (or a batch), and why.

The configuration is read once; each request then runs through the server
model. Data flows one way: inputs -> parser -> server model -> fs view ->
decide() -> Outcome.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from confcheck.engine import (ScanOptions, check_nginx, nginx_targets, nginx_unchecked, open_fs, pool_views,
                              read_apps, read_options, server_path)
from confcheck.fs.sandbox import view as sandbox_view
from confcheck.inputs import InputError, shown
from confcheck.isolation import Failures
from confcheck.servers.nginx.request import Request, RequestError, typed_headers, typed_url


@dataclass
class WhyOptions:
    paths: list[str] = field(default_factory=list)     # config files/dirs (like scan's PATHs)
    configs: list[str] = field(default_factory=list)
    root: str | None = None
    fs_snapshot: str | None = None
    no_fs: bool = False
    worker_user: str | None = None
    server: str | None = None      # --server nginx|apache when detection is ambiguous
    app_settings: list[str] = field(default_factory=list)   # --app-settings [HOST=]FILE
    stdin: object = field(default=None, repr=False, compare=False)   # where the PATH `-` (an nginx -T dump) is read

    def __post_init__(self) -> None:
        if self.root:
            self.root = os.path.abspath(self.root)


@dataclass
class Prepared:
    model: object            # confcheck.servers.nginx.decide.Model or confcheck.servers.apache.decide.Model
    errors: list
    server: str = "nginx"
    reading: object = None    # confcheck.inputs.Reading: what was read (the `inputs` report)
    apps: list = field(default_factory=list)   # confcheck.apps.django.discover.App: the apps behind the proxy

    # the WAF layer (confcheck.waf_replay): the body to replay, --no-replay, --root
    replay: object = None
    # prepare(later=True): the configuration's checks, not run yet (settle() runs them)
    pending: object = None

    def settle(self) -> None:
        """Run the checks prepare(later=True) left: `errors` is then complete."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.errors = pending()


def _waf_layer(prepared: Prepared, root: str | None, texts=None) -> Prepared:
    """When the configuration holds ModSecurity directives, the model passes them as if
    absent and explain() asks the WAF layer (a replay through the real engine). `texts`:
    the bytes of every file read (nginx), for has_waf."""
    from confcheck.waf_replay.combine import OUTSIDE, ReplayOptions, has_waf
    prepared.replay = ReplayOptions(root=root)
    if has_waf(prepared.server, prepared.model, texts):
        prepared.model.outside = OUTSIDE[prepared.server]
    return prepared


def _keep_answering(reading) -> None:
    """A folder searched holds one main and nginx snippets nothing includes (Debian's
    /etc/nginx/snippets/fastcgi-php.conf): scan reads those alone, but they hold no server
    block, so only the main answers requests: why answers from it and lists the snippets as
    not read. (A vhost nothing includes still leaves the choice to the user.)"""
    from confcheck.inputs.model import Skipped
    from confcheck.parsers.syntax import effective_children
    mains = [item for item in reading.loaded if item.config.role in ("main", "dump")]
    found = [item for item in reading.loaded if item.config.role == "lone" and item.config.found
             and item.config.server == "nginx"
             and not any(node.name in ("server", "http") for node in effective_children(item.tree.nodes))]
    if len(mains) != 1 or len(mains) + len(found) != len(reading.loaded) or not found:
        return
    reading.loaded[:] = mains
    for item in found:
        reading.inputs.skipped.append(Skipped(item.config.path, "a snippet nothing includes: why answers "
                                              "from the main configuration", kind="not included"))


def prepare(options: WhyOptions, *, later: bool = False) -> Prepared:
    """Read the configuration and the disk view once for any number of requests. `later`:
    an nginx configuration's checks (validation: its errors) wait for Prepared.settle(),
    which must run before any answer is shown (why --batch's workers answer meanwhile)."""
    from confcheck.gcpause import gc_paused
    from confcheck.servers.nginx.conf import build_http
    from confcheck.servers.nginx.decide import Model
    from confcheck.servers.nginx.worker import IdentityProblem, nginx_identity

    scan_options = ScanOptions(paths=list(options.paths), configs=list(options.configs), root=options.root,
                               fs_snapshot=options.fs_snapshot, no_fs=options.no_fs,
                               worker_user=options.worker_user)
    with gc_paused():
        reading = read_options(options, options.stdin)
        _keep_answering(reading)
        if len(reading.loaded) != 1:
            named = ", ".join(shown(item.config.path, reading.inputs.root) for item in reading.loaded)
            raise InputError(f"why answers for one server configuration; the command line reads "
                             f"{len(reading.loaded)}: {named}; name one of them (or use --server)")
        item = reading.loaded[0]
        if item.config.server == "apache":
            return _prepare_apache(item, options, scan_options, reading)
        diags = item.diags
        later = later and not diags.errors      # what already has errors is checked at once
        if later:
            target = nginx_unchecked(item, places=False)
        else:
            [target] = nginx_targets(reading, places=False)
        disk = open_fs(scan_options)
        fs, box = sandbox_view(disk, "nginx", server_path(target.config.main.source.path, options.root))
        reading.note_unit(target.config.main.source.path, box)
        identity = None
        if fs is not None:
            identity = nginx_identity(fs, target.model, options.worker_user)
            if isinstance(identity, IdentityProblem):
                raise InputError(f"{identity.message}: the worker identity is unknown, so disk access "
                                 "cannot be judged (use --worker-user)")
        http = build_http(target.config.nodes)
        if not http.servers:
            raise InputError(f"{shown(target.name, options.root)}: no server block: nothing answers requests")
        model = Model(http, fs, identity, prefix=target.model.prefix, conf_prefix=target.model.conf_prefix,
                      failures=Failures(), pools=reading.running_pools(),
                      pool_views=pool_views(disk, reading, options.root))
    prepared = Prepared(model, diags.errors, reading=reading, apps=read_apps(reading, options))
    if later:
        prepared.errors = []

        def pending() -> list:
            check_nginx(item, target)
            return diags.errors
        prepared.pending = pending
    return _waf_layer(prepared, options.root, [source.data for source in target.config.files.values()])


def _prepare_apache(item, options: WhyOptions, scan_options: ScanOptions, reading) -> Prepared:
    """Apache: apache2.conf/httpd.conf as loaded with its includes and Debian's envvars,
    the loaded modules settled, and the worker identity from User/Group."""
    from confcheck.parsers.apache_loader import loaded_modules
    from confcheck.servers.apache.conf import build
    from confcheck.servers.apache.decide import Model
    from confcheck.servers.apache.startup import startup_errors
    from confcheck.servers.apache.worker import IdentityProblem, apache_identity

    main = item.config.path
    if item.config.role == "htaccess":
        raise InputError(f"{shown(main, options.root)}: a .htaccess alone cannot answer requests; name the main "
                         "Apache config (apache2.conf or httpd.conf)")
    diags = item.diags
    config = item.tree
    modules = loaded_modules(config)
    disk = open_fs(scan_options)
    fs, box = sandbox_view(disk, "apache", server_path(main, options.root))
    reading.note_unit(main, box)
    conf = build(config, modules, fs)
    errors = list(diags.errors) + startup_errors(conf)
    identity = None
    if fs is not None:
        identity = apache_identity(fs, conf, options.worker_user)
        if isinstance(identity, IdentityProblem):
            raise InputError(f"{identity.message}: the worker identity is unknown, so disk access "
                             "cannot be judged (use --worker-user)")
    access = conf.main.last("accessfilename")
    model = Model(conf, fs, identity, access_name=access.values[0] if access is not None and access.values
                  else ".htaccess", failures=Failures(), pools=reading.running_pools(),
                  pool_views=pool_views(disk, reading, options.root))
    return _waf_layer(Prepared(model, errors, "apache", reading, read_apps(reading, options)), options.root)


def explain(prepared: Prepared, request):
    """The Outcome for `request`; an internal error answers it alone (status null,
    `outcome.internal_error` set: confcheck.isolation)."""
    from confcheck.isolation import decide_contained
    if prepared.server == "apache":
        from confcheck.servers.apache.decide import decide as apache_decide
        outcome = decide_contained(apache_decide, prepared.model, request, server="apache")
    else:
        from confcheck.servers.nginx.decide import decide
        outcome = decide_contained(decide, prepared.model, request)
    if prepared.model.outside:
        outcome = _with_waf(prepared, request, outcome)
        if outcome.waf is not None and outcome.waf.get("decides"):
            return outcome      # the WAF in front refused it: the request never reaches the app
    return into_app(prepared, request, outcome)


def into_app(prepared: Prepared, request, outcome):
    """A request the proxy hands on continues into the app behind it (confcheck.apps.chain):
    the app's status, when Django decides before the view, is the answer."""
    if not prepared.apps:
        return outcome
    from confcheck.apps.chain import backend_of, follow
    from confcheck.servers.outcome import Step
    try:
        backend = backend_of(outcome, prepared.model, request)
        if backend is None:
            return outcome
        answer = follow(backend, prepared.apps, request.method, request.raw_path)
    except Exception as exc:  # noqa: BLE001 - one failure stays with this request (confcheck.isolation)
        outcome.internal_error = f"following the request into the app: {type(exc).__name__}: {exc}"
        return outcome
    outcome.app = answer
    for line in answer.to_json()["steps"]:
        outcome.trace.append(Step("app", line))
    if answer.status is not None:
        outcome.status, outcome.reason = answer.status, f"Django answers {answer.status}: {answer.reason}"
    elif answer.app is not None:
        outcome.reason = f"{outcome.reason}; Django: {answer.reason}"
    return outcome


def _with_waf(prepared: Prepared, request, outcome):
    """The WAF layer's answer; a failure in it answers this request alone (status null)."""
    from confcheck.isolation import Contained
    from confcheck.servers.outcome import Outcome
    from confcheck.waf_replay.combine import answer

    with Contained(prepared.model.failures, f"WAF replay of {request.method} {request.url}") as box:
        return answer(prepared, request, outcome, prepared.replay)
    return Outcome(request, None, f"internal error: {box.failure.error}", server=prepared.server,
                   internal_error=box.failure.error)


_UNDECODED = re.compile("[\udc80-\udcff]")


def parse_batch_line(line: str, number: int):
    if not line.isascii() and _UNDECODED.search(line):   # bytes the batch file's UTF-8 reading could not decode
        raise RequestError(f"line {number}: not UTF-8 text")
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise RequestError(f"line {number}: not JSON ({exc})") from None
    if not isinstance(item, dict) or "url" not in item:
        raise RequestError(f"line {number}: expected an object with \"url\"")
    headers = item.get("headers") or {}
    if not isinstance(headers, dict):
        raise RequestError(f"line {number}: \"headers\" must be an object")
    url, method, client_ip = item["url"], item.get("method"), item.get("client_ip")
    if not isinstance(url, str):        # null too: a request has a URL
        raise RequestError(f"line {number}: \"url\" must be a string")
    for key, value in (("method", method), ("client_ip", client_ip)):
        if value is not None and not isinstance(value, str):
            raise RequestError(f"line {number}: \"{key}\" must be a string")
    try:
        return Request.parse(typed_url(url), method or "GET",
                             typed_headers({str(k): str(v) for k, v in headers.items()}) if headers else {},
                             client_ip or "127.0.0.1", stated=True)
    except RequestError as exc:
        raise RequestError(f"line {number}: {exc}") from None
