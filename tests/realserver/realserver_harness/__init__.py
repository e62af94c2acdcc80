"""Real-server test harness: build trees with real modes/owners, run real
nginx (and later Apache) on 127.0.0.1 with www-data workers, send requests,
record statuses and error-log lines.

Modules:
    accounts   temporary users and groups (unique per session, always removed)
    tree       filesystem specs as data -> a real tree under /var/tmp
    scenarios  loading and validating scenario files (YAML)
    runner     server-agnostic runner interface and result objects
    nginx      the nginx runner
    modsec     real ModSecurity + the CRS on Apache and nginx (the WAF tests)
    session    glue used by the pytest fixtures (prerequisites, build, run, cleanup)
"""
