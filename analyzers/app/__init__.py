"""Rules about the apps behind the proxy (Django under gunicorn): the whole chain decides."""
