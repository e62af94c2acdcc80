"""WAF rules: ModSecurity (and the Core Rule Set) as Apache or nginx loads it."""

# every rule here reads the configurations' ModSecurity scopes (target.waf): a scan of
# configurations that load no ModSecurity never imports them (confcheck/registry.py)
NEEDS = ("waf",)
