"""The disk as each php-fpm pool sees it.

php-fpm runs under its own systemd unit (Debian's php8.2-fpm.service, RHEL's
php-fpm.service), whose `--fpm-config` names the configuration it loads: the
pools of that configuration read scripts and create sockets through that
unit's mount namespace and php-fpm's AppArmor profile (confcheck/fs/sandbox.py),
not through the web server's. A configuration no unit starts is seen as the
plain disk.
"""

from __future__ import annotations


class PoolViews:
    """Pool -> (php-fpm's view of the disk, its fs.sandbox.Sandbox or None)."""

    def __init__(self, fs, views: dict) -> None:
        self.fs = fs
        self._views = views

    @classmethod
    def build(cls, fs, fpm_items, to_server_path) -> "PoolViews | None":
        """The views of the pools of `fpm_items` (inputs.read.Loaded); `to_server_path` maps a
        configuration's local path to the path the host's units name. None without a disk."""
        if fs is None:
            return None
        from confcheck.fs.sandbox import view
        views, seen = {}, {}
        for item in fpm_items:
            path = to_server_path(item.config.path)
            for pool in item.tree.pools:
                # apparmor_hat: the pool's children run under php-fpm's child profile of that name
                key = (path, pool.value("apparmor_hat") or None)
                if key not in seen:
                    seen[key] = view(fs, "php-fpm", *key)
                views[pool] = seen[key]
        return cls(fs, views)

    def fs_of(self, pool):
        return self._views.get(pool, (self.fs, None))[0]

    def sandbox_of(self, pool):
        return self._views.get(pool, (self.fs, None))[1]

    def sandboxes(self) -> list[tuple]:
        """(pool, Sandbox) for every pool a unit starts."""
        return [(pool, box) for pool, (_fs, box) in self._views.items() if box is not None]
