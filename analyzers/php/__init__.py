"""php-fpm rules: what the pool behind nginx answers (confcheck.servers.phpfpm)."""
