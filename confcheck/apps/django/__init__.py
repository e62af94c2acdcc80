"""Django: its settings read statically, its host and CSRF decisions (Django 5.2)."""
