"""Bundled sites for `confcheck demo` and tests (shipped in the wheel)."""
