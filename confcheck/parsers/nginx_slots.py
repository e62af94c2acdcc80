"""What nginx 1.22's standard directive handlers accept, as data.

Derived from the `ngx_command_t` tables of nginx 1.22.1 (src/**/*.c): every
directive whose handler is one of the generic `ngx_conf_set_*_slot`
functions (and `ngx_http_set_complex_value_slot`), grouped by where it lives
(main, events, http, upstream, stream, mail) and by the kind of value the
handler parses; for enum and bitmask handlers, the words they accept. The
variables are the names of the `ngx_http_variable_t` tables (a trailing `_`
marks a prefix: `http_`, `arg_` ...), and those a module adds itself with
ngx_http_add_variable (MODULE_VARIABLES). nginx_values.py applies the handlers'
rules (ngx_conf_file.c, ngx_parse.c).
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


SLOTS: dict[tuple[str, str], frozenset[str]] = {
    ("events", "flag"): _names("""
        accept_mutex acceptex_read multi_accept
    """),
    ("events", "msec"): _names("""
        accept_mutex_delay
    """),
    ("events", "num"): _names("""
        devpoll_changes devpoll_events epoll_events eventport_events iocp_threads kqueue_changes
        kqueue_events post_acceptex worker_aio_requests
    """),
    ("http", "access"): _names("""
        dav_access fastcgi_store_access proxy_store_access scgi_store_access uwsgi_store_access
    """),
    ("http", "bufs"): _names("""
        fastcgi_buffers gunzip_buffers gzip_buffers large_client_header_buffers output_buffers
        proxy_buffers scgi_buffers uwsgi_buffers
    """),
    ("http", "complex"): _names("""
        auth_basic grpc_ssl_name proxy_method proxy_ssl_name secure_link secure_link_md5
        uwsgi_ssl_name
    """),
    ("http", "flag"): _names("""
        absolute_redirect aio_write autoindex autoindex_exact_size autoindex_localtime
        chunked_transfer_encoding client_body_in_single_buffer create_full_put_path etag
        fastcgi_buffering fastcgi_cache_background_update fastcgi_cache_lock
        fastcgi_cache_revalidate fastcgi_force_ranges fastcgi_ignore_client_abort
        fastcgi_intercept_errors fastcgi_keep_conn fastcgi_pass_request_body
        fastcgi_pass_request_headers fastcgi_request_buffering fastcgi_socket_keepalive
        geoip_proxy_recursive grpc_intercept_errors grpc_socket_keepalive grpc_ssl_server_name
        grpc_ssl_session_reuse grpc_ssl_verify gunzip gzip gzip_no_buffer gzip_vary
        http2_push_preload ignore_invalid_headers image_filter_interlace
        image_filter_transparency limit_conn_dry_run limit_req_dry_run log_not_found
        log_subrequest memcached_socket_keepalive merge_slashes mirror_request_body
        mp4_start_key_frame msie_padding msie_refresh open_file_cache_errors
        open_file_cache_events override_charset port_in_redirect proxy_buffering
        proxy_cache_background_update proxy_cache_convert_head proxy_cache_lock
        proxy_cache_revalidate proxy_force_ranges proxy_ignore_client_abort
        proxy_intercept_errors proxy_pass_request_body proxy_pass_request_headers
        proxy_request_buffering proxy_socket_keepalive proxy_ssl_server_name
        proxy_ssl_session_reuse proxy_ssl_verify random_index real_ip_recursive
        recursive_error_pages reset_timedout_connection rewrite_log scgi_buffering
        scgi_cache_background_update scgi_cache_lock scgi_cache_revalidate scgi_force_ranges
        scgi_ignore_client_abort scgi_intercept_errors scgi_pass_request_body
        scgi_pass_request_headers scgi_request_buffering scgi_socket_keepalive sendfile
        server_name_in_redirect ssi ssi_ignore_recycled_buffers ssi_last_modified
        ssi_silent_errors ssl_early_data ssl_prefer_server_ciphers ssl_reject_handshake
        ssl_session_tickets ssl_stapling ssl_stapling_verify sub_filter_last_modified
        sub_filter_once tcp_nodelay tcp_nopush underscores_in_headers
        uninitialized_variable_warn uwsgi_buffering uwsgi_cache_background_update
        uwsgi_cache_lock uwsgi_cache_revalidate uwsgi_force_ranges uwsgi_ignore_client_abort
        uwsgi_intercept_errors uwsgi_pass_request_body uwsgi_pass_request_headers
        uwsgi_request_buffering uwsgi_socket_keepalive uwsgi_ssl_server_name
        uwsgi_ssl_session_reuse uwsgi_ssl_verify xslt_last_modified
    """),
    ("http", "msec"): _names("""
        auth_delay client_body_timeout client_header_timeout fastcgi_cache_lock_age
        fastcgi_cache_lock_timeout fastcgi_connect_timeout fastcgi_next_upstream_timeout
        fastcgi_read_timeout fastcgi_send_timeout grpc_connect_timeout
        grpc_next_upstream_timeout grpc_read_timeout grpc_send_timeout keepalive_time
        lingering_time lingering_timeout memcached_connect_timeout
        memcached_next_upstream_timeout memcached_read_timeout memcached_send_timeout
        proxy_cache_lock_age proxy_cache_lock_timeout proxy_connect_timeout
        proxy_next_upstream_timeout proxy_read_timeout proxy_send_timeout resolver_timeout
        scgi_cache_lock_age scgi_cache_lock_timeout scgi_connect_timeout
        scgi_next_upstream_timeout scgi_read_timeout scgi_send_timeout send_timeout
        uwsgi_cache_lock_age uwsgi_cache_lock_timeout uwsgi_connect_timeout
        uwsgi_next_upstream_timeout uwsgi_read_timeout uwsgi_send_timeout
    """),
    ("http", "num"): _names("""
        fastcgi_cache_min_uses fastcgi_next_upstream_tries grpc_next_upstream_tries
        grpc_ssl_verify_depth gzip_comp_level http2_max_concurrent_pushes
        http2_max_concurrent_streams http2_streams_index_size keepalive_requests
        limit_conn_status limit_req_status map_hash_bucket_size map_hash_max_size max_ranges
        memcached_gzip_flag memcached_next_upstream_tries min_delete_depth
        open_file_cache_min_uses proxy_cache_min_uses proxy_headers_hash_bucket_size
        proxy_headers_hash_max_size proxy_next_upstream_tries proxy_ssl_verify_depth
        referer_hash_bucket_size referer_hash_max_size scgi_cache_min_uses
        scgi_next_upstream_tries server_names_hash_bucket_size server_names_hash_max_size
        ssl_verify_depth types_hash_bucket_size types_hash_max_size userid_service
        uwsgi_cache_min_uses uwsgi_modifier1 uwsgi_modifier2 uwsgi_next_upstream_tries
        uwsgi_ssl_verify_depth variables_hash_bucket_size variables_hash_max_size
    """),
    ("http", "off"): _names("""
        client_max_body_size directio_alignment fastcgi_cache_max_range_offset
        proxy_cache_max_range_offset scgi_cache_max_range_offset uwsgi_cache_max_range_offset
    """),
    ("http", "path"): _names("""
        client_body_temp_path fastcgi_temp_path proxy_temp_path scgi_temp_path uwsgi_temp_path
    """),
    ("http", "sec"): _names("""
        open_file_cache_valid ssl_session_timeout
    """),
    ("http", "size"): _names("""
        client_body_buffer_size client_header_buffer_size connection_pool_size
        fastcgi_buffer_size fastcgi_busy_buffers_size fastcgi_limit_rate
        fastcgi_max_temp_file_size fastcgi_send_lowat fastcgi_temp_file_write_size
        grpc_buffer_size gzip_hash gzip_min_length gzip_window http2_body_preread_size
        http2_chunk_size http2_pool_size http2_recv_buffer_size image_filter_buffer
        memcached_buffer_size mp4_buffer_size mp4_max_buffer_size postpone_gzipping
        postpone_output proxy_buffer_size proxy_busy_buffers_size proxy_limit_rate
        proxy_max_temp_file_size proxy_send_lowat proxy_temp_file_write_size read_ahead
        request_pool_size scgi_buffer_size scgi_busy_buffers_size scgi_limit_rate
        scgi_max_temp_file_size scgi_temp_file_write_size send_lowat sendfile_max_chunk slice
        ssi_min_file_chunk ssi_value_length ssl_buffer_size subrequest_output_buffer_size
        uwsgi_buffer_size uwsgi_busy_buffers_size uwsgi_limit_rate uwsgi_max_temp_file_size
        uwsgi_temp_file_write_size
    """),
    ("http", "str"): _names("""
        add_after_body add_before_body default_type fastcgi_index grpc_ssl_ciphers grpc_ssl_crl
        grpc_ssl_trusted_certificate post_action proxy_set_body proxy_ssl_ciphers proxy_ssl_crl
        proxy_ssl_trusted_certificate secure_link_secret ssl_ciphers ssl_client_certificate
        ssl_crl ssl_dhparam ssl_ecdh_curve ssl_ocsp_responder ssl_stapling_file
        ssl_stapling_responder ssl_trusted_certificate userid_domain userid_name userid_p3p
        userid_path uwsgi_ssl_ciphers uwsgi_ssl_crl uwsgi_ssl_trusted_certificate uwsgi_string
    """),
    ("mail", "flag"): _names("""
        auth_http_pass_client_cert proxy proxy_pass_error_message proxy_protocol proxy_smtp_auth
        ssl_prefer_server_ciphers ssl_session_tickets xclient
    """),
    ("mail", "msec"): _names("""
        auth_http_timeout proxy_timeout resolver_timeout smtp_greeting_delay timeout
    """),
    ("mail", "num"): _names("""
        max_errors ssl_verify_depth
    """),
    ("mail", "sec"): _names("""
        ssl_session_timeout
    """),
    ("mail", "size"): _names("""
        imap_client_buffer proxy_buffer smtp_client_buffer
    """),
    ("mail", "str"): _names("""
        server_name ssl_ciphers ssl_client_certificate ssl_crl ssl_dhparam ssl_ecdh_curve
        ssl_trusted_certificate
    """),
    ("main", "flag"): _names("""
        daemon master_process pcre_jit
    """),
    ("main", "msec"): _names("""
        timer_resolution worker_shutdown_timeout
    """),
    ("main", "num"): _names("""
        worker_rlimit_nofile
    """),
    ("main", "off"): _names("""
        worker_rlimit_core
    """),
    ("main", "str"): _names("""
        google_perftools_profiles lock_file pid working_directory
    """),
    ("stream", "flag"): _names("""
        limit_conn_dry_run proxy_half_close proxy_next_upstream proxy_protocol
        proxy_socket_keepalive proxy_ssl proxy_ssl_server_name proxy_ssl_session_reuse
        proxy_ssl_verify ssl_prefer_server_ciphers ssl_preread ssl_session_tickets tcp_nodelay
    """),
    ("stream", "msec"): _names("""
        preread_timeout proxy_connect_timeout proxy_next_upstream_timeout proxy_protocol_timeout
        proxy_timeout resolver_timeout ssl_handshake_timeout
    """),
    ("stream", "num"): _names("""
        map_hash_bucket_size map_hash_max_size proxy_next_upstream_tries proxy_requests
        proxy_responses proxy_ssl_verify_depth ssl_verify_depth variables_hash_bucket_size
        variables_hash_max_size
    """),
    ("stream", "sec"): _names("""
        ssl_session_timeout
    """),
    ("stream", "size"): _names("""
        preread_buffer_size proxy_buffer_size proxy_downstream_buffer proxy_upstream_buffer
    """),
    ("stream", "str"): _names("""
        proxy_ssl_ciphers proxy_ssl_crl proxy_ssl_trusted_certificate ssl_ciphers
        ssl_client_certificate ssl_crl ssl_dhparam ssl_ecdh_curve ssl_trusted_certificate
    """),
    ("upstream", "msec"): _names("""
        keepalive_time keepalive_timeout
    """),
    ("upstream", "num"): _names("""
        keepalive_requests
    """),
}

VALUES: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("http", "bitmask"): {
        "dav_methods": ('off', 'put', 'delete', 'mkcol', 'copy', 'move'),
        "fastcgi_cache_methods": ('GET', 'HEAD', 'POST'),
        "fastcgi_cache_use_stale": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_503',
            'http_403', 'http_404', 'http_429', 'updating', 'off'),
        "fastcgi_ignore_headers": (
            'X-Accel-Redirect', 'X-Accel-Expires', 'X-Accel-Limit-Rate', 'X-Accel-Buffering',
            'X-Accel-Charset', 'Expires', 'Cache-Control', 'Set-Cookie', 'Vary'),
        "fastcgi_next_upstream": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_503',
            'http_403', 'http_404', 'http_429', 'updating', 'off'),
        "grpc_ignore_headers": (
            'X-Accel-Redirect', 'X-Accel-Expires', 'X-Accel-Limit-Rate', 'X-Accel-Buffering',
            'X-Accel-Charset', 'Expires', 'Cache-Control', 'Set-Cookie', 'Vary'),
        "grpc_next_upstream": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_502',
            'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'off'),
        "grpc_ssl_protocols": ('SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
        "gzip_proxied": (
            'off', 'expired', 'no-cache', 'no-store', 'private', 'no_last_modified', 'no_etag',
            'auth', 'any'),
        "keepalive_disable": ('none', 'msie6', 'safari'),
        "memcached_next_upstream": ('error', 'timeout', 'invalid_response', 'not_found', 'off'),
        "proxy_cache_methods": ('GET', 'HEAD', 'POST'),
        "proxy_cache_use_stale": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_502',
            'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'updating', 'off'),
        "proxy_ignore_headers": (
            'X-Accel-Redirect', 'X-Accel-Expires', 'X-Accel-Limit-Rate', 'X-Accel-Buffering',
            'X-Accel-Charset', 'Expires', 'Cache-Control', 'Set-Cookie', 'Vary'),
        "proxy_next_upstream": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_502',
            'http_503', 'http_504', 'http_403', 'http_404', 'http_429', 'updating', 'off'),
        "proxy_ssl_protocols": ('SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
        "scgi_cache_methods": ('GET', 'HEAD', 'POST'),
        "scgi_cache_use_stale": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_503',
            'http_403', 'http_404', 'http_429', 'updating', 'off'),
        "scgi_ignore_headers": (
            'X-Accel-Redirect', 'X-Accel-Expires', 'X-Accel-Limit-Rate', 'X-Accel-Buffering',
            'X-Accel-Charset', 'Expires', 'Cache-Control', 'Set-Cookie', 'Vary'),
        "scgi_next_upstream": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_503',
            'http_403', 'http_404', 'http_429', 'updating', 'off'),
        "ssl_protocols": ('SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
        "userid_flags": (
            'off', 'secure', 'httponly', 'samesite=strict', 'samesite=lax', 'samesite=none'),
        "uwsgi_cache_methods": ('GET', 'HEAD', 'POST'),
        "uwsgi_cache_use_stale": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_503',
            'http_403', 'http_404', 'http_429', 'updating', 'off'),
        "uwsgi_ignore_headers": (
            'X-Accel-Redirect', 'X-Accel-Expires', 'X-Accel-Limit-Rate', 'X-Accel-Buffering',
            'X-Accel-Charset', 'Expires', 'Cache-Control', 'Set-Cookie', 'Vary'),
        "uwsgi_next_upstream": (
            'error', 'timeout', 'invalid_header', 'non_idempotent', 'http_500', 'http_503',
            'http_403', 'http_404', 'http_429', 'updating', 'off'),
        "uwsgi_ssl_protocols": ('SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
    },
    ("http", "enum"): {
        "autoindex_format": ('html', 'json', 'jsonp', 'xml'),
        "client_body_in_file_only": ('off', 'on', 'clean'),
        "degrade": ('204', '444'),
        "gzip_http_version": ('1.0', '1.1'),
        "gzip_static": ('off', 'on', 'always'),
        "if_modified_since": ('off', 'exact', 'before'),
        "limit_conn_log_level": ('info', 'notice', 'warn', 'error'),
        "limit_req_log_level": ('info', 'notice', 'warn', 'error'),
        "lingering_close": ('off', 'on', 'always'),
        "proxy_http_version": ('1.0', '1.1'),
        "satisfy": ('all', 'any'),
        "server_tokens": ('off', 'on', 'build'),
        "ssl_ocsp": ('off', 'on', 'leaf'),
        "ssl_verify_client": ('off', 'on', 'optional', 'optional_no_ca'),
        "userid": ('off', 'log', 'v1', 'on'),
    },
    ("mail", "bitmask"): {
        "imap_auth": ('plain', 'login', 'cram-md5', 'external'),
        "pop3_auth": ('plain', 'apop', 'cram-md5', 'external'),
        "smtp_auth": ('plain', 'login', 'cram-md5', 'external', 'none'),
        "ssl_protocols": ('SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
    },
    ("mail", "enum"): {
        "ssl_verify_client": ('off', 'on', 'optional', 'optional_no_ca'),
    },
    ("main", "enum"): {
        "debug_points": ('stop', 'abort'),
    },
    ("stream", "bitmask"): {
        "proxy_ssl_protocols": ('SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
        "ssl_protocols": ('SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
    },
    ("stream", "enum"): {
        "limit_conn_log_level": ('info', 'notice', 'warn', 'error'),
        "ssl_verify_client": ('off', 'on', 'optional', 'optional_no_ca'),
    },
}

HTTP_VARIABLES = _names("""
    ancient_browser arg_ args binary_remote_addr body_bytes_sent bytes_sent connection
    connection_requests connection_time connections_active connections_reading
    connections_waiting connections_writing content_length content_type cookie_ date_gmt
    date_local document_root document_uri fastcgi_path_info fastcgi_script_name geoip_area_code
    geoip_city geoip_city_continent_code geoip_city_country_code geoip_city_country_code3
    geoip_city_country_name geoip_country_code geoip_country_code3 geoip_country_name
    geoip_dma_code geoip_latitude geoip_longitude geoip_org geoip_postal_code geoip_region
    geoip_region_name grpc_internal_trailers host hostname http2 http_ http_cookie http_host
    http_referer http_user_agent http_via http_x_forwarded_for https is_args limit_conn_status
    limit_rate limit_req_status modern_browser msec msie nginx_version pid pipe proxy_add_via
    proxy_add_x_forwarded_for proxy_host proxy_internal_body_length proxy_internal_chunked
    proxy_port proxy_protocol_addr proxy_protocol_port proxy_protocol_server_addr
    proxy_protocol_server_port query_string realip_remote_addr realip_remote_port realpath_root
    remote_addr remote_port remote_user request request_body request_body_file
    request_completion request_filename request_id request_length request_method request_time
    request_uri scheme sent_http_ sent_http_cache_control sent_http_connection
    sent_http_content_length sent_http_content_type sent_http_keep_alive sent_http_last_modified
    sent_http_link sent_http_location sent_http_transfer_encoding sent_trailer_ server_addr
    server_name server_port server_protocol ssl_alpn_protocol ssl_cipher ssl_ciphers
    ssl_client_cert ssl_client_escaped_cert ssl_client_fingerprint ssl_client_i_dn
    ssl_client_i_dn_legacy ssl_client_raw_cert ssl_client_s_dn ssl_client_s_dn_legacy
    ssl_client_serial ssl_client_v_end ssl_client_v_remain ssl_client_v_start ssl_client_verify
    ssl_curve ssl_curves ssl_early_data ssl_protocol ssl_server_name ssl_session_id
    ssl_session_reused status tcpinfo_rcv_space tcpinfo_rtt tcpinfo_rttvar tcpinfo_snd_cwnd
    time_iso8601 time_local upstream_addr upstream_bytes_received upstream_bytes_sent
    upstream_cache_etag upstream_cache_last_modified upstream_cache_status upstream_connect_time
    upstream_cookie_ upstream_header_time upstream_http_ upstream_response_length
    upstream_response_time upstream_status upstream_trailer_ uri
""")

MODULE_VARIABLES = _names("""
    gzip_ratio invalid_referer secure_link secure_link_expires slice_range uid_got uid_reset uid_set
""")
