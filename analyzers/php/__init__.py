"""php-fpm rules: what the pool behind nginx answers (confcheck.servers.phpfpm)."""

# every rule here reads the pools of the php-fpm configurations read (ctx.pools, None without
# any): a scan that read none never imports them (confcheck/registry.py)
NEEDS = ("pools",)
