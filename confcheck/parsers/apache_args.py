"""How many arguments each Apache directive takes, and its help text (httpd's wording).

Facts from the command tables of httpd 2.4 (the `AP_INIT_<HOW>("Name", fn,
data, where, "help")` entries of server/ and modules/, the SSL_CMD_* table of
mod_ssl); config.c's invoke_cmd turns a wrong count into "<Name> takes one
argument, <help>" and the like. `G` marks directives whose handler calls
ap_check_cmd_context(cmd, GLOBAL_ONLY): outside the main server they are
refused with "<Name> cannot occur within <VirtualHost> section".
Columns: canonical name, args_how, G or -, help (may be empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class ArgRule:
    name: str        # canonical spelling (what httpd prints)
    how: str         # TAKE1, TAKE12, FLAG, RAW_ARGS ...
    global_only: bool
    help: str


_TABLE = """\
<AuthnProviderAlias	RAW_ARGS	G	container for grouping an authentication provider's directives under a provider alias
<AuthzProviderAlias	RAW_ARGS	G	container for grouping an authorization provider's directives under a provider alias
<Directory	RAW_ARGS	-	Container for directives affecting resources located in the specified directories
<DirectoryMatch	RAW_ARGS	-	Container for directives affecting resources located in the specified directories
<Else	RAW_ARGS	-	Container for directives to be conditionally applied
<ElseIf	RAW_ARGS	-	Container for directives to be conditionally applied
<Files	RAW_ARGS	-	Container for directives affecting files matching specified patterns
<FilesMatch	RAW_ARGS	-	Container for directives affecting files matching specified patterns
<If	RAW_ARGS	-	Container for directives to be conditionally applied
<IfDefine	RAW_ARGS	-	Container for directives based on existence of command line defines
<IfDirective	RAW_ARGS	-	Container for directives based on existence of named directive
<IfFile	RAW_ARGS	-	Container for directives based on existence of files on disk
<IfModule	RAW_ARGS	-	Container for directives based on existence of specified modules
<IfSection	RAW_ARGS	-	Container for directives based on existence of named section
<IfVersion	TAKE123	-	a comparison operator, a version (and a delimiter)
<Limit	RAW_ARGS	-	Container for authentication directives when accessed using specified HTTP methods
<LimitExcept	RAW_ARGS	-	Container for authentication directives to be applied when any HTTP method other than those specified is used to access the resource
<Location	RAW_ARGS	-	Container for directives affecting resources accessed through the specified URL paths
<LocationMatch	RAW_ARGS	-	Container for directives affecting resources accessed through the specified URL paths
<LuaHookAccessChecker	RAW_ARGS	-	Provide a hook for the access_checker phase of request processing
<LuaHookAuthChecker	RAW_ARGS	-	Provide a hook for the auth_checker phase of request processing
<LuaHookCheckUserID	RAW_ARGS	-	Provide a hook for the check_user_id phase of request processing
<LuaHookFixups	RAW_ARGS	-	Provide a inline hook for the fixups phase of request processing
<LuaHookMapToStorage	RAW_ARGS	-	Provide a hook for the map_to_storage phase of request processing
<LuaHookPreTranslateName	RAW_ARGS	-	Provide a hook for the pre_translate name phase of request processing
<LuaHookTranslateName	RAW_ARGS	-	Provide a hook for the translate name phase of request processing
<LuaHookTypeChecker	RAW_ARGS	-	Provide a hook for the type_checker phase of request processing
<LuaQuickHandler	RAW_ARGS	-	Provide a hook for the quick handler of request processing
<Proxy	RAW_ARGS	-	Container for directives affecting resources located in the proxied location
<ProxyMatch	RAW_ARGS	-	Container for directives affecting resources located in the proxied location, in regular expression syntax
<RequireAll	RAW_ARGS	-	container for grouping authorization directives of which none must fail and at least one must pass for a request to succeed
<RequireAny	RAW_ARGS	-	container for grouping authorization directives of which one must pass for a request to succeed
<RequireNone	RAW_ARGS	-	container for grouping authorization directives of which none must pass for a request to succeed
<RequireNotAll	RAW_ARGS	-	container for grouping authorization directives of which some must fail or none must pass for a request to succeed
<VirtualHost	RAW_ARGS	G	Container to map directives to a particular virtual host, takes one or more host addresses
AcceptFilter	TAKE2	G	Set the Accept Filter to use for a protocol
AcceptPathInfo	TAKE1	-	Set to on or off for PATH_INFO to be accepted by handlers, or default for the per-handler preference
AccessFileName	RAW_ARGS	-	Name(s) of per-directory config files (default: .htaccess)
Action	TAKE23	-	a media type followed by a script name
AddAlt	ITERATE2	-	alternate descriptive text followed by one or more filenames
AddAltByEncoding	ITERATE2	-	alternate descriptive text followed by one or more content encodings
AddAltByType	ITERATE2	-	alternate descriptive text followed by one or more MIME types
AddCharset	ITERATE2	-	a charset (e.g., iso-2022-jp), followed by one or more file extensions
AddDefaultCharset	TAKE1	-	The name of the default charset to add to any Content-Type without one or 'Off' to disable
AddDescription	ITERATE2	-	Descriptive text followed by one or more filenames
AddEncoding	ITERATE2	-	an encoding (e.g., gzip), followed by one or more file extensions
AddHandler	ITERATE2	-	a handler name followed by one or more file extensions
AddIcon	ITERATE2	-	an icon URL followed by one or more filenames
AddIconByEncoding	ITERATE2	-	an icon URL followed by one or more content encodings
AddIconByType	ITERATE2	-	an icon URL followed by one or more MIME types
AddInputFilter	ITERATE2	-	input filter name (or ; delimited names) followed by one or more file extensions
AddLanguage	ITERATE2	-	a language (e.g., fr), followed by one or more file extensions
AddModuleInfo	TAKE2	-	a module name and additional information on that module
AddOutputFilter	ITERATE2	-	output filter name (or ; delimited names) followed by one or more file extensions
AddOutputFilterByType	TAKE_ARGV	-	output filter name followed by one or more content-types
AddType	ITERATE2	-	a mime type followed by one or more file extensions
Alias	TAKE12	-	a fakename and a realname, or a realname in a Location
AliasMatch	TAKE2	-	a regular expression and a filename
AliasPreservePath	FLAG	-	Set to ON to map the full path after the fakename to the realname.
allow	ITERATE2	-	'from' followed by hostnames or IP-address wildcards
AllowCONNECT	ITERATE	-	A list of ports or port ranges which CONNECT may connect to
AllowEncodedSlashes	TAKE1	-	Allow URLs containing '/' encoded as '%2F'
AllowMethods	TAKE_ARGV	-	only allow specific methods
AllowOverride	RAW_ARGS	-	Controls what groups of directives can be configured by per-directory config files
AllowOverrideList	TAKE_ARGV	-	Controls what individual directives can be configured by per-directory config files
Anonymous	ITERATE	-	a space-separated list of user IDs
Anonymous_LogEmail	FLAG	-	Limited to 'on' or 'off'
Anonymous_MustGiveEmail	FLAG	-	Limited to 'on' or 'off'
Anonymous_NoUserId	FLAG	-	Limited to 'on' or 'off'
Anonymous_VerifyEmail	FLAG	-	Limited to 'on' or 'off'
AsyncRequestWorkerFactor	TAKE1	G	How many additional connects will be accepted per idle worker thread
AuthBasicAuthoritative	FLAG	-	Set to 'Off' to allow access control to be passed along to lower modules if the UserID is not known to this module
AuthBasicFake	TAKE12	-	Fake basic authentication using the given expressions for username and password, 'off' to disable. Password defaults to 'password' if missing.
AuthBasicProvider	ITERATE	-	specify the auth providers for a directory or location
AuthBasicUseDigestAlgorithm	TAKE1	-	Set to 'MD5' to use the auth provider's authentication check for digest auth, using a hash of 'user:realm:pass'
AuthDBDUserPWQuery	TAKE1	-	Query used to fetch password for user
AuthDBDUserRealmQuery	TAKE1	-	Query used to fetch password for user+realm
AuthDBMGroupFile	TAKE1	-	database file containing group names and member user IDs
AuthDBMType	TAKE1	-	what type of DBM file the user file is
AuthDBMUserFile	TAKE1	-	dbm database file containing user IDs and passwords
AuthDigestAlgorithm	TAKE1	-	The algorithm used for the hash calculation
AuthDigestDomain	ITERATE	-	A list of URI's which belong to the same protection space as the current URI
AuthDigestNcCheck	FLAG	-	Whether or not to check the nonce-count sent by the client
AuthDigestNonceFormat	TAKE1	-	The format to use when generating the server nonce
AuthDigestNonceLifetime	TAKE1	-	Maximum lifetime of the server nonce (seconds)
AuthDigestProvider	ITERATE	-	specify the auth providers for a directory or location
AuthDigestQop	ITERATE	-	A list of quality-of-protection options
AuthDigestShmemSize	TAKE1	-	The amount of shared memory to allocate for keeping track of clients
AuthFormAuthoritative	FLAG	-	Set to 'Off' to allow access control to be passed along to lower modules if the UserID is not known to this module
AuthFormBody	TAKE1	-	The field of the login form carrying the urlencoded original request body.
AuthFormDisableNoStore	FLAG	-	Set to 'on' to stop the sending of a Cache-Control no-store header with the login screen. This allows the browser to cache the credentials, but at the risk of it being possible for the login form to be resubmitted and revealed to the backend server through XSS. Use at own risk.
AuthFormFakeBasicAuth	FLAG	-	Set to 'On' to pass through authentication to the rest of the server as a basic authentication header.
AuthFormLocation	TAKE1	-	The field of the login form carrying the URL to redirect on successful login.
AuthFormLoginRequiredLocation	TAKE1	-	If set, redirect the browser to this URL rather than return 401 Not Authorized.
AuthFormLoginSuccessLocation	TAKE1	-	If set, redirect the browser to this URL when a login processed by the login handler is successful.
AuthFormLogoutLocation	TAKE1	-	The URL of the logout successful page. An attempt to access an URL handled by the handler  will result in an redirect to this page after logout.
AuthFormMethod	TAKE1	-	The field of the login form carrying the original request method.
AuthFormMimetype	TAKE1	-	The field of the login form carrying the original request mimetype.
AuthFormPassword	TAKE1	-	The field of the login form carrying the password
AuthFormProvider	ITERATE	-	specify the auth providers for a directory or location
AuthFormSitePassphrase	TAKE1	-	If set, use this passphrase to determine whether the user should be authenticated. Bypasses the user authentication check on every website hit, and is useful for high traffic sites.
AuthFormSize	TAKE1	-	Maximum size of body parsed by the form parser
AuthFormUsername	TAKE1	-	The field of the login form carrying the username
AuthGroupFile	TAKE1	-	text file containing group names and member user IDs
AuthLDAPAuthorizePrefix	TAKE1	-	The prefix to add to environment variables set during successful authorization, default ''
AuthLDAPBindAuthoritative	FLAG	-	Set to 'on' to return failures when user-specific bind fails - defaults to on.
AuthLDAPBindDN	TAKE1	-	DN to use to bind to LDAP server. If not provided, will do an anonymous bind.
AuthLDAPBindPassword	TAKE1	-	Password to use to bind to LDAP server. If not provided, will do an anonymous bind.
AuthLDAPCharsetConfig	TAKE1	-	Character set conversion configuration file. If omitted, character set conversion is disabled.
AuthLDAPCompareAsUser	FLAG	-	Set to 'on' to perform authorization-based compares with the users credentials, when this module has also performed authentication.  Does not affect nested groups lookups.
AuthLDAPCompareDNOnServer	FLAG	-	Set to 'on' to force auth_ldap to do DN compares (for the "require dn" directive) using the server, and set it 'off' to do the compares locally (at the expense of possible false matches). See the documentation for a complete description of this option.
AuthLDAPDereferenceAliases	TAKE1	-	Determines how aliases are handled during a search. Can be one of the values "never", "searching", "finding", or "always". Defaults to always.
AuthLDAPGroupAttribute	ITERATE	-	A list of attribute labels used to identify the user members of groups - defaults to member and uniquemember
AuthLDAPGroupAttributeIsDN	FLAG	-	If set to 'on', auth_ldap uses the DN that is retrieved from the server for subsequent group comparisons. If set to 'off', auth_ldap uses the string provided by the client directly. Defaults to 'on'.
AuthLDAPInitialBindAsUser	FLAG	-	Set to 'on' to perform the initial DN lookup with the basic auth credentials instead of anonymous or hard-coded credentials
AuthLDAPInitialBindPattern	TAKE2	-	The regex and substitution to determine a username that can bind based on an HTTP basic auth username
AuthLDAPMaxSubGroupDepth	TAKE1	-	Maximum subgroup nesting depth to be evaluated - defaults to 10 (top-level group = 0)
AuthLDAPRemoteUserAttribute	TAKE1	-	Override the user supplied username and place the contents of this attribute in the REMOTE_USER environment variable.
AuthLDAPRemoteUserIsDN	FLAG	-	Set to 'on' to set the REMOTE_USER environment variable to be the full DN of the remote user. By default, this is set to off, meaning that the REMOTE_USER variable will contain whatever value the remote user sent.
AuthLDAPSearchAsUser	FLAG	-	Set to 'on' to perform authorization-based searches with the users credentials, when this module has also performed authentication.  Does not affect nested groups lookup.
AuthLDAPSubGroupAttribute	ITERATE	-	Attribute labels used to define sub-group (or nested group) membership in groups - defaults to member and uniqueMember
AuthLDAPSubGroupClass	ITERATE	-	LDAP objectClass values used to identify sub-group instances - defaults to groupOfNames and groupOfUniqueNames
AuthMerging	TAKE1	-	controls how a <Directory>, <Location>, or similar directive's authorization directives are combined with those of its predecessor
AuthName	TAKE1	-	The authentication realm (e.g. "Members Only")
AuthnCacheContext	TAKE1	-	Context for authn cache
AuthnCacheEnable	NO_ARGS	G	enable socache configuration in htaccess even if not enabled anywhere else
AuthnCacheProvideFor	ITERATE	-	Determine what authn providers to cache for
AuthnCacheSOCache	TAKE1	G	socache provider for authn cache
AuthnCacheTimeout	TAKE1	-	Timeout (secs) for cached credentials
AuthnzFcgiCheckAuthnProvider	TAKE_ARGV	-	Enable/disable a FastCGI authorizer to handle check_authn phase
AuthnzFcgiDefineProvider	TAKE_ARGV	G	Define a FastCGI authn and/or authz provider
AuthType	TAKE1	-	an HTTP authorization type (e.g., "Basic")
AuthUserFile	TAKE1	-	text file containing user IDs and passwords
AuthzDBDLoginToReferer	FLAG	-	Whether to redirect to referer on successful login
AuthzDBDQuery	TAKE1	-	SQL query for DBD Authz or login
AuthzDBDRedirectQuery	TAKE1	-	SQL query to get per-user redirect URL after login
AuthzDBMType	TAKE1	-	what type of DBM file the group file is
AuthzSendForbiddenOnFailure	FLAG	-	Controls if an authorization failure should result in a '403 FORBIDDEN' response instead of the HTTP-conforming '401 UNAUTHORIZED'
BalancerGrowth	TAKE1	-	Number of additional Balancers that can be added post-config
BalancerInherit	FLAG	-	on if this server should inherit Balancers and Workers defined in the main server (Setting to off recommended if using the Balancer Manager)
BalancerMember	RAW_ARGS	-	A balancer name and scheme with list of params
BalancerPersist	FLAG	-	on if the balancer should persist changes on reboot/restart made via the Balancer Manager
BrotliAlterETag	TAKE1	-	Set how mod_brotli should modify ETag response headers: 'AddSuffix' (default), 'NoChange', 'Remove'
BrotliCompressionMaxInputBlock	TAKE1	-	Maximum input block size between 16 and 24 (larger block sizes require more memory)
BrotliCompressionQuality	TAKE1	-	Compression quality between 0 and 11 (higher quality means slower compression)
BrotliCompressionWindow	TAKE1	-	Sliding window size between 10 and 24 (larger windows can improve compression, but require more memory)
BrotliFilterNote	TAKE12	-	Set a note to report on compression ratio
BrowserMatch	RAW_ARGS	-	A browser regex and a list of variables.
BrowserMatchNoCase	RAW_ARGS	-	A browser regex and a list of variables.
BufferedLogs	FLAG	-	Enable Buffered Logging (experimental)
BufferSize	TAKE1	-	Maximum size of the buffer used by the buffer filter
CacheDefaultExpire	TAKE1	-	The default time in seconds to cache a document
CacheDetailHeader	FLAG	-	Add a X-Cache-Detail header to responses. Default is off.
CacheDirLength	TAKE1	-	The number of characters in subdirectory names
CacheDirLevels	TAKE1	-	The number of levels of subdirectories in the cache
CacheDisable	TAKE1	-	A partial URL prefix below which caching is disabled
CacheEnable	TAKE12	-	A cache type and partial URL prefix below which caching is enabled
cachefile	ITERATE	-	A space separated list of files to add to the file handle cache at config time
CacheHeader	FLAG	-	Add a X-Cache header to responses. Default is off.
CacheIgnoreCacheControl	FLAG	-	Ignore requests from the client for uncached content
CacheIgnoreHeaders	ITERATE	-	A space separated list of headers that should not be stored by the cache
CacheIgnoreNoLastMod	FLAG	-	Ignore Responses where there is no Last Modified Header
CacheIgnoreQueryString	FLAG	-	Ignore query-string when caching
CacheIgnoreURLSessionIdentifiers	ITERATE	-	A space separated list of session identifiers that should be ignored for creating the key of the cached entity.
CacheKeyBaseURL	TAKE1	-	Override the base URL of reverse proxied cache keys.
CacheLastModifiedFactor	TAKE1	-	The factor used to estimate Expires date from LastModified date
CacheLock	FLAG	-	Enable or disable the thundering herd lock.
CacheLockMaxAge	TAKE1	-	Maximum age of any thundering herd lock.
CacheLockPath	TAKE1	-	The thundering herd lock path. Defaults to the '' directory in the system temp directory.
CacheMaxExpire	TAKE1	-	The maximum time in seconds to cache a document
CacheMaxFileSize	TAKE1	-	The maximum file size to cache a document
CacheMinExpire	TAKE1	-	The minimum time in seconds to cache a document
CacheMinFileSize	TAKE1	-	The minimum file size to cache a document
CacheNegotiatedDocs	FLAG	-	Either 'on' or 'off' (default)
CacheQuickHandler	FLAG	-	Run the cache in the quick handler, default on
CacheReadSize	TAKE1	-	The maximum quantity of data to attempt to read and cache in one go
CacheReadTime	TAKE1	-	The maximum time taken to attempt to read and cache in go
CacheRoot	TAKE1	-	The directory to store cache files
CacheSocache	TAKE1	-	The shared object cache to store cache files
CacheSocacheMaxSize	TAKE1	-	The maximum cache entry size (headers and body) to cache a document
CacheSocacheMaxTime	TAKE1	-	The maximum cache expiry age to cache a document in seconds
CacheSocacheMinTime	TAKE1	-	The minimum cache expiry age to cache a document in seconds
CacheSocacheReadSize	TAKE1	-	The maximum quantity of data to attempt to read and cache in one go
CacheSocacheReadTime	TAKE1	-	The maximum time taken to attempt to read and cache in go
CacheStaleOnError	FLAG	-	Serve stale content on 5xx errors if present. Defaults to on.
CacheStoreExpired	FLAG	-	Ignore expiration dates when populating cache, resulting in an If-Modified-Since request to the backend on retrieval
CacheStoreNoStore	FLAG	-	Ignore 'Cache-Control: no-store' and store sensitive content
CacheStorePrivate	FLAG	-	Ignore 'Cache-Control: private' and store private content
CaseFilter	FLAG	-	Run a case filter on this host
CaseFilterIn	FLAG	-	Run an input case filter on this host
CGIDScriptTimeout	TAKE1	-	The amount of time to wait between successful reads from the CGI script, in seconds.
CGIMapExtension	TAKE23	-	Full path to the CGI NLM module followed by a file extension. If the first parameter is set to "OS" then the following file extension is treated as NLM. The optional parameter "detach" can be specified if the NLM should be launched in its own address space.
CGIPassAuth	FLAG	-	Controls whether HTTP authorization headers, normally hidden, will be passed to scripts
CGIScriptTimeout	TAKE1	-	The amount of time to wait between successful reads from the CGI script, in seconds.
CGIVar	TAKE2	-	Controls how some CGI variables are set
CharsetDefault	TAKE1	-	name of default charset
CharsetOptions	ITERATE	-	valid options: ImplicitAdd, NoImplicitAdd, TranslateAllMimeTypes, NoTranslateAllMimeTypes
CharsetSourceEnc	TAKE1	-	source (html,cgi,ssi) file charset
CheckBasenameMatch	FLAG	-	whether or not to fix files with the same base name
CheckCaseOnly	FLAG	-	whether or not to fix only miscapitalized requests
CheckSpelling	FLAG	-	whether or not to fix miscapitalized/misspelled requests
ChrootDir	TAKE1	G	The directory to chroot(2) into
ContentDigest	FLAG	-	whether or not to send a Content-MD5 header with each request
CookieDomain	TAKE1	-	domain to which this cookie applies
CookieExpires	TAKE1	-	an expiry date code
CookieHttpOnly	FLAG	-	is cookie http only
CookieName	TAKE1	-	name of the tracking cookie
CookieSameSite	TAKE1	-	SameSite setting
CookieSecure	FLAG	-	is cookie secure
CookieStyle	TAKE1	-	'Netscape', 'Cookie' (RFC2109), or 'Cookie2' (RFC2965)
CookieTracking	FLAG	-	whether or not to enable cookies
CoreDumpDirectory	TAKE1	G	The location of the directory Apache changes to before dumping core
CustomLog	TAKE23	-	a file name, a custom log format string or format name, and an optional "env=" or "expr=" clause (see docs)
DAV	TAKE1	-	specify the DAV provider for a directory or location
DAVBasePath	TAKE1	-	specify the DAV repository base URL
DAVDepthInfinity	FLAG	-	allow Depth infinity PROPFIND requests
DAVGenericLockDB	TAKE1	-	specify a lock database
DAVLockDB	TAKE1	-	specify a lock database
DAVLockDiscovery	FLAG	-	allow lock discovery by PROPFIND requests
DAVMinTimeout	TAKE1	-	specify minimum allowed timeout
DBDExptime	TAKE1	-	Keepalive time for idle connections
DBDInitSQL	TAKE1	-	SQL statement to be executed after connection is created
DBDKeep	TAKE1	-	Maximum number of sustained connections
DBDMax	TAKE1	-	Maximum number of connections
DBDMin	TAKE1	-	Minimum number of connections
DBDParams	TAKE1	-	SQL Driver Params
DBDPersist	FLAG	-	Use persistent connection/pool
DBDPrepareSQL	TAKE12	-	SQL statement to prepare (or nothing, to override statement inherited from main server) and label
DBDriver	TAKE1	-	SQL Driver
DefaultIcon	TAKE1	-	an icon URL
DefaultLanguage	TAKE1	-	language to use for documents with no other language file extension
DefaultRuntimeDir	TAKE1	G	Common directory for run-time files (shared memory, locks, etc.)
DefaultType	TAKE1	-	the default media type for otherwise untyped files (DEPRECATED)
Define	TAKE12	-	Define a variable, optionally to a value.  Same as passing -D to the command line.
DeflateAlterEtag	TAKE1	-	Set how mod_deflate should modify ETAG response headers: 'AddSuffix' (default), 'NoChange' (2.2.x behavior), 'Remove'
DeflateBufferSize	TAKE1	-	Set the Deflate Buffer Size
DeflateCompressionLevel	TAKE1	-	Set the Deflate Compression Level (1-9)
DeflateFilterNote	TAKE12	-	Set a note to report on compression ratio
DeflateInflateLimitRequestBody	TAKE1	-	Set a limit on size of inflated input
DeflateInflateRatioBurst	TAKE1	-	Set the maximum number of following inflate ratios above limit (default: )
DeflateInflateRatioLimit	TAKE1	-	Set the inflate ratio limit above which inflation is aborted (default: )
DeflateMemLevel	TAKE1	-	Set the Deflate Memory Level (1-9)
DeflateWindowSize	TAKE1	-	Set the Deflate window size (1-15)
deny	ITERATE2	-	'from' followed by hostnames or IP-address wildcards
directive	NO_ARGS	-	
DirectoryCheckHandler	FLAG	-	On or Off
DirectoryIndex	RAW_ARGS	-	a list of file names
DirectoryIndexRedirect	TAKE1	-	On, Off, or a 3xx status code.
DirectorySlash	FLAG	-	On or Off
DocumentRoot	TAKE1	-	Root directory of the document tree
DOSBlockingPeriod	TAKE1	-	Set blocking period for detected DoS IPs
DOSEmailNotify	TAKE1	-	Set email notification
DOSHashTableSize	TAKE1	-	Set size of hash table
DOSHTTPResponseCode	TAKE1	-	Set HTTP response code returned when IP is blocked
DOSLogDir	TAKE1	-	Set log dir
DOSPageCount	TAKE1	-	Set maximum page hit count per interval
DOSPageInterval	TAKE1	-	Set page interval
DOSSiteCount	TAKE1	-	Set maximum site hit count per interval
DOSSiteInterval	TAKE1	-	Set site interval
DOSSystemCommand	TAKE1	-	Set system command on DoS
DOSWhitelist	ITERATE	-	IP-addresses wildcards to whitelist
DTracePrivileges	FLAG	G	Enable DTrace
DumpIOInput	FLAG	-	Enable I/O Dump on Input Data
DumpIOOutput	FLAG	-	Enable I/O Dump on Output Data
EnableExceptionHook	TAKE1	G	Controls whether exception hook may be called after a crash
EnableMMAP	TAKE1	-	Controls whether memory-mapping may be used to read files
EnableSendfile	TAKE1	-	Controls whether sendfile may be used to transmit files
Error	RAW_ARGS	-	Generate error message from within configuration
ErrorDocument	TAKE2	-	Change responses for HTTP errors
ErrorLog	TAKE1	-	The filename of the error log
ErrorLogFormat	TAKE12	-	Format string for the ErrorLog
Example	NO_ARGS	-	Example directive - no arguments
ExpiresActive	FLAG	-	Limited to 'on' or 'off'
ExpiresByType	TAKE2	-	a MIME type followed by an expiry date code
ExpiresDefault	TAKE1	-	an expiry date code
ExtendedStatus	FLAG	G	"On" to track extended status information, "Off" to disable
ExtFilterDefine	RAW_ARGS	-	Define an external filter
ExtFilterOptions	ITERATE	-	valid options: LogStderr, NoLogStderr
FallbackResource	TAKE1	-	Set a default handler
FancyIndexing	RAW_ARGS	-	The FancyIndexing directive is no longer supported. Use IndexOptions FancyIndexing.
FileETag	RAW_ARGS	-	Specify components used to construct a file's ETag
FilterChain	ITERATE	-	list of filter names with optional [+-=!@]
FilterDeclare	TAKE12	-	filter-name [filter-type]
FilterProtocol	TAKE23	-	filter-name [provider-name] protocol-args
FilterProvider	TAKE3	-	filter-name provider-name match-expression
FilterTrace	TAKE2	-	filter-name debug-level
FlushMaxPipelined	TAKE1	-	Maximum number of pipelined responses (pending) above which they are flushed to the network
FlushMaxThreshold	TAKE1	-	Maximum threshold above which pending data are flushed to the network
Foo	RAW_ARGS	-	The Foo directive is no longer supported, use Bar
ForceLanguagePriority	ITERATE	-	Force LanguagePriority elections, either None, or Fallback and/or Prefer
ForceType	TAKE1	-	a mime type that overrides other configured type
ForensicLog	TAKE1	-	the filename of the forensic log
GlobalLog	TAKE23	G	Same as CustomLog, but forces virtualhosts to inherit the log
GprofDir	TAKE1	-	Directory to plop gmon.out files
GracefulShutdownTimeout	TAKE1	G	Maximum time in seconds to wait for child processes to complete transactions during shutdown
Group	TAKE1	G	Effective group id for this server
H2CopyFiles	TAKE1	-	on to perform copy of file data
H2Direct	TAKE1	-	on to enable direct HTTP/2 mode
H2EarlyHint	TAKE2	-	add a a 'Link:' header for a 103 Early Hints response.
H2EarlyHints	TAKE1	-	on to enable interim status 103 responses
H2MaxDataFrameLen	TAKE1	-	maximum number of bytes in a single HTTP/2 DATA frame
H2MaxSessionStreams	TAKE1	-	maximum number of open streams per session
H2MaxWorkerIdleSeconds	TAKE1	-	maximum number of idle seconds before a worker shuts down
H2MaxWorkers	TAKE1	-	maximum number of worker threads per child
H2MinWorkers	TAKE1	-	minimum number of worker threads per child
H2ModernTLSOnly	TAKE1	-	off to not impose RFC 7540 restrictions on TLS
H2OutputBuffering	TAKE1	-	set stream output buffer on/off
H2Padding	TAKE1	-	set payload padding
H2ProxyRequests	TAKE1	-	Enables forward proxy requests via HTTP/2
H2Push	TAKE1	-	off to disable HTTP/2 server push
H2PushDiarySize	TAKE1	-	size of push diary
H2PushPriority	TAKE23	-	define priority of PUSHed resources per content type
H2PushResource	TAKE123	-	add a resource to be pushed in this location/on this server.
H2SerializeHeaders	TAKE1	-	disabled, this directive has no longer an effect.
H2SessionExtraFiles	TAKE1	-	number of extra file a session might keep open (obsolete)
H2StreamMaxMemSize	TAKE1	-	maximum number of bytes buffered in memory for a stream
H2StreamTimeout	TAKE1	-	set stream timeout
H2TLSCoolDownSecs	TAKE1	-	seconds of idle time on TLS before shrinking writes
H2TLSWarmUpSize	TAKE1	-	number of bytes on TLS connection before doing max writes
H2Upgrade	TAKE1	-	on to allow HTTP/1 Upgrades to h2/h2c
H2WebSockets	TAKE1	-	off to disable WebSockets over HTTP/2
H2WindowSize	TAKE1	-	window size on client DATA
Header	RAW_ARGS	-	an optional condition, an action, header and value followed by optional env clause
HeaderName	TAKE1	-	a filename
HeartbeatAddress	TAKE1	G	Address to send heartbeat requests
HeartbeatListen	TAKE1	G	Address to listen for heartbeat requests
HeartbeatMaxServers	TAKE1	G	Max number of servers when using slotmem (instead file) to store heartbeat data.
HeartbeatStorage	TAKE1	G	Path to store heartbeat data.
HostnameLookups	TAKE1	-	"on" to enable, "off" to disable reverse DNS lookups, or "double" to enable double-reverse DNS lookups
HttpProtocolOptions	ITERATE	-	'Allow0.9' or 'Require1.0' (default); 'RegisteredMethods' or 'LenientMethods' (default); 'Unsafe' or 'Strict' (default). Sets HTTP acceptance rules
IdentityCheck	FLAG	-	Enable identd (RFC 1413) user lookups - SLOW
IdentityCheckTimeout	TAKE1	-	Identity check (RFC 1413) timeout duration (sec)
ImapBase	TAKE1	-	the base for all URL's: map, referer, URL (or start of)
ImapDefault	TAKE1	-	the action taken if no match: error, nocontent, referer, menu, URL
ImapMenu	TAKE1	-	the type of menu generated: none, formatted, semiformatted, unformatted
Include	TAKE1	-	Name(s) of the config file(s) to be included; fails if the wildcard does not match at least one file
IncludeOptional	TAKE1	-	Name or pattern of the config file(s) to be included; ignored if the file does not exist or the pattern does not match any files
IndexHeadInsert	TAKE1	-	String to insert in HTML HEAD section
IndexIgnore	ITERATE	-	one or more file extensions
IndexIgnoreReset	FLAG	-	Reset the inherited list of IndexIgnore filenames
IndexOptions	TAKE_ARGV	-	one or more index options [+|-][]
IndexOrderDefault	TAKE2	-	{Ascending,Descending} {Name,Size,Description,Date}
IndexStyleSheet	TAKE1	-	URL to style sheet
InputSed	TAKE1	-	Sed regular expression for Request
ISAPIAppendLogToErrors	FLAG	-	Send all Append Log requests to the error log on or off (default: off)
ISAPIAppendLogToQuery	FLAG	-	Append Log requests are concatenated to the query args on or off (default: on)
ISAPICacheFile	ITERATE	-	Cache the specified ISAPI extension in-process
ISAPIFakeAsync	FLAG	-	Fake Asynchronous support for isapi callbacks on or off [Experimental] (default: off)
ISAPILogNotSupported	FLAG	-	Log requests not supported by the ISAPI server on or off (default: off)
ISAPIReadAheadBuffer	TAKE1	-	Maximum client request body to initially pass to the ISAPI handler (default: 49152)
KeepAlive	FLAG	-	Whether persistent connections should be On or Off
KeepAliveTimeout	TAKE1	-	Keep-Alive timeout duration (sec)
KeptBodySize	TAKE1	-	Maximum size of request bodies kept aside for use by filters
LanguagePriority	ITERATE	-	space-delimited list of MIME language abbreviations
LDAPCacheEntries	TAKE1	G	Set the maximum number of entries that are possible in the LDAP search cache. Use 0 or -1 to disable the search cache (default: 1024)
LDAPCacheTTL	TAKE1	G	Set the maximum time (in seconds) that an item can be cached in the LDAP search cache. Use 0 for no limit. (default 600)
LDAPConnectionPoolTTL	TAKE1	-	Specify the maximum amount of time a bound connection can sit idle and still be considered valid for reuse(0 = no pool, -1 = no limit, n = time in seconds). Default: -1
LDAPConnectionTimeout	TAKE1	G	Specify the LDAP socket connection timeout in seconds (default: 10)
LDAPLibraryDebug	TAKE1	G	Enable debugging in LDAP SDK (Default: off, values: SDK specific
LDAPOpCacheEntries	TAKE1	G	Set the maximum number of entries that are possible in the LDAP compare cache. Use 0 or -1 to disable the compare cache (default: 1024)
LDAPOpCacheTTL	TAKE1	G	Set the maximum time (in seconds) that an item is cached in the LDAP operation cache. Use 0 for no limit. (default: 600)
LDAPReferralHopLimit	TAKE1	-	Limit the number of referral hops that LDAP can follow. (Integer value, Consult LDAP SDK documentation for applicability and defaults
LDAPReferrals	TAKE1	-	Choose whether referrals are chased ['ON'|'OFF'|'DEFAULT'].  Default 'ON'
LDAPRetries	TAKE1	G	Specify the number of times a failed LDAP operation should be retried (0 = no retries). Default: 3
LDAPRetryDelay	TAKE1	G	Specify the delay between retries of a failed LDAP operation (0 = no delay). Default: 0
LDAPSharedCacheFile	TAKE1	G	Set the file name for the shared memory cache.
LDAPSharedCacheSize	TAKE1	G	Set the size of the shared memory cache (in bytes). Use 0 to disable the shared memory cache. (default: 500000)
LDAPTimeout	TAKE1	G	Specify the LDAP bind/search timeout in seconds (0 = no limit). Default: 60
LDAPTrustedClientCert	TAKE23	-	Takes three arguments: the first argument is the certificate type of the second argument, one of CA_DER, CA_BASE64, CA_CERT7_DB, CA_SECMOD, CERT_DER, CERT_BASE64, CERT_KEY3_DB, CERT_NICKNAME, KEY_DER, or KEY_BASE64. The second argument specifies the file and/or directory containing the client certificate, or certificate ID used to validate this LDAP client.  The third argument is an optional passphrase if applicable.
LDAPTrustedGlobalCert	TAKE23	G	Takes three arguments; the first argument is the cert type of the second argument, one of CA_DER, CA_BASE64, CA_CERT7_DB, CA_SECMOD, CERT_DER, CERT_BASE64, CERT_KEY3_DB, CERT_NICKNAME, KEY_DER, or KEY_BASE64. The second argument specifes the file and/or directory containing the trusted CA certificates (and global client certs for Netware) used to validate the LDAP server. The third argument is an optional passphrase if applicable.
LDAPTrustedMode	TAKE1	-	Specify the type of security that should be applied to an LDAP connection. One of; NONE, SSL or STARTTLS.
LDAPVerifyServerCert	FLAG	G	Set to 'ON' requires that the server certificate be verified before a secure LDAP connection can be establish.  Default 'ON'
LimitInternalRecursion	TAKE12	-	maximum recursion depth of internal redirects and subrequests
LimitRequestBody	TAKE1	-	Limit (in bytes) on maximum size of request message body
LimitRequestFields	TAKE1	-	Limit (0 = unlimited) on max number of header fields in a request message
LimitRequestFieldsize	TAKE1	-	Limit on maximum size of an HTTP request header field
LimitRequestLine	TAKE1	-	Limit on maximum size of an HTTP request line
LimitXMLRequestBody	TAKE1	-	Limit (in bytes) on maximum size of an XML-based request body
Listen	TAKE_ARGV	G	A port number or a numeric IP address and a port number, and an optional protocol
ListenBacklog	TAKE1	G	Maximum length of the queue of pending connections, as used by listen(2)
ListenCoresBucketsRatio	TAKE1	G	Ratio between the number of CPU cores (online) and the number of listeners buckets
LoadFile	ITERATE	-	shared object file or library to load into the server at runtime
LoadModule	TAKE2	-	a module name and the name of a shared object file to load it from
LogFormat	TAKE12	-	a log format string (see docs) and an optional format name
LogIOTrackTTFB	FLAG	-	Set to 'ON' to enable tracking time to first byte
LogLevel	ITERATE	-	Level of verbosity in error logging
LogMessage	TAKE123	-	Log a debug message to the error log if this config block is used for  a request
Lua_____ByteCodeHack	RAW_ARGS	-	(internal) Byte code handler
LuaAuthzProvider	TAKE3	G	Provide an authorization provider
LuaCodeCache	TAKE1	-	Controls the behavior of the in-memory code cache  context: stat|forever|never (default: stat) 
LuaHookAccessChecker	TAKE23	-	Provide a hook for the access_checker phase of request processing
LuaHookAuthChecker	TAKE23	-	Provide a hook for the auth_checker phase of request processing
LuaHookCheckUserID	TAKE23	-	Provide a hook for the check_user_id phase of request processing
LuaHookFixups	TAKE2	-	Provide a hook for the fixups phase of request processing
LuaHookInsertFilter	TAKE2	-	Provide a hook for the insert_filter phase of request processing
LuaHookLog	TAKE2	-	Provide a hook for the logging phase of request processing
LuaHookMapToStorage	TAKE2	-	Provide a hook for the map_to_storage phase of request processing
LuaHookPreTranslateName	TAKE2	-	Provide a hook for the pre_translate name phase of request processing
LuaHookTranslateName	TAKE23	-	Provide a hook for the translate name phase of request processing
LuaHookTypeChecker	TAKE2	-	Provide a hook for the type_checker phase of request processing
LuaInherit	TAKE1	-	Controls how Lua scripts in parent contexts are merged with the current  context: none|parent-last|parent-first (default: parent-first) 
LuaInputFilter	TAKE3	-	Registers a Lua function as an input filter
LuaMapHandler	TAKE23	-	Maps a path to a lua handler
LuaOutputFilter	TAKE3	-	Registers a Lua function as an output filter
LuaPackageCPath	TAKE1	-	Add a directory to lua's package.cpath
LuaPackagePath	TAKE1	-	Add a directory to lua's package.path
LuaQuickHandler	TAKE2	-	Provide a hook for the quick handler of request processing
LuaRoot	TAKE1	-	Specify the base path for resolving relative paths for mod_lua directives
LuaScope	TAKE123	-	One of once, request, conn, server -- default is once
MaxClients	TAKE1	G	Deprecated name of MaxRequestWorkers
MaxConnectionsPerChild	TAKE1	G	Maximum number of connections a particular child serves before dying.
MaxKeepAliveRequests	TAKE1	-	Maximum number of Keep-Alive requests per connection, or 0 for infinite
MaxMemFree	TAKE1	G	Maximum number of 1k blocks a particular child's allocator may hold.
MaxRangeOverlaps	TAKE1	-	Maximum number of overlaps in Ranges in a request before returning the entire resource, or 0 for unlimited
MaxRangeReversals	TAKE1	-	Maximum number of reversals in Ranges in a request before returning the entire resource, or 0 for unlimited
MaxRanges	TAKE1	-	Maximum number of Ranges in a request before returning the entire resource, or 0 for unlimited
MaxRequestsPerChild	TAKE1	G	Maximum number of connections a particular child serves before dying. (DEPRECATED, use MaxConnectionsPerChild)
MaxRequestWorkers	TAKE1	G	Maximum number of threads alive at the same time
MaxSpareServers	TAKE1	G	Maximum number of idle children
MaxSpareThreads	TAKE1	G	Maximum number of idle threads
MaxThreads	TAKE1	G	Maximum number of worker threads alive at the same time
MDActivationDelay	TAKE1	-	How long to delay activation of new certificates
MDBaseServer	TAKE1	-	Allow managing of base server outside virtual hosts.
MDCACertificateFile	TAKE1	-	Set the CA file to use for connections
MDCAChallenges	TAKE_ARGV	-	A list of challenge types to be used.
MDCertificateAgreement	TAKE1	-	either 'accepted' or the URL of CA Terms-of-Service agreement you accept
MDCertificateAuthority	TAKE_ARGV	-	URL(s) or known name(s) of CA issuing the certificates
MDCertificateCheck	TAKE2	-	Set name and URL pattern for a certificate monitoring site.
MDCertificateFile	TAKE1	-	set the static certificate (chain) file to use for this domain.
MDCertificateKeyFile	TAKE1	-	set the static private key file to use for this domain.
MDCertificateProtocol	TAKE1	-	Protocol used to obtain/renew certificates
MDCertificateStatus	TAKE1	-	On to see Managed Domain expose /.httpd/certificate-status.
MDChallengeDns01	RAW_ARGS	-	Set the command for setup/teardown of dns-01 challenges
MDChallengeDns01Version	TAKE1	-	Set the type of arguments to call `MDChallengeDns01` with
MDCheckInterval	TAKE1	-	Time between certificate checks.
MDContactEmail	TAKE1	-	Email address used for account registration
MDDriveMode	TAKE1	-	deprecated, older name for MDRenewMode
MDExternalAccountBinding	TAKE12	-	Set the external account binding keyid and hmac values to use at CA
MDHttpProxy	TAKE1	-	URL of a HTTP(S) proxy to use for outgoing connections
MDMatchNames	TAKE1	-	Determines how DNS names are matched to vhosts.
MDMember	TAKE_ARGV	-	Define domain name(s) part of the Managed Domain. Use 'auto' or 'manual' to enable/disable auto adding names from virtual hosts.
MDMembers	TAKE_ARGV	-	Define domain name(s) part of the Managed Domain. Use 'auto' or 'manual' to enable/disable auto adding names from virtual hosts.
MDMessageCmd	RAW_ARGS	-	Set the command run when a message about a domain is issued.
MDMustStaple	TAKE1	-	Enable/Disable the Must-Staple flag for new certificates.
MDNotifyCmd	RAW_ARGS	-	Set the command to run when signup/renew of domain is complete.
MDomain	TAKE_ARGV	-	A group of server names with one certificate
MDPortMap	TAKE12	-	Declare the mapped ports 80 and 443 on the local server. E.g. 80:8000 to indicate that the server port 8000 is reachable as port 80 from the internet. Use 80:- to indicate that port 80 is not reachable from the outside.
MDPrivateKeys	TAKE_ARGV	-	set the type and parameters for private key generation
MDRenewMode	TAKE1	-	Controls how renewal of Managed Domain certificates shall be handled.
MDRenewWindow	TAKE1	-	Time length for renewal before certificate expires (defaults to days).
MDRequireHttps	TAKE1	-	Redirect non-secure requests to the https: equivalent.
MDRetryDelay	TAKE1	-	Time length for first retry, doubled on every consecutive error.
MDRetryFailover	TAKE1	-	The number of errors before a failover to another CA is triggered.
MDServerStatus	TAKE1	-	On to see Managed Domains in server-status.
MDStapleOthers	TAKE1	-	Enable/Disable OCSP Stapling for certificates not in Managed Domains.
MDStapling	TAKE1	-	Enable/Disable OCSP Stapling for this/all Managed Domain(s).
MDStaplingKeepResponse	TAKE1	-	The amount of time to keep an OCSP response in the store.
MDStaplingRenewWindow	TAKE1	-	Time length for renewal before OCSP responses expire (defaults to days).
MDStoreDir	TAKE1	-	the directory for file system storage of managed domain data.
MDStoreLocks	TAKE1	-	Configure locking of store for updates.
MDWarnWindow	TAKE1	-	When less time remains for a certificate, send our/log a warning (defaults to days)
MemcacheConnTTL	TAKE1	-	TTL used for the connection with the memcache server(s)
MergeSlashes	FLAG	-	Controls whether consecutive slashes in the URI path are merged
MergeTrailers	FLAG	-	merge request trailers into request headers or not
MetaDir	TAKE1	-	the name of the directory containing meta files
MetaFiles	FLAG	-	Limited to 'on' or 'off'
MetaSuffix	TAKE1	-	the filename suffix for meta files
MimeMagicFile	TAKE1	-	Path to MIME Magic file (in file(1) format)
MinSpareServers	TAKE1	G	Minimum number of idle children, to handle request spikes
MinSpareThreads	TAKE1	G	Minimum number of idle threads, to handle request spikes
mmapfile	ITERATE	-	A space separated list of files to mmap at config time
ModemStandard	TAKE1	-	Modem Standard to.. simulate. Must be one of: 'V.21', 'V.26bis', 'V.32', 'V.34', or 'V.92'
ModMimeUsePathInfo	FLAG	-	Set to 'yes' to allow mod_mime to use path info for type checking
MultiviewsMatch	ITERATE	-	NegotiatedOnly (default), Handlers and/or Filters, or Any
Mutex	RAW_ARGS	G	mutex (or "default") and mechanism
NameVirtualHost	TAKE1	-	A numeric IP address:port, or the name of a host
NoProxy	ITERATE	-	A list of domains, hosts, or subnets to which the proxy will connect directly
NWSSLTrustedCerts	ITERATE	-	Adds trusted certificates that are used to create secure connections to proxied servers
Options	RAW_ARGS	-	Set a number of attributes for a given directory
order	TAKE1	-	'allow,deny', 'deny,allow', or 'mutual-failure'
OutputSed	TAKE1	-	Sed regular expression for Response
PassEnv	ITERATE	-	a list of environment variables to pass to CGI.
PidFile	TAKE1	G	A file for logging the server process ID
Port	TAKE1	-	Port was replaced with Listen in Apache 2.0
PrivilegesMode	TAKE1	-	tradeoff performance vs security (fast or secure)
Protocol	TAKE1	-	Set the Protocol for httpd to use.
ProtocolEcho	FLAG	-	Run an echo server on this host
Protocols	ITERATE	-	Controls which protocols are allowed
ProtocolsHonorOrder	TAKE1	-	'off' (default) or 'on' to respect given order of protocols, by default the client specified order determines selection
Proxy100Continue	FLAG	-	on if 100-Continue should be forwarded to the origin server, off if the proxy should handle it by itself
ProxyAddHeaders	FLAG	-	on if X-Forwarded-* headers should be added or completed
ProxyBadHeader	TAKE1	-	How to handle bad header line in response: IsError | Ignore | StartBody
ProxyBlock	ITERATE	-	A list of names, hosts or domains to which the proxy will not connect
ProxyDomain	TAKE1	-	The default intranet domain name (in absence of a domain in the URL)
ProxyErrorOverride	ITERATE	-	use our error handling pages instead of the servers' we are proxying
ProxyExpressDBMFile	TAKE1	-	Location of ProxyExpressDBMFile file
ProxyExpressDBMType	TAKE1	-	Type of ProxyExpressDBMFile file
ProxyExpressEnable	FLAG	-	Enable the ProxyExpress functionality
ProxyFCGIBackendType	TAKE1	-	Specify the type of FastCGI server: 'Generic', 'FPM'
ProxyFCGISetEnvIf	TAKE23	-	expr-condition env-name expr-value
ProxyFtpDirCharset	TAKE1	-	Define the character set for proxied FTP listings
ProxyFtpEscapeWildcards	FLAG	-	Whether the proxy should escape wildcards in paths before sending them to the FTP server.  Defaults to on, but most FTP servers will need it turned off if you need to manage paths that contain wildcard characters.
ProxyFtpListOnWildcard	FLAG	-	Whether wildcard characters in a path cause mod_proxy_ftp to list the files instead of trying to get them. Defaults to on.
ProxyHCExpr	RAW_ARGS	-	Define a health check condition ruleset expression
ProxyHCTemplate	RAW_ARGS	-	Health check template
ProxyHCTPsize	TAKE1	G	Set size of health check thread pool
ProxyHTMLBufSize	TAKE1	-	Buffer size
ProxyHTMLCharsetOut	TAKE1	-	Usage: ProxyHTMLCharsetOut charset
ProxyHTMLDoctype	TAKE12	-	(HTML|XHTML) [Legacy]
ProxyHTMLEnable	FLAG	-	Enable proxy-html and xml2enc filters
ProxyHTMLEvents	ITERATE	-	Strings to be treated as scripting events
ProxyHTMLExtended	FLAG	-	Map URLs in Javascript and CSS
ProxyHTMLFixups	ITERATE	-	Options are lowercase, dospath
ProxyHTMLInterp	FLAG	-	Support interpolation and conditions in URLMaps
ProxyHTMLLinks	ITERATE2	-	Declare HTML Attributes
ProxyHTMLMeta	FLAG	-	Fix META http-equiv elements
ProxyHTMLStripComments	FLAG	-	Strip out comments
ProxyHTMLURLMap	RAW_ARGS	-	Map URL From To
ProxyIOBufferSize	TAKE1	-	IO buffer size for outgoing HTTP and FTP connections in bytes
ProxyMaxForwards	TAKE1	-	The maximum number of proxies a request may be forwarded through.
ProxyPass	RAW_ARGS	-	a virtual path and a URL
ProxyPassInherit	FLAG	-	on if this server should inherit all ProxyPass directives defined in the main server (Setting to off recommended if using the Balancer Manager)
ProxyPassInterpolateEnv	FLAG	-	Interpolate Env Vars in reverse Proxy
ProxyPassMatch	RAW_ARGS	-	a virtual path and a URL
ProxyPassReverse	TAKE123	-	a virtual path and a URL for reverse proxy behaviour
ProxyPassReverseCookieDomain	TAKE23	-	Domain rewrite rule for proxying cookies
ProxyPassReverseCookiePath	TAKE23	-	Path rewrite rule for proxying cookies
ProxyPreserveHost	FLAG	-	on if we should preserve host header while proxying
ProxyReceiveBufferSize	TAKE1	-	Receive buffer size for outgoing HTTP and FTP connections in bytes
ProxyRemote	TAKE23	-	a scheme, partial URL or '*' and a proxy server
ProxyRemoteMatch	TAKE23	-	a regex pattern and a proxy server
ProxyRequests	FLAG	-	on if the true proxy requests should be accepted
ProxySCGIInternalRedirect	TAKE1	-	The name of the pseudo response header or On or Off
ProxySCGISendfile	TAKE1	-	The name of the X-Sendfile pseudo response header or On or Off
ProxySet	RAW_ARGS	-	A balancer or worker name with list of params
ProxySourceAddress	TAKE1	-	Configure local source IP used for request forward
ProxyStatus	TAKE1	-	Configure Status: proxy status to one of: on | off | full
ProxyTimeout	TAKE1	-	Set the timeout (in seconds) for a proxied connection. This overrides the server timeout
ProxyVia	TAKE1	-	Configure Via: proxy header header to one of: on | off | block | full
ProxyWebsocketFallbackToProxyHttp	FLAG	-	whether to let mod_proxy_http handle the upgrade and tunneling, On by default
QualifyRedirectURL	FLAG	-	Controls whether the REDIRECT_URL environment variable is fully qualified
ReadBufferSize	TAKE1	-	Size (in bytes) of the memory buffers used to read data
ReadmeName	TAKE1	-	a filename
ReceiveBufferSize	TAKE1	G	Receive buffer size in bytes
Redirect	TAKE123	-	an optional status, then document to be redirected and destination URL
RedirectMatch	TAKE23	-	an optional status, then a regular expression and destination URL
RedirectPermanent	TAKE2	-	a document to be redirected, then the destination URL
RedirectRelative	FLAG	-	Set to ON to allow relative redirect targets to be issued as-is
RedirectTemp	TAKE2	-	a document to be redirected, then the destination URL
RedisConnPoolTTL	TAKE1	-	TTL used for the connection pool with the Redis server(s)
RedisTimeout	TAKE1	-	R/W timeout used for the connection with the Redis server(s)
ReflectorHeader	TAKE12	-	Header to reflect back in the response, with an optional new name.
RegexDefaultOptions	RAW_ARGS	G	default options for regexes (prefixed by '+' to add, '-' to del)
RegisterHttpMethod	ITERATE	G	Registers non-standard HTTP methods
RemoteIPHeader	TAKE1	-	Specifies a request header to trust as the client IP, e.g. X-Forwarded-For
RemoteIPInternalProxy	ITERATE	-	Specifies one or more internal (transparent) proxies which are trusted to present IP headers
RemoteIPInternalProxyList	TAKE1	-	The filename to read the list of internal proxies, see the RemoteIPInternalProxy directive
RemoteIPProxiesHeader	TAKE1	-	Specifies a request header to record proxy IP's, e.g. X-Forwarded-By; if not given then do not record
RemoteIPProxyProtocol	FLAG	-	Enable PROXY protocol handling ('on', 'off')
RemoteIPProxyProtocolExceptions	TAKE_ARGV	-	Disable PROXY protocol handling for this list of networks in CIDR format
RemoteIPTrustedProxy	ITERATE	-	Specifies one or more proxies which are trusted to present IP headers
RemoteIPTrustedProxyList	TAKE1	-	The filename to read the list of trusted proxies, see the RemoteIPTrustedProxy directive
RemoveCharset	ITERATE	-	one or more file extensions
RemoveEncoding	ITERATE	-	one or more file extensions
RemoveHandler	ITERATE	-	one or more file extensions
RemoveInputFilter	ITERATE	-	one or more file extensions
RemoveLanguage	ITERATE	-	one or more file extensions
RemoveOutputFilter	ITERATE	-	one or more file extensions
RemoveType	ITERATE	-	one or more file extensions
RequestHeader	RAW_ARGS	-	an action, header and value followed by optional env clause
RequestReadTimeout	RAW_ARGS	-	Set various timeout parameters for TLS handshake and/or reading request headers and body
Require	RAW_ARGS	-	specifies authorization directives which one must pass (or not) for a request to suceeed
RewriteBase	TAKE1	-	the base URL of the per-directory context
RewriteCond	RAW_ARGS	-	an input string and a to be applied regexp-pattern
RewriteEngine	FLAG	-	On or Off to enable or disable (default) the whole rewriting engine
RewriteMap	TAKE23	-	a mapname and a filename and options
RewriteOptions	ITERATE	-	List of option strings to set
RewriteRule	RAW_ARGS	-	an URL-applied regexp-pattern and a substitution URL
RLimitCPU	TAKE12	-	Soft/hard limits for max CPU usage in seconds
RLimitMEM	TAKE12	-	Soft/hard limits for max memory usage per process
RLimitNPROC	TAKE12	-	soft/hard limits for max number of processes per uid
Satisfy	TAKE1	-	access policy if both allow and require used ('all' or 'any')
ScoreBoardFile	TAKE1	G	A file for Apache to maintain runtime process management information
Script	TAKE2	-	a method followed by a script name
ScriptAlias	TAKE12	-	a fakename and a realname, or a realname in a Location
ScriptAliasMatch	TAKE2	-	a regular expression and a filename
ScriptInterpreterSource	TAKE1	-	Where to find interpreter to run Win32 scripts (Registry or script shebang line)
ScriptLog	TAKE1	-	the name of a log for script debugging info
ScriptLogBuffer	TAKE1	-	the maximum size (in bytes) to record of a POST request
ScriptLogLength	TAKE1	-	the maximum length (in bytes) of the script debug log
ScriptSock	TAKE1	G	the name of the socket to use for communication with the cgi daemon.
SecAction	TAKE1	-	an action list
SecArgumentSeparator	TAKE1	-	character that will be used as separator when parsing application/x-www-form-urlencoded content.
SecArgumentsLimit	TAKE1	-	maximum number of ARGS that ModSecurity will accept.
SecAuditEngine	TAKE1	-	On, Off or RelevantOnly to determine the level of audit logging
SecAuditLog	TAKE1	-	filename of the primary audit log file
SecAuditLog2	TAKE1	-	filename of the secondary audit log file
SecAuditLogDirMode	TAKE1	-	octal permissions mode for concurrent audit log directories
SecAuditLogFileMode	TAKE1	-	octal permissions mode for concurrent audit log files
SecAuditLogFormat	TAKE1	-	format of the audit log file (Native or JSON)
SecAuditLogParts	TAKE1	-	list of audit log parts that go into the log.
SecAuditLogRelevantStatus	TAKE1	-	regular expression that will be used to determine if the response status is relevant for audit logging
SecAuditLogStorageDir	TAKE1	-	path to the audit log storage area; absolute, or relative to the root of the server
SecAuditLogType	TAKE1	-	whether to use the old audit log format (Serial) or new (Concurrent)
SecCacheTransformations	TAKE12	-	whether or not to cache transformations. Defaults to true.
SecChrootDir	TAKE1	-	path of the directory to which server will be chrooted
SecCollectionTimeout	TAKE1	-	set default collections timeout. default it 3600
SecComponentSignature	TAKE1	-	component signature to add to ModSecurity signature.
SecConnEngine	TAKE1	-	On or Off
SecConnReadStateLimit	TAKE12	-	maximum number of threads in READ_BUSY state per ip address
SecConnWriteStateLimit	TAKE12	-	maximum number of threads in WRITE_BUSY state per ip address
SecContentInjection	FLAG	-	On or Off
SecCookieFormat	TAKE1	-	version of the Cookie specification to use for parsing. Possible values are 0 and 1.
SecCookiev0Separator	TAKE1	-	character that will be used as separator when parsing cookie v0 content.
SecDataDir	TAKE1	-	path to the persistent data storage area
SecDebugLog	TAKE1	-	path to the debug log file
SecDebugLogLevel	TAKE1	-	debug log level, which controls the verbosity of logging. Use values from 0 (no logging) to 9 (a *lot* of logging).
SecDefaultAction	TAKE1	-	default action list
SecDisableBackendCompression	FLAG	-	When set to On, removes the compression headers from the backend requests.
SecGeoLookupDB	TAKE1	-	database for geographical lookups module.
SecGsbLookupDB	TAKE1	-	database google safe browsing
SecGuardianLog	TAKE12	-	The filename of the filter debugging log file
SecHashEngine	TAKE1	-	On or Off
SecHashKey	TAKE2	-	Set Hash key
SecHashMethodPm	TAKE2	-	Hash method and pattern
SecHashMethodRx	TAKE2	-	Hash method and regex
SecHashParam	TAKE1	-	Set Hash parameter
SecHttpBlKey	TAKE1	-	httpBl access key
SecInterceptOnError	TAKE1	-	On or Off
SecMarker	TAKE1	-	marker for a skipAfter target
SecPcreMatchLimit	TAKE1	-	PCRE match limit
SecPcreMatchLimitRecursion	TAKE1	-	PCRE match limit recursion
SecReadStateLimit	TAKE12	-	maximum number of threads in READ_BUSY state per ip address
SecRemoteRules	TAKE23	-	key and URI to the remote rules
SecRemoteRulesFailAction	TAKE1	-	Abort or Warn
SecRequestBodyAccess	TAKE1	-	On or Off
SecRequestBodyInMemoryLimit	TAKE1	-	maximum request body size that will be placed in memory (except for POST urlencoded requests).
SecRequestBodyJsonDepthLimit	TAKE1	-	maximum request body JSON parsing depth ModSecurity will accept.
SecRequestBodyLimit	TAKE1	-	maximum request body size ModSecurity will accept.
SecRequestBodyLimitAction	TAKE1	-	what happens when the request body limit is reached
SecRequestBodyNoFilesLimit	TAKE1	-	maximum request body size ModSecurity will accept, but excluding the size of uploaded files.
SecRequestEncoding	TAKE1	-	character encoding used in request.
SecResponseBodyAccess	TAKE1	-	On or Off
SecResponseBodyLimit	TAKE1	-	byte limit for response body
SecResponseBodyLimitAction	TAKE1	-	what happens when the response body limit is reached
SecResponseBodyMimeType	ITERATE	-	adds given MIME types to the list of types that will be buffered on output
SecResponseBodyMimeTypesClear	NO_ARGS	-	clears the list of MIME types that will be buffered on output
SecRule	TAKE23	-	rule target, operator and optional action list
SecRuleEngine	TAKE1	-	On or Off
SecRuleInheritance	FLAG	-	On or Off
SecRulePerfTime	TAKE1	-	Threshold to log slow rules in usecs.
SecRuleRemoveById	ITERATE	-	rule ID for removal
SecRuleRemoveByMsg	ITERATE	-	rule message for removal
SecRuleRemoveByTag	ITERATE	-	rule tag for removal
SecRuleScript	TAKE12	-	rule script and optional actionlist
SecRuleUpdateActionById	TAKE2	-	updated action list
SecRuleUpdateTargetById	TAKE23	-	updated target list
SecRuleUpdateTargetByMsg	TAKE23	-	rule message pattern and updated target list
SecRuleUpdateTargetByTag	TAKE23	-	rule tag pattern and updated target list
SecSensorId	TAKE1	-	sensor id
SecServerSignature	TAKE1	-	the new signature of the server
SecStatusEngine	TAKE1	-	On or Off
SecStreamInBodyInspection	FLAG	-	On or Off
SecStreamOutBodyInspection	FLAG	-	On or Off
SecTmpDir	TAKE1	-	path to the temporary storage area
SecTmpSaveUploadedFiles	TAKE1	-	On or Off
SecUnicodeCodePage	TAKE1	-	Unicode CodePage
SecUnicodeMapFile	TAKE12	-	Unicode Map file
SecUploadDir	TAKE1	-	path to the file upload area
SecUploadFileLimit	TAKE1	-	limit the number of uploaded files processed
SecUploadFileMode	TAKE1	-	octal permissions mode for uploaded files
SecUploadKeepFiles	TAKE1	-	On or Off
SecWebAppId	TAKE1	-	id
SecWriteStateLimit	TAKE12	-	maximum number of threads in WRITE_BUSY state per ip address
SecXmlExternalEntity	TAKE1	-	On or Off
SeeRequestTail	FLAG	G	For extended status, "On" to see the last 63 chars of the request line, "Off" (default) to see the first 63
SendBufferSize	TAKE1	G	Send buffer size in bytes
ServerAdmin	TAKE1	-	The email address of the server administrator
ServerAlias	RAW_ARGS	-	A name or names alternately used to access the server
ServerLimit	TAKE1	G	Maximum number of child processes for this run of Apache
ServerName	TAKE1	-	The hostname and port of the server
ServerPath	TAKE1	-	The pathname the server can be reached at
ServerRoot	TAKE1	G	Common directory of server-related files (logs, confs, etc.)
ServerSignature	TAKE1	-	En-/disable server signature (on|off|email)
ServerTokens	TAKE1	G	Determine tokens displayed in the Server: header - Min(imal), Major, Minor, Prod(uctOnly), OS, or Full
Session	FLAG	-	on if a session should be maintained for these URLs
SessionCookieName	RAW_ARGS	-	The name of the RFC2109 cookie carrying the session
SessionCookieName2	RAW_ARGS	-	The name of the RFC2965 cookie carrying the session
SessionCookieRemove	FLAG	-	Set to 'On' to remove the session cookie from the headers and hide the cookie from a backend server or process
SessionCryptoCipher	TAKE1	-	The underlying crypto cipher to use
SessionCryptoDriver	RAW_ARGS	G	The underlying crypto library driver to use
SessionCryptoPassphrase	ITERATE	-	The passphrase(s) used to encrypt the session. First will be used for encryption, all phrases will be accepted for decryption
SessionCryptoPassphraseFile	TAKE1	-	File containing passphrase(s) used to encrypt the session, one per line. First will be used for encryption, all phrases will be accepted for decryption
SessionDBDCookieName	RAW_ARGS	-	The name of the RFC2109 cookie carrying the session key
SessionDBDCookieName2	RAW_ARGS	-	The name of the RFC2965 cookie carrying the session key
SessionDBDCookieRemove	FLAG	-	Remove the session cookie after session load. On by default.
SessionDBDDeleteLabel	TAKE1	-	Query label used to delete an existing session
SessionDBDInsertLabel	TAKE1	-	Query label used to insert a new session
SessionDBDPerUser	FLAG	-	Save the session per user
SessionDBDSelectLabel	TAKE1	-	Query label used to select a new session
SessionDBDUpdateLabel	TAKE1	-	Query label used to update an existing session
SessionEnv	FLAG	-	on if a session should be written to the CGI environment. Defaults to off
SessionExclude	TAKE1	-	URL prefixes to exclude from the session. Defaults to no URLs
SessionExpiryUpdateInterval	TAKE1	-	time interval for which a session's expiry time may change without having to be rewritten. Zero to disable
SessionHeader	TAKE1	-	output header, if present, whose contents will be injected into the session.
SessionInclude	TAKE1	-	URL prefixes to include in the session. Defaults to all URLs
SessionMaxAge	TAKE1	-	length of time for which a session should be valid. Zero to disable
SetEnv	TAKE12	-	an environment variable name and optional value to pass to CGI.
SetEnvIf	RAW_ARGS	-	A header-name, regex and a list of variables.
SetEnvIfExpr	RAW_ARGS	-	an expression and a list of variables.
SetEnvIfNoCase	RAW_ARGS	-	a header-name, regex and a list of variables.
SetHandler	TAKE1	-	a handler name that overrides any other configured handler
SetInputFilter	TAKE1	-	filter (or ; delimited list of filters) to be run on the request body
SetOutputFilter	TAKE1	-	filter (or ; delimited list of filters) to be run on the request content
SSIEndTag	TAKE1	-	SSI End String Tag
SSIErrorMsg	TAKE1	-	a string
SSIEtag	FLAG	-	Whether to allow the generation of ETags within the server. Existing ETags will be preserved. Limited to 'on' or 'off'
SSILastModified	FLAG	-	Whether to set the last modified header or respect an existing header. Limited to 'on' or 'off'
SSILegacyExprParser	FLAG	-	Whether to use the legacy expression parser compatible with <= 2.2.x. Limited to 'on' or 'off'
SSIStartTag	TAKE1	-	SSI Start String Tag
SSITimeFormat	TAKE1	-	a strftime(3) formatted string
SSIUndefinedEcho	TAKE1	-	String to be displayed if an echoed variable is undefined
SSLCACertificateFile	TAKE1	-	SSL CA Certificate file ('/path/to/file' - PEM encoded)
SSLCACertificatePath	TAKE1	-	SSL CA Certificate path ('/path/to/dir' - contains PEM encoded files)
SSLCADNRequestFile	TAKE1	-	SSL CA Distinguished Name file ('/path/to/file' - PEM encoded to derive acceptable CA names to request)
SSLCADNRequestPath	TAKE1	-	SSL CA Distinguished Name path ('/path/to/dir' - symlink hashes to PEM of acceptable CA names to request)
SSLCARevocationCheck	RAW_ARGS	-	SSL CA Certificate Revocation List (CRL) checking mode
SSLCARevocationFile	TAKE1	-	SSL CA Certificate Revocation List (CRL) file ('/path/to/file' - PEM encoded)
SSLCARevocationPath	TAKE1	-	SSL CA Certificate Revocation List (CRL) path ('/path/to/dir' - contains PEM encoded files)
SSLCertificateChainFile	TAKE1	-	SSL Server CA Certificate Chain file ('/path/to/file' - PEM encoded)
SSLCertificateFile	TAKE1	-	SSL Server Certificate file ('/path/to/file' - PEM or DER encoded)
SSLCertificateKeyFile	TAKE1	-	SSL Server Private Key file ('/path/to/file' - PEM or DER encoded)
SSLCipherSuite	TAKE12	-	Colon-delimited list of permitted SSL Ciphers, optional preceded by protocol identifier ('XXX:...:XXX' - see manual)
SSLCompression	FLAG	-	Enable SSL level compression (`on', `off')
SSLCryptoDevice	TAKE1	G	SSL external Crypto Device usage ('builtin', '...')
SSLEngine	TAKE1	-	SSL switch for the protocol engine ('on', 'off')
SSLFIPS	FLAG	G	Enable FIPS-140 mode (`on', `off')
SSLHonorCipherOrder	FLAG	-	Use the server's cipher ordering preference
SSLInsecureRenegotiation	FLAG	-	Enable support for insecure renegotiation
SSLLog	RAW_ARGS	-	SSLLog directive is no longer supported - use ErrorLog.
SSLLogLevel	RAW_ARGS	-	SSLLogLevel directive is no longer supported - use LogLevel.
SSLOCSPDefaultResponder	TAKE1	-	URL of the default OCSP Responder
SSLOCSPEnable	RAW_ARGS	-	Enable use of OCSP to verify certificate revocation mode ('on', 'leaf', 'off')
SSLOCSPNoVerify	FLAG	-	Do not verify OCSP Responder certificate ('on', 'off')
SSLOCSPOverrideResponder	FLAG	-	Force use of the default responder URL ('on', 'off')
SSLOCSPProxyURL	TAKE1	-	Proxy URL to use for OCSP requests
SSLOCSPResponderCertificateFile	TAKE1	-	Trusted OCSP responder certificates(`/path/to/file' - PEM encoded certificates)
SSLOCSPResponderTimeout	TAKE1	-	OCSP responder query timeout
SSLOCSPResponseMaxAge	TAKE1	-	Maximum age of OCSP responses
SSLOCSPResponseTimeSkew	TAKE1	-	Maximum time difference in OCSP responses
SSLOCSPUseRequestNonce	FLAG	-	Whether OCSP queries use a nonce or not ('on', 'off')
SSLOpenSSLConfCmd	TAKE2	-	OpenSSL configuration command
SSLOptions	RAW_ARGS	-	Set one or more options to configure the SSL engine('[+-]option[=value] ...' - see manual)
SSLPassPhraseDialog	TAKE1	G	SSL dialog mechanism for the pass phrase query ('builtin', '|/path/to/pipe_program', or 'exec:/path/to/cgi_program')
SSLProtocol	RAW_ARGS	-	Enable or disable various SSL protocols ('[+-][] ...' - see manual)
SSLProxyCACertificateFile	TAKE1	-	SSL Proxy: file containing server certificates ('/path/to/file' - PEM encoded certificates)
SSLProxyCACertificatePath	TAKE1	-	SSL Proxy: directory containing server certificates ('/path/to/dir' - contains PEM encoded certificates)
SSLProxyCARevocationCheck	RAW_ARGS	-	SSL Proxy: CA Certificate Revocation List (CRL) checking mode
SSLProxyCARevocationFile	TAKE1	-	SSL Proxy: CA Certificate Revocation List (CRL) file ('/path/to/file' - PEM encoded)
SSLProxyCARevocationPath	TAKE1	-	SSL Proxy: CA Certificate Revocation List (CRL) path ('/path/to/dir' - contains PEM encoded files)
SSLProxyCheckPeerCN	FLAG	-	SSL Proxy: check the peer certificate's CN
SSLProxyCheckPeerExpire	FLAG	-	SSL Proxy: check the peer certificate's expiration date
SSLProxyCheckPeerName	FLAG	-	SSL Proxy: check the peer certificate's name (must be present in subjectAltName extension or CN
SSLProxyCipherSuite	TAKE12	-	SSL Proxy: colon-delimited list of permitted SSL ciphers , optionally preceded by protocol specifier ('XXX:...:XXX' - see manual)
SSLProxyEngine	FLAG	-	SSL switch for the proxy protocol engine ('on', 'off')
SSLProxyMachineCertificateChainFile	TAKE1	-	SSL Proxy: file containing issuing certificates of the client certificate (`/path/to/file' - PEM encoded certificates)
SSLProxyMachineCertificateFile	TAKE1	-	SSL Proxy: file containing client certificates ('/path/to/file' - PEM encoded certificates)
SSLProxyMachineCertificatePath	TAKE1	-	SSL Proxy: directory containing client certificates ('/path/to/dir' - contains PEM encoded certificates)
SSLProxyProtocol	RAW_ARGS	-	SSL Proxy: enable or disable SSL protocol flavors ('[+-][] ...' - see manual)
SSLProxyVerify	TAKE1	-	SSL Proxy: whether to verify the remote certificate ('on' or 'off')
SSLProxyVerifyDepth	TAKE1	-	SSL Proxy: maximum certificate verification depth ('N' - number of intermediate certificates)
SSLRandomSeed	TAKE23	G	SSL Pseudo Random Number Generator (PRNG) seeding source ('startup|connect builtin|file:/path|exec:/path [bytes]')
SSLRenegBufferSize	TAKE1	-	Configure the amount of memory that will be used for buffering the request body if a per-location SSL renegotiation is required due to changed access control requirements
SSLRequire	RAW_ARGS	-	Require a boolean expression to evaluate to true for granting access(arbitrary complex boolean expression - see manual)
SSLRequireSSL	NO_ARGS	-	Require the SSL protocol for the per-directory context (no arguments)
SSLSessionCache	TAKE1	G	SSL Session Cache storage ('none', 'nonenotnull', 'dbm:/path/to/file')
SSLSessionCacheTimeout	TAKE1	-	SSL Session Cache object lifetime ('N' - number of seconds)
SSLSessionTicketKeyFile	TAKE1	-	TLS session ticket encryption/decryption key file (RFC 5077) ('/path/to/file' - file with 48 bytes of random data)
SSLSessionTickets	FLAG	-	Enable or disable TLS session tickets(`on', `off')
SSLSRPUnknownUserSeed	TAKE1	-	SRP seed for unknown users (to avoid leaking a user's existence) ('some secret text')
SSLSRPVerifierFile	TAKE1	-	SRP verifier file ('/path/to/file' - created by srptool)
SSLStaplingCache	TAKE1	G	SSL Stapling Response Cache storage (`dbm:/path/to/file')
SSLStaplingErrorCacheTimeout	TAKE1	-	SSL stapling option for OCSP Response Error Cache Lifetime
SSLStaplingFakeTryLater	FLAG	-	SSL stapling switch to send tryLater response to client on error (`on', `off')
SSLStaplingForceURL	TAKE1	-	SSL stapling option to Force the OCSP Stapling URL
SSLStaplingResponderTimeout	TAKE1	-	SSL stapling option for OCSP responder timeout
SSLStaplingResponseMaxAge	TAKE1	-	SSL stapling option for maximum age of OCSP responses
SSLStaplingResponseTimeSkew	TAKE1	-	SSL stapling option for maximum time difference in OCSP responses
SSLStaplingReturnResponderErrors	FLAG	-	SSL stapling switch to return Status Errors Back to Client(`on', `off')
SSLStaplingStandardCacheTimeout	TAKE1	-	SSL stapling option for normal OCSP Response Cache Lifetime
SSLStrictSNIVHostCheck	FLAG	-	Strict SNI virtual host checking
SSLUserName	TAKE1	-	Set user name to SSL variable value
SSLUseStapling	FLAG	-	SSL switch for the OCSP Stapling protocol (`on', `off')
SSLVerifyClient	TAKE1	-	SSL Client verify type ('none', 'optional', 'require', 'optional_no_ca')
SSLVerifyDepth	TAKE1	-	SSL Client verify depth ('N' - number of intermediate certificates)
StartServers	TAKE1	G	Number of child processes launched at server startup
StartThreads	TAKE1	G	Number of worker threads launched at server startup
StrictHostCheck	FLAG	-	Controls whether a hostname match is required
Substitute	TAKE1	-	Pattern to filter the response content (s/foo/bar/[inf])
SubstituteInheritBefore	FLAG	-	Apply inherited patterns before those of the current context
SubstituteMaxLineLength	TAKE1	-	Maximum line length
Suexec	FLAG	G	Enable or disable suEXEC support
SuexecUserGroup	TAKE2	-	User and group for spawned processes
ThreadLimit	TAKE1	G	Maximum number of worker threads per child process for this run of Apache - Upper limit for ThreadsPerChild
ThreadsPerChild	TAKE1	G	Number of threads each child creates
ThreadStackSize	TAKE1	G	Size in bytes of stack used by threads handling client connections
Timeout	TAKE1	-	Timeout duration (sec)
TraceEnable	TAKE1	-	'on' (default), 'off' or 'extended' to trace request body content
TransferLog	TAKE1	-	the filename of the access log
TypesConfig	TAKE1	-	the MIME types config file
UNCList	TAKE_ARGV	-	Controls what UNC hosts may be looked up
UnDefine	TAKE1	-	Undefine the existence of a variable. Undo a Define.
UnsetEnv	ITERATE	-	a list of variables to remove from the CGI environment.
UseCanonicalName	TAKE1	-	How to work out the ServerName : Port when constructing URLs
UseCanonicalPhysicalPort	TAKE1	-	Whether to use the physical Port when constructing URLs
User	TAKE1	G	Effective user id for this server
UserDir	RAW_ARGS	-	the public subdirectory in users' home directories, or 'disabled', or 'disabled username username...', or 'enabled username username...'
VHostCGIMode	TAKE1	-	Enable fork+exec for this virtualhost (Off|Secure|On)
VHostCGIPrivs	ITERATE	-	Privileges available to external programs
VHostGroup	TAKE1	-	Group under which the virtualhost will run
VHostPrivs	ITERATE	-	Privileges available in the (virtual) server
VHostSecure	FLAG	-	Run in enhanced security mode (default ON)
VHostUser	TAKE1	-	Userid under which the virtualhost will run
VirtualDocumentRoot	TAKE1	-	how to create the DocumentRoot based on the host
VirtualDocumentRootIP	TAKE1	-	how to create the DocumentRoot based on the host
VirtualScriptAlias	TAKE1	-	how to create a ScriptAlias based on the host
VirtualScriptAliasIP	TAKE1	-	how to create a ScriptAlias based on the host
WatchdogInterval	TAKE1	-	Watchdog interval in seconds
XBitHack	TAKE1	-	Off, On, or Full
xml2EncAlias	ITERATE2	G	EncodingAlias charset alias [more aliases]
xml2EncDefault	TAKE1	-	Usage: xml2EncDefault charset
xml2StartParse	ITERATE	-	Ignore anything in front of the first of these elements
"""


@lru_cache(maxsize=1)
def _rules() -> dict[str, ArgRule]:
    out: dict[str, ArgRule] = {}
    for line in _TABLE.splitlines():
        name, how, flag, help_ = line.split("\t")
        out[name.lower()] = ArgRule(name, how, flag == "G", help_)
    return out


def arg_rule(name: str) -> ArgRule | None:
    """The rule for a directive or section opener (`<Directory`), any case."""
    return _rules().get(name.lower())
