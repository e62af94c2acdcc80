"""The apps behind the proxy: what they receive and how they decide (Django under gunicorn)."""
