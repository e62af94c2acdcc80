"""What each Apache directive can do to the status of a request (data).

Same format as nginx_classes.py: `NAME CLASS [except=V,...] [-- reason]`,
`*module` (without `_module`) for every directive of a module that has no
line of its own; names are case-insensitive, sections written `<Name`.
The directives and their modules are confcheck's Apache directive table
(parsers/apache_directives.py, from httpd 2.4's command tables). Judged from
httpd 2.4's sources (modules/**/*.c).
"""

# Compiled into Debian's /usr/sbin/apache2 (`apache2 -l`).
BUILT_IN = frozenset({"core", "so", "watchdog", "http", "log_config", "logio", "version", "unixd"})
# Modules of the directive table that Debian 12's apache2 packages do not ship in mods-available.
NOT_PACKAGED = {
    "allowhandlers": "not packaged", "apreq": "libapache2-mod-apreq2", "auth_bearer": "not in 2.4.x",
    "autht_core": "not in 2.4.x", "autht_jwt": "not in 2.4.x", "crypto": "not in 2.4.x",
    "dumpio": "mods-available/dump_io.load", "evasive20": "libapache2-mod-evasive",
    "firehose": "not packaged", "mpm_simple": "not packaged",
    "noloris": "not packaged", "php": "libapache2-mod-php", "security2": "libapache2-mod-security2",
    "serf": "not packaged", "ssl_ct": "not packaged",
}

CLASSES = """\
*core no-effect -- server settings, logging, limits, headers of the answer
<Directory modelled -- the directory walk, shortest first, with .htaccess after each
<DirectoryMatch modelled
<Files modelled
<FilesMatch modelled
<Location modelled
<LocationMatch modelled
<If modelled -- ap_expr conditions the model can evaluate
<ElseIf modelled
<Else modelled
<IfDefine modelled -- settled while reading the configuration
<IfDirective modelled -- settled while reading the configuration
<IfFile modelled -- settled while reading the configuration
<IfModule modelled -- settled with the loaded modules
<IfSection modelled -- settled while reading the configuration
<Limit modelled -- per-method Require and access rules
<LimitExcept modelled -- per-method Require and access rules
<VirtualHost modelled -- virtual host selection
AcceptPathInfo modelled
AccessFileName modelled -- the name of the per-directory files
AllowEncodedSlashes modelled
AllowOverride modelled
AllowOverrideList modelled
Define modelled
UnDefine modelled
DocumentRoot modelled
Include modelled
IncludeOptional modelled
LimitInternalRecursion modelled
Options modelled -- Indexes, FollowSymLinks, SymLinksIfOwnerMatch, MultiViews, ExecCGI
ServerAlias modelled
ServerName modelled
SetHandler modelled -- a handler other than the default answers with its own status (null)
TraceEnable modelled
ErrorDocument modelled -- a URL turns the error into a 302 to it; a local page or a message keeps the status (even when the page fails)
Error unknown -- stops httpd while it reads the configuration
MergeSlashes unknown except=on -- off keeps repeated slashes in the URI; the model merges them as the default does
StrictHostCheck unknown except=off -- on answers 400 to a Host no virtual host names
RegisterHttpMethod unknown -- a registered method is answered otherwise than an unknown one (501)
ServerPath unknown -- legacy name-based virtual hosts by URL path
HttpProtocolOptions no-effect -- Strict refuses malformed requests (400); `why` sends well-formed ones
LimitRequestBody no-effect -- answers 413 only to a body over the limit; `why` requests carry no body
LimitRequestFields no-effect -- answers 400 only to a request with more header fields
LimitRequestFieldsize no-effect -- answers 400 only to a header field over the limit
LimitRequestLine no-effect -- answers 414 only to a request line over the limit
LimitXMLRequestBody no-effect -- limits XML bodies of WebDAV requests
MaxRanges no-effect -- Range requests (206) are outside the model whatever this says
ForceType no-effect -- the Content-Type of the answer
DefaultType no-effect -- obsolete; only a warning
SetInputFilter no-effect -- filters of the body
SetOutputFilter no-effect -- filters of the body
QualifyRedirectURL no-effect -- the form of the Location header
UseCanonicalName no-effect -- the form of self-referential URLs (the status of mod_dir's redirect stays 301)
HostnameLookups modelled -- On/Double makes Remote_Host (SetEnvIf) and %{REMOTE_HOST} a reverse DNS lookup: null where one decides

*so modelled -- LoadModule: which modules exist
*unixd no-effect -- process settings
User modelled -- the worker's identity: every filesystem check is made as this user
Group modelled -- the worker's group
*watchdog no-effect -- background tasks
*http no-effect -- keep-alive
*log_config no-effect -- access logging
*logio no-effect -- logging
*version modelled -- <IfVersion> settled while reading the configuration
*mpm_event no-effect -- process and listener settings
Listen no-effect -- the addresses httpd listens on; the request's address:port selects the virtual host
*mpm_prefork no-effect -- process settings
*mpm_simple no-effect -- process settings

*access_compat modelled -- Order/Allow/Deny/Satisfy and how they combine with Require
*authz_core modelled -- Require and its containers, AuthMerging
<AuthzProviderAlias unknown -- a provider defined by alias: its checks are not modelled
*authn_core modelled -- AuthType
<AuthnProviderAlias unknown -- a provider defined by alias: its checks are not modelled
*auth_basic modelled -- Basic authentication against the file providers
AuthBasicFake no-effect -- the Authorization header passed on
AuthBasicUseDigestAlgorithm unknown -- checks Basic credentials against a Digest provider
AuthBasicAuthoritative unknown except=on -- off passes a failure on to other (third-party) modules
*authn_file modelled -- AuthUserFile
*authz_groupfile modelled -- AuthGroupFile and Require group
*auth_digest unknown -- Digest authentication (401 with a nonce, checks the model does not make)
AuthName modelled -- the realm of AuthType Basic
*auth_form unknown -- form login: redirects and 401/403 from a session the model cannot see
*authn_anon unknown -- anonymous logins checked against e-mail rules
*authn_dbd unknown -- credentials from an SQL database
*authn_dbm unknown -- credentials from a DBM file
*authn_socache no-effect -- caches credentials of other providers
*authnz_fcgi unknown -- authentication and authorization by a FastCGI program
*authnz_ldap unknown -- credentials and groups from LDAP
*authz_dbd unknown -- authorization from an SQL database
*authz_dbm no-effect -- the DBM group file read by Require dbm-group/dbm-file-group: those Require lines answer null (named) once a user is known
*auth_bearer unknown -- bearer tokens (not in 2.4.x)
*autht_core unknown -- token providers (not in 2.4.x)
*autht_jwt unknown -- JWT tokens (not in 2.4.x)
*allowhandlers unknown -- refuses handlers with 403 (not packaged)
*allowmethods unknown except=reset -- AllowMethods answers 405 to the methods it does not list
*actions unknown -- hands the request to a CGI script (its own status)
*alias modelled -- Alias, ScriptAlias, Redirect and their Match forms
AliasPreservePath unknown except=off -- on keeps the rest of the URL path under an Alias in <Location>
RedirectRelative no-effect -- the form of the Location header
*autoindex no-effect -- the listing's look and contents
IndexForbiddenReturn404 unknown except=off -- on answers 404 instead of 403 for a directory it may not list
*brotli no-effect -- compresses the body
*buffer no-effect -- buffers the body
*cache no-effect -- cache settings: the answer of a fresh request is the origin's
CacheEnable unknown -- answers from the cache before any <Directory> check (CacheQuickHandler on)
*cache_disk no-effect -- cache storage
*cache_socache no-effect -- cache storage
*cern_meta no-effect -- extra headers from meta files
*cgi no-effect -- CGI logging and timeouts
*cgid no-effect -- CGI daemon socket and timeouts
*charset_lite no-effect -- charset translation of the body
*crypto no-effect -- encrypts the body (not in 2.4.x)
*dav no-effect -- WebDAV settings
DAV unknown except=off -- WebDAV methods (PUT, DELETE, MKCOL, PROPFIND ...) are answered by mod_dav (201, 204, 207, 405 ...)
*dav_fs no-effect -- WebDAV lock database
*dav_lock no-effect -- WebDAV lock database
*dbd no-effect -- SQL connections
*deflate no-effect -- compresses the body
DeflateInflateLimitRequestBody no-effect -- limits an inflated request body (413 over the limit)
*dir modelled -- DirectoryIndex, DirectorySlash, FallbackResource
DirectoryCheckHandler unknown except=off -- on makes mod_dir act under a handler other than the default
DirectoryIndexRedirect unknown except=off -- answers a directory with a redirect to its index file
*dumpio no-effect -- debug logging
*echo no-effect -- a protocol for another port
*env no-effect -- environment variables for CGI, SSI and logs, set after the access checks
*expires no-effect -- headers of the answer
*ext_filter no-effect -- filters the body through a program
*file_cache no-effect -- caches open files
*filter no-effect -- filters the body
*firehose no-effect -- debug logging
*headers no-effect -- headers of the answer; RequestHeader runs after the access checks
*heartbeat no-effect -- heartbeat of a load balancer
*heartmonitor no-effect -- heartbeat of a load balancer
*http2 no-effect -- HTTP/2 framing
H2Push no-effect -- pushes; the status of the request stays
*ident no-effect -- RFC 1413 lookups for logs
*imagemap no-effect -- settings of the imap-file handler (a handler: null)
*include no-effect -- SSI settings: errors are written into the body, the status stays
XBitHack unknown except=off -- executable files become server-parsed (a handler other than the default)
*info no-effect -- text for the server-info handler
*ldap no-effect -- LDAP connections
*log_debug no-effect -- logging
*log_forensic no-effect -- logging
*lua unknown -- a Lua hook or handler answers with whatever status it returns
LuaRoot no-effect -- where Lua scripts live
LuaScope no-effect -- the life of Lua states
LuaCodeCache no-effect -- script caching
LuaPackagePath no-effect -- the Lua search path
LuaPackageCPath no-effect -- the Lua search path
LuaInherit no-effect -- how Lua hooks merge
*macro no-effect -- a macro definition changes nothing by itself
Use unknown -- the macro's directives are not expanded by the model
*md no-effect -- certificates from an ACME CA
MDRequireHttps unknown except=off -- redirects http: requests to https: (301) or refuses them
*mime no-effect -- types, languages, charsets and encodings of the answer
AddHandler modelled -- a handler other than the default answers with its own status (null)
TypesConfig modelled -- the extensions MultiViews may negotiate
AddType modelled -- an extension MultiViews may negotiate (server scope)
AddLanguage modelled -- an extension MultiViews may negotiate (server scope)
AddEncoding modelled -- an extension MultiViews may negotiate (server scope)
AddCharset modelled -- an extension MultiViews may negotiate (server scope)
RemoveHandler unknown -- removes a handler the model may have seen
MultiviewsMatch unknown -- which files MultiViews may choose (the model knows the default)
*mime_magic no-effect -- types guessed from contents
*negotiation no-effect -- preferences among the variants MultiViews finds (several variants: the model answers null)
ForceLanguagePriority modelled -- Fallback may serve the variant an Accept header refuses (the model answers null there)
*noloris no-effect -- connection limits (not packaged)
*php no-effect -- PHP settings; PHP's answer is null anyway
*proxy no-effect -- how mod_proxy talks to the backend: the backend's answer is null anyway
<Proxy modelled -- access to a proxied URL (instead of <Directory> and <Files>)
<ProxyMatch modelled -- access to a proxied URL (instead of <Directory> and <Files>)
ProxyPass modelled -- hands the URL to the backend before any <Directory> check: <Proxy> and <Location> decide access, then the status is the backend's (null); the one-argument form inside <Location> is unknown
ProxyPassMatch modelled -- as ProxyPass, by regular expression
ProxyRequests unknown except=off -- forward-proxies absolute-URI requests
ProxyBlock unknown -- refuses proxy requests to listed hosts (403)
ProxyRemote no-effect -- the next proxy of a forward proxy
ProxyRemoteMatch no-effect -- the next proxy of a forward proxy
*proxy_connect no-effect -- ports CONNECT may reach
*proxy_express unknown -- maps host names to backends from a DBM file
*proxy_fcgi no-effect -- the FastCGI backend's answer is null anyway
*proxy_ftp no-effect -- FTP backends
*proxy_hcheck no-effect -- backend health checks
*proxy_html no-effect -- rewrites links in the body
*proxy_scgi no-effect -- the SCGI backend's answer is null anyway
*proxy_wstunnel no-effect -- websocket backends
*reflector no-effect -- the reflector handler (a handler: null)
*remoteip modelled -- the client address Require ip/local, Allow from and %{REMOTE_ADDR} see, from the header right to left through the trusted proxies
RemoteIPProxyProtocol unknown except=off -- the client address comes from the PROXY protocol
RemoteIPProxyProtocolExceptions no-effect -- only with RemoteIPProxyProtocol
*reqtimeout no-effect -- 408 to clients that send too slowly
*request no-effect -- kept request bodies
*rewrite modelled -- mod_rewrite in server and directory context
RewriteMap unknown -- a ${map:key} lookup the model does not evaluate
*security2 no-effect -- rules and settings of ModSecurity; they act only where SecRuleEngine is On
SecRuleEngine unknown except=off,detectiononly -- ModSecurity's rules (the Core Rule Set) answer 403, or any status, from the request's contents
*sed no-effect -- rewrites the body
*serf no-effect -- backends (not packaged)
*session no-effect -- session cookies; only auth_form refuses on them
*session_cookie no-effect -- session cookies
*session_crypto no-effect -- session encryption
*session_dbd no-effect -- sessions in SQL
*setenvif modelled -- environment variables for Allow from env= and Require env
*socache_memcache no-effect -- cache storage
*socache_redis no-effect -- cache storage
*speling unknown -- a missing file is answered 300/301 with a near match instead of 404
CheckSpelling unknown except=off -- a missing file is answered 300/301 with a near match instead of 404
CheckCaseOnly unknown except=off -- a missing file is answered 301 with a case-insensitive match instead of 404
CheckBasenameMatch no-effect -- only with CheckSpelling
*ssl no-effect -- TLS of the connection
SSLRequire unknown -- an expression on the connection and certificate refuses with 403
SSLRequireSSL unknown -- a plain-http request is refused with 403
SSLVerifyClient unknown except=none,optional_no_ca -- require answers 403 to a request without a valid client certificate
SSLOptions no-effect -- environment variables and exported certificates; +StrictRequire matters only with SSLRequire/SSLRequireSSL, unknown themselves
SSLRenegBufferSize no-effect -- 413 only for a body over the buffer during renegotiation
*ssl_ct no-effect -- certificate transparency (not packaged)
*substitute no-effect -- rewrites the body
*suexec no-effect -- the user a CGI program runs as (its answer is null anyway)
*userdir modelled -- /~user/ URLs
*usertrack no-effect -- a tracking cookie
*vhost_alias unknown -- the document root comes from the host name
*xml2enc no-effect -- charset of the body
*apreq no-effect -- request body parsing limits
*evasive20 no-effect -- mod_evasive's notifications and hash table
DOSPageCount modelled -- a single request is not limited: `why` names the limit and the status it answers under load (DOSHTTPResponseCode, 403 unless set)
DOSPageInterval modelled -- the page limit's interval
DOSSiteCount modelled -- a single request is not limited: `why` names the limit and the status it answers under load
DOSSiteInterval modelled -- the site limit's interval
DOSBlockingPeriod modelled -- how long a client stays refused once a limit was passed
DOSHTTPResponseCode modelled -- the status of a refused request under load (403 unless set)
DOSWhitelist modelled -- clients the limits never refuse
"""
