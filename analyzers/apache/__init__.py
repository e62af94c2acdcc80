"""Apache httpd and .htaccess rules."""
