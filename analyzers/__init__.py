"""Rules: one module each, registered by confcheck.registry.rule."""
