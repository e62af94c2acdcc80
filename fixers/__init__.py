"""Fix builders: config patches and permission scripts."""
