"""Replaying a request through the real ModSecurity engine (`why`).

When a request is under a WAF (Apache `SecRuleEngine On|DetectionOnly`, nginx
`modsecurity on` with rules), confcheck cannot model the Core Rule Set: it asks
the engine. `collect` gathers the ModSecurity directives in force for the
request from confcheck's own parsed trees (and the rule files they name),
`throwaway` starts a server on 127.0.0.1 carrying only that WAF configuration
(nothing of the site: one location that every request reaches), sends the
request and stops it, `verdict` reads the engine's log lines, and `combine`
merges the verdict with the server model's answer, in the order the server
runs them (servers differ: see combine.py).
"""
