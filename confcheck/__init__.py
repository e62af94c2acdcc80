"""confcheck: why does the web server answer 403?"""

__version__ = "0.1.0"
