"""scan: read the inputs, build the server models, run every rule.

Data flows one way: inputs -> parsers -> server models -> filesystem survey ->
rules -> findings. Rules get a `ScanContext` and ask it; they never read files
or walk the disk themselves, so each fact is computed once and shared.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from dataclasses import dataclass, field
from functools import cached_property

if TYPE_CHECKING:     # the input stage is imported only when a command reads inputs
    from confcheck.inputs import InputRequest

from confcheck.findings import Finding, NotCheckedPath
from confcheck.source import Diagnostic, Diagnostics


@dataclass
class ScanOptions:
    paths: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)
    server: str | None = None
    root: str | None = None
    fs_snapshot: str | None = None
    no_fs: bool = False
    worker_user: str | None = None
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    progress: object | None = None      # confcheck.progress.Progress: shown on a terminal only
    # --context (pre-commit): named files are checked inside the mains under the
    # working directory that include them (confcheck.inputs)
    context: bool = False
    app_settings: list[str] = field(default_factory=list)   # --app-settings [HOST=]FILE (confcheck.apps)

    def __post_init__(self) -> None:
        # Paths derived from the root end up in commands and patches: keep them absolute.
        if self.root:
            import os
            self.root = os.path.abspath(self.root)


@dataclass
class ScanResult:
    findings: list[Finding]
    errors: list[Diagnostic]
    not_checked: list[NotCheckedPath]
    files: int
    failures: list = field(default_factory=list)    # confcheck.isolation.Failure: internal errors (exit 3)
    reading: object = None      # confcheck.inputs.Reading: what was read, for the `inputs` report


@dataclass
class NginxTarget:
    """One nginx configuration as loaded, with its static model."""

    config: object            # confcheck.parsers.nginx_loader.NginxConfig
    model: object             # confcheck.servers.nginx.model.NginxModel
    waf: object = None        # confcheck.waf.scopes.WafScope: ModSecurity's scopes, None without it
    server = "nginx"          # class attribute (not a field): what findings name

    @property
    def name(self) -> str:
        return self.config.main.source.display_path


class ScanContext:
    """What rules may ask about: configs, models, the disk as the worker sees it."""

    def __init__(self, options: ScanOptions, nginx: list[NginxTarget], fs, trees: list[str]) -> None:
        self.options = options
        self.nginx = nginx
        self.fs = fs                    # None in config-only scans
        self.trees = trees              # served trees named on the command line (limit the walk)
        self.apache: list[ApacheTarget] = []
        self.htaccess: list = []        # lone .htaccess files named on the command line (ParsedFile)
        self.pools: list | None = None  # php-fpm pools behind the servers (None: no php-fpm configuration read)
        self.pool_views = None          # servers.phpfpm.views.PoolViews: the disk as each pool sees it
        self._identities: dict[int, object] = {}
        self._surveys: dict[int, object] = {}
        self._models: dict[int, object] = {}
        self._views: dict[int, tuple] = {}
        # Derived data rules and fixers compute once per scan (keyed by their own names).
        self.memo: dict = {}
        self.apps: list = []            # confcheck.apps.django.discover.App: the apps behind the proxies
        self.all_targets: list = []     # every configuration of the scan (a rule's view holds one of them)
        from confcheck.isolation import Failures
        self.failures = Failures()      # internal errors contained where they happened

    def targets(self) -> list:
        """Every configuration of the scan, nginx then Apache (the FS rules read both)."""
        return [*self.nginx, *self.apache]

    def identity(self, target: NginxTarget):
        """The worker identity for `target`, or an IdentityProblem."""
        key = id(target)
        if key not in self._identities:
            if target.server == "apache":
                from confcheck.survey import apache_identity
                self._identities[key] = apache_identity(self.fs, target, self.options.worker_user)
            else:
                from confcheck.servers.nginx.worker import nginx_identity
                self._identities[key] = nginx_identity(self.fs, target.model, self.options.worker_user)
        return self._identities[key]

    def fs_for(self, target):
        """The disk as `target`'s worker sees it: through the mount namespace of the
        systemd unit that starts this configuration, if one does (confcheck/fs/sandbox.py)."""
        key = id(target)
        if key not in self._views:
            from confcheck.fs.sandbox import view
            self._views[key] = view(self.fs, target.server, server_path(target.config.main.source.path,
                                                                        self.options.root))
        return self._views[key][0]

    def sandbox(self, target):
        """The fs.sandbox.Sandbox of `target`'s unit, or None."""
        self.fs_for(target)
        return self._views[id(target)][1]

    def survey(self, target: NginxTarget):
        """The walk of every tree `target` serves (computed once, shared by rules)."""
        key = id(target)
        if key not in self._surveys:
            from confcheck.survey import survey_apache, survey_nginx
            walk = survey_apache if target.server == "apache" else survey_nginx
            self._surveys[key] = walk(self.fs_for(target), self.identity(target) if self.fs is not None else None,
                                      target, self.trees, self.failures)
        return self._surveys[key]

    def request_model(self, target: NginxTarget):
        """The nginx request model (confcheck.servers.nginx.decide.Model) for `target`.

        It sees the disk when the scan does; in a config-only scan, or when the
        worker identity is unknown, answers that need the disk are `None`.
        """
        key = id(target)
        if key not in self._models:
            from confcheck.servers.nginx.conf import build_http
            from confcheck.servers.nginx.decide import Model
            from confcheck.servers.nginx.worker import IdentityProblem
            identity = self.identity(target) if self.fs is not None else None
            fs = self.fs_for(target) if identity is not None and not isinstance(identity, IdentityProblem) else None
            self._models[key] = Model(build_http(target.config.nodes), fs, identity if fs else None,
                                      prefix=target.model.prefix, conf_prefix=target.model.conf_prefix,
                                      failures=self.failures, pools=self.pools,
                                      pool_views=self.pool_views)
        return self._models[key]

    @cached_property
    def not_checked(self) -> list[NotCheckedPath]:
        out: list[NotCheckedPath] = []
        seen: set[str] = set()
        for survey in self._surveys.values():
            for item in survey.not_checked:
                if item.path not in seen:
                    seen.add(item.path)
                    out.append(item)
        return out


def server_path(path: str, root: str | None) -> str:
    """`path` (a file read under --root) as the server inside the image names it."""
    path = os.path.abspath(path)
    if root and (path == root or path.startswith(root.rstrip("/") + "/")):
        return "/" + path[len(root.rstrip("/")):].lstrip("/")
    return path


def pool_views(fs, reading, root: str | None):
    """Each php-fpm pool's own view of the disk (its unit's sandbox), noting the unit read;
    None without a disk or without php-fpm configurations."""
    if fs is None or not reading.fpm:
        return None
    from confcheck.servers.phpfpm.views import PoolViews
    views = PoolViews.build(fs, [item for item in reading.fpm if not item.diags.errors],
                            lambda path: server_path(path, root))
    for pool, box in views.sandboxes():
        reading.note_unit(next(item.config.path for item in reading.fpm if pool in item.tree.pools), box)
    return views


def open_fs(options: ScanOptions):
    if options.no_fs:
        return None
    if options.fs_snapshot:
        from confcheck.fs.snapshot import SnapshotFs
        from confcheck.inputs.model import InputError
        try:
            return SnapshotFs.load(options.fs_snapshot)
        except OSError as exc:
            raise InputError(f"{options.fs_snapshot}: cannot read the snapshot: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            # json.JSONDecodeError is a ValueError and carries the position.
            raise InputError(f"{options.fs_snapshot}: not a confcheck snapshot ({exc})") from None
    from confcheck.fs.live import LiveFs
    return LiveFs(options.root)


def input_request(options) -> InputRequest:
    """The input stage's view of scan's (or why's) options."""
    from confcheck.inputs import InputRequest
    return InputRequest(paths=list(options.paths), configs=list(options.configs), server=options.server,
                        root=options.root, no_fs=options.no_fs, context=getattr(options, "context", False))


def read_options(options, stdin=None):
    """resolve + read: the one way commands get their configs (confcheck.inputs)."""
    from confcheck.inputs import read_inputs, resolve
    request = input_request(options)
    inputs = resolve(request, stdin)
    return read_inputs(inputs, context_base="." if request.context else None, server=request.server)


def read_apps(reading, options) -> list:
    """The Django apps in the served trees named and in --app-settings (confcheck.apps)."""
    root = getattr(options, "root", None)
    trees = [os.path.join(root, t.lstrip("/")) if root else t for t in reading.inputs.trees] \
        if not options.no_fs else []
    trees = [t for t in trees if os.path.isdir(t)]
    named = list(getattr(options, "app_settings", []) or [])
    if not trees and not named:
        return []       # nothing to look for: libcst stays unloaded
    from confcheck.apps.django.discover import AppError, discover
    from confcheck.inputs import InputError
    try:
        apps, _notes = discover(trees, named)
    except AppError as exc:
        raise InputError(str(exc)) from None
    broken = [error for app in apps for error in app.settings.module.errors]
    if broken:
        # a settings file that does not parse is never reported clean
        raise InputError(f"{broken[0]} (Django settings)")
    reading.apps = [{"framework": "django", "settings": app.settings.path, "files": list(app.settings.files),
                     "found_by": app.settings.how_found,
                     "app_server": app.gunicorn.source if app.gunicorn is not None else None,
                     "uwsgi": app.uwsgi.source if app.uwsgi is not None else None,
                     "errors": list(app.settings.module.errors)} for app in apps]
    return apps


def nginx_targets(reading, *, places: bool = True) -> list[NginxTarget]:
    """The nginx configurations read, validated (into each one's diagnostics), with their static models
    (`places=False`: without the served places, which only the scan's disk rules read)."""
    targets: list[NginxTarget] = []
    for item in reading.of("nginx"):
        _validate_nginx(item)
        target = nginx_unchecked(item, places=places)
        target.waf = _waf(target, item.diags)
        targets.append(target)
    return targets


def nginx_unchecked(item, *, places: bool = True) -> NginxTarget:
    """One nginx configuration's target before nginx_targets' checks (check_nginx: neither
    reads the other's work; why --batch answers while they run)."""
    from confcheck.servers.nginx.model import build_model, prefix_for
    config = item.tree
    conf_prefix = config.prefix.rstrip("/") or "/"
    return NginxTarget(config, build_model(config.nodes, prefix=prefix_for(conf_prefix), conf_prefix=conf_prefix,
                                           places=places))


def check_nginx(item, target: NginxTarget) -> None:
    """nginx_targets' checks of an nginx_unchecked target, their diagnostics in the same order."""
    _validate_nginx(item)
    target.waf = _waf(target, item.diags)


def _validate_nginx(item) -> None:
    from confcheck.parsers.nginx_directives import validate
    from confcheck.servers.coverage import nginx_unloaded_directives
    validate(item.tree, item.diags, nginx_unloaded_directives,
             named_main=item.config.role == "main" and not item.config.found)


@dataclass
class ApacheTarget:
    """One Apache configuration as loaded, with its request-time sections and what it serves."""

    config: object            # confcheck.parsers.apache_loader.ApacheConfig
    conf: object = None       # confcheck.servers.apache.conf.ApacheConf (conditionals settled)
    served: object = None     # confcheck.servers.apache.served.ApacheServed: DocumentRoots, Aliases, UserDirs
    refused: bool = False     # httpd refuses to start with it (startup_errors)
    waf: object = None        # confcheck.waf.scopes.WafScope: ModSecurity's scopes, None without it
    server = "apache"

    @property
    def name(self) -> str:
        return self.config.main.source.display_path

    @property
    def modules(self) -> set[str]:
        return self.conf.modules


def apache_targets(reading, options: ScanOptions):
    """(targets, lone .htaccess ParsedFiles) for the Apache configurations read; what the
    model refuses at start-up (Options, Require values ...) joins each one's diagnostics."""
    targets = []
    for item in reading.of("apache", "main", "lone"):
        from confcheck.servers.apache.startup import startup_errors   # only Apache scans load it
        target = _apache_target(item.tree, options)
        refused = startup_errors(target.conf)
        item.diags.items.extend(refused)
        target.waf = _waf(target, item.diags)
        target.refused = bool(refused)
        targets.append(target)
    htaccess = [item.tree for item in reading.of("apache", "htaccess")]
    return targets, htaccess


def _waf(target, diags):
    """ModSecurity's scopes of `target` (None when it loads no ModSecurity); what the engine would
    refuse to read in its rules (a missing quote, an unreadable rules file) joins `diags`."""
    from confcheck.waf.scopes import waf_scopes
    root = waf_scopes(target)
    if root is not None:
        for scope in root.walk():
            for message, span in scope.problems:
                diags.add(message, span, code="modsecurity")
    return root


def _apache_target(config, options: ScanOptions) -> ApacheTarget:
    from confcheck.parsers.apache_loader import loaded_modules
    from confcheck.servers.apache.conf import build
    from confcheck.servers.apache.served import apache_served

    conf = build(config, loaded_modules(config))
    # UserDir needs the passwd file: read through the same view the scan uses
    fs = open_fs(options) if "userdir_module" in conf.modules and not options.no_fs else None
    return ApacheTarget(config, conf, apache_served(conf, config.server_root, fs))


def run_scan(options: ScanOptions, stdin=None) -> ScanResult:
    """Everything `confcheck scan` does short of printing."""
    from confcheck.gcpause import gc_paused

    with gc_paused():
        return _run_scan(options, stdin)


def _run_scan(options: ScanOptions, stdin) -> ScanResult:
    from confcheck.registry import load_rules

    reading = read_options(options, stdin)
    diags = Diagnostics()
    targets = nginx_targets(reading)
    apache, htaccess = apache_targets(reading, options)
    for item in reading.loaded + reading.fpm:      # a bad pool file is an input error (exit 2), scanned beside
        diags.items.extend(item.diags.items + item.more_diags.items)
    diags.items.extend(reading.diags.items)
    fs = open_fs(options)
    ctx = ScanContext(options, targets, fs, reading.inputs.trees)
    ctx.apache, ctx.htaccess = apache, htaccess
    ctx.apps = read_apps(reading, options)
    ctx.all_targets = ctx.targets()
    ctx.pools = reading.running_pools()
    ctx.pool_views = pool_views(fs, reading, options.root)
    for target in ctx.targets() if fs is not None else ():
        reading.note_unit(target.config.main.source.path, ctx.sandbox(target))
    files = reading.files
    from confcheck.gcpause import gc_young_only
    from confcheck.isolation import target_views

    registry = load_rules()
    ran: set[str] = set()
    views = target_views(ctx)
    with gc_young_only():
        findings = _run_rules(registry, views, ctx, options, fs is not None, ran)
    _drop_refused(ctx.failures, apache)
    # After every rule: only now is it known what each suppression comment silenced.
    from confcheck.suppress import apply_suppressions
    findings = apply_suppressions(ctx, findings, ran, lambda rule_id: registry.get(rule_id) is not None)
    findings.sort(key=Finding.sort_key)
    from confcheck.isolation import collapse
    return ScanResult(findings, _unexplained(diags.errors, findings), ctx.not_checked, files,
                      collapse(ctx.failures), reading)


def _run_rules(registry, views, ctx, options: ScanOptions, with_fs: bool, ran: set[str]) -> list[Finding]:
    """Every selected rule over every configuration; `ran` gets the rules that
    finished everywhere (a rule that failed somewhere cannot tell which
    suppressions it needed)."""
    from confcheck.isolation import rule_findings
    from confcheck.registry import has_inputs

    findings: list[Finding] = []
    for rule in registry.all():
        if options.select is not None and rule.id not in options.select:
            continue
        if rule.id in options.ignore:
            continue
        if rule.needs_fs and not with_fs:
            continue
        if not has_inputs(rule, ctx):
            ran.add(rule.id)        # it would find nothing here: its module stays unimported
            continue
        if options.progress is not None:
            options.progress.stage(f"{rule.id} {rule.name}")
        found, complete = rule_findings(rule, views, ctx.failures)
        findings.extend(found)
        if complete:
            ran.add(rule.id)
    return findings


def _drop_refused(failures: list, apache: list) -> None:
    """A configuration httpd refuses answers no request: the refusal itself is reported
    (startup_errors), so a rule or a probe asking the model about it (DirectiveError: the
    model meeting what startup_errors reported; a config without refusals never raises it)
    failed nowhere."""
    if any(t.refused for t in apache):
        failures[:] = [f for f in failures if not f.error.startswith("DirectiveError:")]


def _unexplained(errors: list[Diagnostic], findings: list[Finding]) -> list[Diagnostic]:
    """The input errors no finding reports as the same refusal at the same directive: a rule
    that explains a refusal (APA104's Order without mod_access_compat, APA105, APA118; their
    messages say "httpd refuses to start") brings its fix, and the same refusal twice would
    only make `fix` give up."""
    covered = {(f.span.source.path, f.span.line) for f in findings
               if f.severity == "error" and f.span is not None and "refuses to start" in f.message}
    return [e for e in errors if e.span is None or (e.span.source.path, e.span.line) not in covered]
