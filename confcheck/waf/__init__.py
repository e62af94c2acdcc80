"""The WAF layer: ModSecurity (and the Core Rule Set) as the server loads it.

* `scopes`: where ModSecurity's configuration is in force, per server and
  location: Apache's main server, `<VirtualHost>` and `<Location>`/`<Directory>`
  sections (mod_security2 merges them per request like any per-directory
  module); nginx's http/server/location blocks (`modsecurity`,
  `modsecurity_rules_file`, `modsecurity_rules`, inherited, the rules files
  read here with their `Include`s).
* `inforce`: what a scope holds: the engine mode, the rules after removals
  and updates, the CRS settings (paranoia level, anomaly thresholds,
  `tx.crs_exclusions_*`), request-body limits.
* `exclusions`: removals and `ctl:` exclusions that can never apply, blunt
  ones, and the narrowest exclusion for a rule that refused a request.

Statements come from parsers/secrule.py; nothing here re-reads syntax.
"""
