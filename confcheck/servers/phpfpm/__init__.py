"""PHP-FPM behind nginx and Apache: the pools read from php-fpm's configuration,
the pool that listens on a handler's address, and what php-fpm answers."""
