"""Apache httpd 2.4's decision about one request (virtual host, section merge,
.htaccess, authorization, mod_rewrite, content), as the real server makes it."""
