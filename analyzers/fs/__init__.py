"""Filesystem rules: what the worker process cannot read or traverse."""
