"""What each nginx directive can do to the status of a request (data).

One line per entry: `NAME CLASS [except=V,...] [-- reason]`. `*module` lines
give the class of every directive of that module that has no line of its
own. Classes:

  modelled   decide() reproduces what the directive does;
  no-effect  it cannot change the status of a request (within the limits
             a request of `why` stays under);
  unknown    it can change the status and the model does not know how: a
             request that passes it is answered with status null.

`except=` lists first-argument values (lower case) with which an `unknown`
directive is switched off and has no effect (`auth_request off`).
Judged from nginx 1.22.1's sources (src/http/modules/*.c).
"""

CLASSES = """\
*ngx_core_module no-effect -- process settings (daemon, pid, workers, limits)
user modelled -- the worker's identity: every filesystem check is made as this user
load_module modelled -- which dynamic modules exist (coverage.loaded_modules)
*ngx_conf_module modelled -- includes are read by the loader
*ngx_errlog_module no-effect -- logging
*ngx_regex_module no-effect -- PCRE JIT
*ngx_thread_pool_module no-effect -- thread pools for I/O
*ngx_epoll_module no-effect -- event method
*ngx_events_module no-effect -- event settings
*ngx_event_core_module no-effect -- event settings
*ngx_openssl_module no-effect -- crypto engine
*ngx_devpoll_module unknown -- not built into Debian's nginx: nginx refuses the configuration
*ngx_eventport_module unknown -- not built into Debian's nginx: nginx refuses the configuration
*ngx_iocp_module unknown -- not built into Debian's nginx: nginx refuses the configuration
*ngx_kqueue_module unknown -- not built into Debian's nginx: nginx refuses the configuration
*ngx_http_degradation_module unknown -- not built into Debian's nginx: nginx refuses the configuration
*ngx_google_perftools_module unknown -- not built into Debian's nginx: nginx refuses the configuration
*not-in-1.22 unknown -- not a directive of nginx 1.22 (NGINX Plus, njs or a later release): Debian's nginx refuses it unless a third-party module provides it, whose effect is not modelled

*ngx_http_module modelled -- the http{} block
*ngx_http_core_module no-effect -- buffers, timeouts, MIME types, logging, headers of the answer
server modelled -- server{} blocks and their selection
location modelled -- location search (exact, prefix, ^~, regex, nested, named)
listen modelled -- address:port and default_server take part in server selection
server_name modelled -- exact, wildcard and regex names in nginx's order
root modelled
alias modelled
limit_except modelled
satisfy modelled
internal modelled
error_page modelled -- internal redirects, named locations, =code and redirects
disable_symlinks modelled -- the symlink policy of every filesystem check
recursive_error_pages modelled -- on lets an error page's own error have a page too, within the 10 URI changes
merge_slashes modelled -- off keeps repeated slashes (also decoded %2F): the URI is parsed with the setting of the address's default server, before Host picks one (decide._parse_uri)
post_action no-effect -- a subrequest after the answer is sent
client_max_body_size modelled -- a Content-Length over it is 413 when the location is found, before the rewrite phase (decide._body_too_large); a chunked body is not measured
large_client_header_buffers no-effect -- answers 400/414 only to a request line or header over the limit
client_header_buffer_size no-effect -- buffer size; larger lines go to large_client_header_buffers
if_modified_since modelled -- If-Modified-Since: exact/before/off decide the 304 of a 200 answer (conditional.py)
max_ranges modelled -- Range requests: 206/416 of a file, 0 switches ranges off, more ranges than allowed serve it whole (conditional.py)
etag modelled -- off: no ETag, so If-None-Match/If-Match/If-Range name none of the answer's (conditional.py)
absolute_redirect no-effect -- the form of the Location header, not the status
server_name_in_redirect no-effect -- the form of the Location header, not the status
port_in_redirect no-effect -- the form of the Location header, not the status
msie_refresh no-effect -- the body of a redirect for MSIE, not the status
auth_delay no-effect -- delays 401/403 answers, does not change them
types no-effect -- MIME types of the answer
default_type no-effect -- the Content-Type of the answer

*ngx_http_access_module modelled
*ngx_http_auth_basic_module modelled
*ngx_http_auth_request_module modelled -- the access phase asks another location: its 2xx allows, 401/403 refuse, anything else is 500; a subrequest the model cannot answer (often an upstream) makes the answer unknown (servers/nginx/auth_request.py)
auth_request_set no-effect -- sets variables from the auth_request subrequest (unknown offline, named in the answer)
*ngx_http_addition_filter_module no-effect -- adds subrequest bodies before/after a 200 answer; the status stays the main request's
*ngx_http_autoindex_module no-effect -- the listing's format
autoindex modelled
*ngx_http_browser_module no-effect -- sets $modern_browser/$ancient_browser, which the model does not compute (a status that depends on them is named in the answer's assumptions)
*ngx_http_charset_filter_module no-effect -- the charset of the body
*ngx_http_dav_module no-effect -- dav_access: the mode of what PUT/MKCOL create
dav_methods modelled -- PUT (201/204, 409 on a collection or a directory, 500 when the rename fails), DELETE of a file (204, 404, 409, 403, 400 on Depth), MKCOL (201, 405, 409, 403) from the worker's rights on the disk; COPY/MOVE and DELETE of a directory are unknown (dav.py)
create_full_put_path modelled -- PUT into a missing directory: created when the deepest existing one is writable, else 500
min_delete_depth modelled -- DELETE of a URI with fewer slashes is 409
*ngx_http_empty_gif_module modelled -- answers 200 with a 1x1 GIF to GET/HEAD, 405 to other methods
*ngx_http_fastcgi_module no-effect -- shapes what is handed to the FastCGI server (fastcgi_param SCRIPT_FILENAME/REQUEST_METHOD are read for php-fpm)
fastcgi_pass modelled -- handed to the FastCGI server after the access phase: status null, or php-fpm's answer when its pools were read (docs/phpfpm.md)
fastcgi_split_path_info modelled -- $fastcgi_script_name and $fastcgi_path_info
fastcgi_index modelled -- $fastcgi_script_name of a URI ending in /
fastcgi_store unknown except=off -- stores the upstream's answer as files
fastcgi_intercept_errors modelled -- error_page for php-fpm's own 403/404 (without it they reach the client as they are)
*ngx_http_flv_module modelled -- the FLV handler: GET/HEAD only (405), the file opened as the static module does (403/404), what is not a file declined; start= only cuts the body (content_modules.py)
*ngx_http_geo_module modelled -- geo{} variables by client address
*ngx_http_geoip_module no-effect -- sets $geoip_* variables, which the model does not compute (named in the answer's assumptions)
*ngx_http_grpc_module no-effect -- shapes what is handed to the gRPC server, whose answer is null anyway
grpc_pass modelled -- handed to the gRPC server after the access phase: status null (the server's)
*ngx_http_gunzip_filter_module no-effect -- decompresses the body
*ngx_http_gzip_filter_module no-effect -- compresses the body
*ngx_http_gzip_static_module modelled -- serves FILE.gz when it can be opened, before the static module (content_modules.py)
gzip_static modelled -- on: when ngx_http_gzip_ok accepts the request (Accept-Encoding with its q, Via and gzip_proxied, gzip_disable: unknown), always: any request; FILE.gz that cannot be opened lets the static module answer
*ngx_http_headers_filter_module no-effect -- headers of the answer
*ngx_http_image_filter_module no-effect -- settings of image_filter
image_filter unknown except=off -- answers 415 to an answer that is not an image, and 500/415 to an image it cannot transform
*ngx_http_index_module modelled
*ngx_http_limit_conn_module no-effect -- zones and log levels of limit_conn
limit_conn modelled -- a single request is not limited; why names the zone, the number and the status under load (limit_conn_status, 503 unless set)
limit_conn_zone modelled -- the zone's key, read to describe limit_conn
limit_conn_status modelled -- the status under load, named by why, explain and NGX114
limit_conn_dry_run modelled -- on: limit_conn only logs
*ngx_http_limit_req_module no-effect -- zones and log levels of limit_req
limit_req modelled -- a single request is not limited; why names the zone, rate, burst and the status under load (limit_req_status, 503 unless set)
limit_req_zone modelled -- the zone's key and rate, read to describe limit_req
limit_req_status modelled -- the status under load, named by why, explain and NGX114
limit_req_dry_run modelled -- on: limit_req only logs
*ngx_http_log_module no-effect -- access logging
*ngx_http_map_module modelled -- map{} variables
*ngx_http_memcached_module no-effect -- shapes the memcached request, whose answer is null anyway
memcached_pass modelled -- handed to memcached after the access phase: status null
*ngx_http_mirror_module no-effect -- mirror subrequests; their answers are ignored
*ngx_http_mp4_module no-effect -- buffers of the mp4 handler
mp4 modelled -- the MP4 handler: GET/HEAD only (405), the file opened as the static module does, what is not a file declined; with start=/end= the file's atoms decide: unknown (content_modules.py)
*ngx_http_proxy_module no-effect -- shapes what is handed to the proxied server, whose answer is null anyway
proxy_pass modelled -- handed to the proxied server after the access phase: status null (the server's)
proxy_store unknown except=off -- stores the upstream's answer as files
proxy_intercept_errors no-effect -- error_page for the upstream's codes: the upstream status is null anyway
*ngx_http_random_index_module modelled -- a URI ending in / is redirected to a random regular file of the directory: confident when every file it may pick is answered the same, else unknown (decide._random_index)
*ngx_http_realip_module modelled -- from a trusted address, the client address (allow/deny, geo, $remote_addr) is taken from a header (servers/nginx/realip.py)
*ngx_http_referer_module modelled
*ngx_http_rewrite_module modelled
rewrite_log no-effect -- logging
uninitialized_variable_warn no-effect -- logging
*ngx_http_scgi_module no-effect -- shapes what is handed to the SCGI server, whose answer is null anyway
scgi_pass modelled -- handed to the SCGI server after the access phase: status null (the server's)
scgi_store unknown except=off -- stores the upstream's answer as files
*ngx_http_secure_link_module modelled -- $secure_link and $secure_link_expires computed from the request (MD5, base64url, expiry at the time of checking; an expiry within the hour is unknown) (secure_link.py)
*ngx_http_slice_filter_module unknown except=0 -- splits the answer into range subrequests of the same location; acts only on a request with a Range header (coverage.py)
*ngx_http_split_clients_module no-effect -- a variable by hash, which the model does not compute (named in the answer's assumptions)
*ngx_http_ssi_filter_module no-effect -- SSI in the body; errors are written into the body, the status stays
*ngx_http_ssl_module no-effect -- TLS of the connection
ssl_verify_client unknown except=off,optional,optional_no_ca -- on answers 400 to an https request without a client certificate
*ngx_http_stub_status_module modelled -- answers 200 with the counters to GET/HEAD, 405 to other methods
*ngx_http_sub_filter_module no-effect -- rewrites the body
*ngx_http_try_files_module modelled
*ngx_http_upstream_module no-effect -- upstream{} groups: the upstream's answer is null anyway (their servers link a pass to the app read behind it only when every one reaches that app: confcheck/apps/chain.py)
*ngx_http_upstream_hash_module no-effect -- upstream balancing
*ngx_http_upstream_ip_hash_module no-effect -- upstream balancing
*ngx_http_upstream_keepalive_module no-effect -- upstream connections
*ngx_http_upstream_least_conn_module no-effect -- upstream balancing
*ngx_http_upstream_random_module no-effect -- upstream balancing
*ngx_http_upstream_zone_module no-effect -- upstream shared memory
*ngx_http_userid_filter_module no-effect -- a cookie in the answer
*ngx_http_uwsgi_module no-effect -- shapes what is handed to the uwsgi server, whose answer is null anyway
uwsgi_pass modelled -- handed to the uwsgi server after the access phase: status null (the server's), or the answer of the Django app read behind its uWSGI (confcheck/apps)
uwsgi_param modelled -- the variables uWSGI receives (inherited as a whole; if_not_empty): HTTP_HOST, HTTPS, UWSGI_SCHEME decide the host and scheme Django sees (confcheck/apps/backend.py)
uwsgi_pass_request_headers modelled -- off: no client header reaches the app as HTTP_* (confcheck/apps/backend.py)
uwsgi_store unknown except=off -- stores the upstream's answer as files
*ngx_http_xslt_filter_module no-effect -- settings of xslt_stylesheet
xslt_stylesheet unknown -- transforms XML answers; a document or stylesheet that fails answers 500
*ngx_http_perl_module no-effect -- interpreter settings
perl unknown -- a Perl handler answers with whatever status it returns
perl_set no-effect -- a variable computed by Perl, which the model does not compute (named in the answer's assumptions)
*ngx_http_copy_filter_module no-effect -- output buffers
*ngx_http_v2_module no-effect -- HTTP/2 framing

*ngx_http_headers_more_filter_module no-effect -- headers of the answer (libnginx-mod-http-headers-more-filter)
more_set_input_headers unknown -- changes request headers before the access phase (Authorization, $http_*)
more_clear_input_headers unknown -- changes request headers before the access phase (Authorization, $http_*)
*ngx_http_subs_filter_module no-effect -- rewrites the body (libnginx-mod-http-subs-filter)
*ngx_http_brotli_filter_module no-effect -- compresses the body (libnginx-mod-http-brotli-filter)
*ngx_http_brotli_static_module unknown except=off -- serves FILE.br instead of FILE when it exists (libnginx-mod-http-brotli-static)
*ngx_http_modsecurity_module no-effect -- where ModSecurity's rules come from; they act only where `modsecurity on` (libnginx-mod-http-modsecurity)
modsecurity unknown except=off -- ModSecurity's rules (the Core Rule Set) answer 403, or any status, from the request's contents

*ngx_mail_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_mail_auth_http_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_mail_core_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_mail_imap_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_mail_pop3_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_mail_proxy_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_mail_realip_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_mail_smtp_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_mail_ssl_module no-effect -- mail{} proxy: not on the HTTP request path
*ngx_stream_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_access_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_core_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_geo_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_geoip_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_limit_conn_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_log_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_map_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_proxy_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_realip_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_return_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_set_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_split_clients_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_ssl_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_ssl_preread_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_upstream_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_upstream_hash_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_upstream_least_conn_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_upstream_random_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
*ngx_stream_upstream_zone_module no-effect -- stream{} (TCP/UDP): not on the HTTP request path
"""
