"""WAF rules: ModSecurity (and the Core Rule Set) as Apache or nginx loads it."""
