"""Rules about the apps behind the proxy (Django under gunicorn): the whole chain decides."""

# every rule here reads ctx.apps: a scan that found no app never imports them (confcheck/registry.py)
NEEDS = ("apps",)
