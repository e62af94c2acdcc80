"""Apache directives: where each may appear and which AllowOverride class unlocks it.

Generated from the command tables of httpd 2.4 (the `AP_INIT_*` entries in
server/core.c, modules/**/*.c, include/mpm_common.h, include/ap_listen.h, the
SSL_CMD_* table of mod_ssl) plus PHP's module for Debian's libapache2-mod-php.
Only facts are kept: name, where it is allowed, and the module providing it.

Flags (include/http_config.h):
  S  RSRC_CONF    server config and <VirtualHost>
  D  ACCESS_CONF  <Directory>, <Location>, <Files>, <If> sections
  L  OR_LIMIT     .htaccess with AllowOverride Limit (and any directory section)
  O  OR_OPTIONS   ... AllowOverride Options
  F  OR_FILEINFO  ... AllowOverride FileInfo
  A  OR_AUTHCFG   ... AllowOverride AuthConfig
  I  OR_INDEXES   ... AllowOverride Indexes
  E  EXEC_ON_READ executed while the config is read (Include, Define, <IfModule>...)

In a .htaccess httpd checks `(AllowOverride & req_override) == 0` and then
answers 500 "<Name> not allowed here" (server-behavior.md A3/A6/A8); a name
no loaded module provides is "Invalid command '<Name>'" (A9).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

_CLASSES = {"L": "Limit", "O": "Options", "F": "FileInfo", "A": "AuthConfig", "I": "Indexes"}
ALL_CLASSES = frozenset(_CLASSES.values())


@dataclass(frozen=True, slots=True)
class DirectiveInfo:
    name: str                   # canonical spelling
    flags: str                  # letters as above
    modules: tuple[str, ...]    # module identifiers providing it, e.g. ("rewrite_module",)

    @property
    def server_config(self) -> bool:
        return "S" in self.flags

    @property
    def directory(self) -> bool:
        """Allowed in <Directory>/<Location>/<Files>/<If> sections."""
        return any(c in self.flags for c in "DLOFAI")

    @property
    def htaccess(self) -> bool:
        return self.override is not None and bool(self.override)

    @property
    def override(self) -> frozenset[str]:
        """AllowOverride classes that allow it in .htaccess (empty: never)."""
        return frozenset(_CLASSES[c] for c in self.flags if c in _CLASSES)

    @property
    def exec_on_read(self) -> bool:
        return "E" in self.flags

    def contexts(self) -> set[str]:
        """In the words of the httpd manual: server config, virtual host, directory, .htaccess."""
        out: set[str] = set()
        if self.server_config:
            out |= {"server config", "virtual host"}
        if self.directory:
            out.add("directory")
        if self.override:
            out.add(".htaccess")
        return out


_TABLE = """\
<AuthnProviderAlias S authn_core
<AuthtProviderAlias S autht_core
<AuthzProviderAlias S authz_core
<Directory S core
<DirectoryMatch S core
<Else LOFAI core
<ElseIf LOFAI core
<Files LOFAI core
<FilesMatch LOFAI core
<If LOFAI core
<IfDefine LOFAIE core
<IfDirective LOFAIE core
<IfFile LOFAIE core
<IfModule LOFAIE core
<IfSection LOFAIE core
<IfVersion LOFAIE version
<Limit LA core
<LimitExcept LA core
<Location S core
<LocationMatch S core
<LuaHookAccessChecker LOFAIE lua
<LuaHookAuthChecker LOFAIE lua
<LuaHookCheckUserID LOFAIE lua
<LuaHookFixups LOFAIE lua
<LuaHookMapToStorage LOFAIE lua
<LuaHookPreTranslateName LOFAIE lua
<LuaHookTranslateName LOFAIE lua
<LuaHookTypeChecker LOFAIE lua
<LuaQuickHandler LOFAIE lua
<Macro LOFAIE macro
<MDomain S md
<MDomainSet S md
<Proxy S proxy
<ProxyMatch S proxy
<RequireAll A authz_core
<RequireAny A authz_core
<RequireNone A authz_core
<RequireNotAll A authz_core
<VirtualHost S core
AcceptErrorsNonFatal S mpm_event,mpm_prefork,mpm_worker
AcceptFilter S core
AcceptPathInfo F core
AccessFileName S core
Action F actions
AddAlt I autoindex
AddAltByEncoding I autoindex
AddAltByType I autoindex
AddCharset F mime
AddDefaultCharset F core
AddDescription I autoindex
AddEncoding F mime
AddHandler F mime
AddIcon I autoindex
AddIconByEncoding I autoindex
AddIconByType I autoindex
AddInputFilter F mime
AddLanguage F mime
AddModuleInfo S info
AddOutputFilter F mime
AddOutputFilterByType F filter
AddType F mime
Alias SD alias
AliasMatch S alias
AliasPreservePath F alias
allow L access_compat
AllowCONNECT S proxy_connect
AllowEncodedSlashes S core
AllowHandlers D allowhandlers
AllowMethods D allowmethods
AllowOverride D core
AllowOverrideList D core
Anonymous A authn_anon
Anonymous_LogEmail A authn_anon
Anonymous_MustGiveEmail A authn_anon
Anonymous_NoUserId A authn_anon
Anonymous_VerifyEmail A authn_anon
APREQ2_BrigadeLimit LOFAI apreq
APREQ2_ReadLimit LOFAI apreq
APREQ2_TempDir LOFAI apreq
AsyncFilter S core
AsyncRequestWorkerFactor S mpm_event
AuthBasicAuthoritative A auth_basic
AuthBasicFake A auth_basic
AuthBasicProvider A auth_basic
AuthBasicUseDigestAlgorithm A auth_basic
AuthBearerAuthoritative A auth_bearer
AuthBearerProvider A auth_bearer
AuthBearerProxy A auth_bearer
AuthDBDUserPWQuery D authn_dbd
AuthDBDUserRealmQuery D authn_dbd
AuthDBMGroupFile A authz_dbm
AuthDBMType A authn_dbm
AuthDBMUserFile A authn_dbm
AuthDigestAlgorithm A auth_digest
AuthDigestDomain A auth_digest
AuthDigestNcCheck A auth_digest
AuthDigestNonceFormat A auth_digest
AuthDigestNonceLifetime A auth_digest
AuthDigestProvider A auth_digest
AuthDigestQop A auth_digest
AuthDigestShmemSize S auth_digest
AuthFormAuthoritative A auth_form
AuthFormBody A auth_form
AuthFormDisableNoStore A auth_form
AuthFormFakeBasicAuth A auth_form
AuthFormLocation A auth_form
AuthFormLoginRequiredLocation A auth_form
AuthFormLoginSuccessLocation A auth_form
AuthFormLogoutLocation A auth_form
AuthFormMethod A auth_form
AuthFormMimetype A auth_form
AuthFormPassword A auth_form
AuthFormProvider A auth_form
AuthFormSitePassphrase A auth_form
AuthFormSize D auth_form
AuthFormUsername A auth_form
AuthGroupFile A authz_groupfile
AuthLDAPAuthorizePrefix A authnz_ldap
AuthLDAPBindAuthoritative A authnz_ldap
AuthLDAPBindDN A authnz_ldap
AuthLDAPBindPassword A authnz_ldap
AuthLDAPCharsetConfig S authnz_ldap
AuthLDAPCompareAsUser A authnz_ldap
AuthLDAPCompareDNOnServer A authnz_ldap
AuthLDAPDereferenceAliases A authnz_ldap
AuthLDAPGroupAttribute A authnz_ldap
AuthLDAPGroupAttributeIsDN A authnz_ldap
AuthLDAPInitialBindAsUser A authnz_ldap
AuthLDAPInitialBindPattern A authnz_ldap
AuthLDAPMaxSubGroupDepth A authnz_ldap
AuthLDAPRemoteUserAttribute A authnz_ldap
AuthLDAPRemoteUserIsDN A authnz_ldap
AuthLDAPSearchAsUser A authnz_ldap
AuthLDAPSubGroupAttribute A authnz_ldap
AuthLDAPSubGroupClass A authnz_ldap
AuthLDAPURL A authnz_ldap
AuthMerging A authz_core
AuthName A auth_digest,authn_core
AuthnCacheContext D authn_socache
AuthnCacheEnable S authn_socache
AuthnCacheProvideFor A authn_socache
AuthnCacheSOCache S authn_socache
AuthnCacheTimeout A authn_socache
AuthnzFcgiCheckAuthnProvider F authnz_fcgi
AuthnzFcgiDefineProvider S authnz_fcgi
AuthtJwtClaim A autht_jwt
AuthtJwtDriver S autht_jwt
AuthtJwtSign SA autht_jwt
AuthtJwtVerify SA autht_jwt
AuthType A authn_core
AuthUserFile A authn_file
AuthzDBDLoginToReferer D authz_dbd
AuthzDBDQuery D authz_dbd
AuthzDBDRedirectQuery D authz_dbd
AuthzDBMType A authz_dbm
AuthzSendForbiddenOnFailure A authz_core
BalancerGrowth S proxy
BalancerInherit S proxy
BalancerMember SD proxy
BalancerPersist S proxy
BrotliAlterETag S brotli
BrotliCompressionMaxInputBlock S brotli
BrotliCompressionQuality S brotli
BrotliCompressionWindow S brotli
BrotliFilterNote S brotli
BrowserMatch F setenvif
BrowserMatchNoCase F setenvif
BufferedLogs S log_config
BufferSize D buffer
CacheDefaultExpire SD cache
CacheDetailHeader SD cache
CacheDirLength S cache_disk
CacheDirLevels S cache_disk
CacheDisable SD cache
CacheEnable SD cache
cachefile S file_cache
CacheHeader SD cache
CacheIgnoreCacheControl S cache
CacheIgnoreHeaders S cache
CacheIgnoreNoLastMod SD cache
CacheIgnoreQueryString S cache
CacheIgnoreURLSessionIdentifiers S cache
CacheKeyBaseURL S cache
CacheLastModifiedFactor SD cache
CacheLock S cache
CacheLockMaxAge S cache
CacheLockPath S cache
CacheMaxExpire SD cache
CacheMaxFileSize SD cache_disk
CacheMinExpire SD cache
CacheMinFileSize SD cache_disk
CacheNegotiatedDocs S negotiation
CacheQuickHandler S cache
CacheReadSize SD cache_disk
CacheReadTime SD cache_disk
CacheRoot S cache_disk
CacheSocache S cache_socache
CacheSocacheMaxSize SD cache_socache
CacheSocacheMaxTime SD cache_socache
CacheSocacheMinTime SD cache_socache
CacheSocacheReadSize SD cache_socache
CacheSocacheReadTime SD cache_socache
CacheStaleOnError SD cache
CacheStoreExpired SD cache
CacheStoreNoStore SD cache
CacheStorePrivate SD cache
CGIDScriptTimeout SD cgid
CGIPassAuth A core
CGIScriptTimeout SD cgi
CGIVar F core
CharsetDefault F charset_lite
CharsetOptions F charset_lite
CharsetSourceEnc F charset_lite
CheckBasenameMatch O speling
CheckCaseOnly O speling
CheckSpelling O speling
ChrootDir S unixd
ClientRecheckTime S noloris
CookieDomain F usertrack
CookieExpires F usertrack
CookieHttpOnly F usertrack
CookieName F usertrack
CookieSameSite F usertrack
CookieSecure F usertrack
CookieStyle F usertrack
CookieTracking F usertrack
CoreDumpDirectory S core
CryptoCipher SA crypto
CryptoDriver S crypto
CryptoIV SA crypto
CryptoKey SA crypto
CryptoSize D crypto
CTAuditStorage S ssl_ct
CTLogClient S ssl_ct
CTLogConfigDB S ssl_ct
CTMaxSCTAge S ssl_ct
CTProxyAwareness S ssl_ct
CTSCTStorage S ssl_ct
CTServerHelloSCTLimit S ssl_ct
CTStaticLogConfig S ssl_ct
CTStaticSCTs S ssl_ct
CustomLog S log_config
DAV D dav
DAVBasePath D dav
DAVDepthInfinity SD dav
DAVGenericLockDB D dav_lock
DAVLockDB S dav_fs
DAVLockDBType S dav_fs
DAVLockDiscovery SD dav
DAVMinTimeout SD dav
DAVMSext SD dav
DAVquota SD dav_fs
DBDExptime S dbd
DBDInitSQL S dbd
DBDKeep S dbd
DBDMax S dbd
DBDMin S dbd
DBDParams S dbd
DBDPersist S dbd
DBDPrepareSQL S dbd
DBDriver S dbd
DefaultIcon I autoindex
DefaultLanguage F mime
DefaultRuntimeDir SE core
DefaultStateDir SE core
DefaultType F core
Define SE core
DeflateAlterEtag S deflate
DeflateBufferSize S deflate
DeflateCompressionLevel S deflate
DeflateFilterNote S deflate
DeflateInflateLimitRequestBody LOFAI deflate
DeflateInflateRatioBurst LOFAI deflate
DeflateInflateRatioLimit LOFAI deflate
DeflateMemLevel S deflate
DeflateWindowSize S deflate
deny L access_compat
DirectoryCheckHandler I dir
DirectoryIndex I dir
DirectoryIndexRedirect I dir
DirectorySlash I dir
DocumentRoot S core
DOSBlockingPeriod S evasive20
DOSEmailNotify S evasive20
DOSHashTableSize S evasive20
DOSHTTPResponseCode S evasive20
DOSLogDir S evasive20
DOSPageCount S evasive20
DOSPageInterval S evasive20
DOSSiteCount S evasive20
DOSSiteInterval S evasive20
DOSSystemCommand S evasive20
DOSWhitelist S evasive20
DumpIOInput S dumpio
DumpIOOutput S dumpio
EnableExceptionHook S core
EnableMMAP F core
EnableSendfile F core
Error LOFAI core
ErrorDocument F core
ErrorLog S core
ErrorLogFormat S core
ExpiresActive I expires
ExpiresByType I expires
ExpiresDefault I expires
ExtendedStatus S core
ExtFilterDefine S ext_filter
ExtFilterOptions D ext_filter
FallbackResource I dir
FancyIndexing LOFAI autoindex
FileETag F core
FilterChain O filter
FilterDeclare O filter
FilterProtocol O filter
FilterProvider O filter
FilterTrace SD filter
FirehoseConnectionInput S firehose
FirehoseConnectionOutput S firehose
FirehoseProxyConnectionInput S firehose
FirehoseProxyConnectionOutput S firehose
FirehoseRequestInput S firehose
FirehoseRequestOutput S firehose
FlushMaxPipelined S core
FlushMaxThreshold S core
ForceLanguagePriority F negotiation
ForceType F core
ForensicLog S log_forensic
GlobalLog S log_config
GprofDir S core
Group S unixd
H2CopyFiles F http2
H2Direct S http2
H2EarlyHint FA http2
H2EarlyHints S http2
H2MaxDataFrameLen S http2
H2MaxSessionStreams S http2
H2MaxWorkerIdleSeconds S http2
H2MaxWorkers S http2
H2MinWorkers S http2
H2ModernTLSOnly S http2
H2OutputBuffering S http2
H2Padding S http2
H2ProxyRequests F http2
H2Push SA http2
H2PushDiarySize S http2
H2PushPriority S http2
H2PushResource FA http2
H2SerializeHeaders S http2
H2SessionExtraFiles S http2
H2StreamMaxMemSize S http2
H2StreamTimeout S http2
H2TLSCoolDownSecs S http2
H2TLSWarmUpSize S http2
H2Upgrade SA http2
H2WebSockets S http2
H2WindowSize S http2
Header F headers
HeaderName I autoindex
HeartbeatAddress S heartbeat
HeartbeatListen S heartmonitor
HeartbeatMaxServers S heartmonitor
HeartbeatStorage S heartmonitor,lbmethod_heartbeat
HostnameLookups SD core
HttpContentLengthHeadZero O core
HttpExpectStrict O core
HttpProtocolOptions S core
IdentityCheck SD ident
IdentityCheckTimeout SD ident
ImapBase I imagemap
ImapDefault I imagemap
ImapMenu I imagemap
Include SDE core
IncludeOptional SDE core
IndexForbiddenReturn404 I autoindex
IndexHeadInsert I autoindex
IndexIgnore I autoindex
IndexIgnoreReset I autoindex
IndexOptions I autoindex
IndexOrderDefault I autoindex
IndexStyleSheet I autoindex
InputSed D sed
KeepAlive S http
KeepAliveTimeout S http
KeptBodySize D request
LanguagePriority F negotiation
LDAPCacheEntries S ldap
LDAPCacheTTL S ldap
LDAPConnectionPoolTTL S ldap
LDAPConnectionTimeout S ldap
LDAPLibraryDebug S ldap
LDAPOpCacheEntries S ldap
LDAPOpCacheTTL S ldap
LDAPReferralHopLimit A ldap
LDAPReferrals A ldap
LDAPRetries S ldap
LDAPRetryDelay S ldap
LDAPSharedCacheFile S ldap
LDAPSharedCacheSize S ldap
LDAPTimeout S ldap
LDAPTrustedClientCert A ldap
LDAPTrustedGlobalCert S ldap
LDAPTrustedMode S ldap
LDAPVerifyServerCert S ldap
LimitInternalRecursion S core
LimitRequestBody LOFAI core
LimitRequestFields S core
LimitRequestFieldsize S core
LimitRequestLine S core
LimitXMLRequestBody LOFAI core
Listen S mpm_event,mpm_prefork,mpm_worker
ListenBacklog S mpm_event,mpm_prefork,mpm_worker
ListenCoresBucketsRatio S mpm_event,mpm_prefork,mpm_worker
LoadFile SE so
LoadModule SE so
LogFormat S log_config
LogIOTrackTTFB LOFAI logio
LogIOTrackTTFU LOFAI logio
LogLevel SD core
LogLevelOverride S core
LogMessage SD log_debug
Lua_____ByteCodeHack LOFAI lua
LuaAuthzProvider SE lua
LuaCodeCache LOFAI lua
LuaHookAccessChecker LOFAI lua
LuaHookAuthChecker LOFAI lua
LuaHookCheckUserID LOFAI lua
LuaHookFixups LOFAI lua
LuaHookInsertFilter LOFAI lua
LuaHookLog LOFAI lua
LuaHookMapToStorage LOFAI lua
LuaHookPreTranslateName LOFAI lua
LuaHookTranslateName LOFAI lua
LuaHookTypeChecker LOFAI lua
LuaInherit LOFAI lua
LuaInputFilter LOFAI lua
LuaMapHandler LOFAI lua
LuaOutputFilter LOFAI lua
LuaPackageCPath LOFAI lua
LuaPackagePath LOFAI lua
LuaQuickHandler LOFAI lua
LuaRoot LOFAI lua
LuaScope LOFAI lua
MacroIgnoreBadNesting LOFAIE macro
MacroIgnoreEmptyArgs LOFAIE macro
MaxClientConnections S noloris
MaxClients S mpm_event,mpm_prefork,mpm_worker
MaxConnectionsPerChild S core
MaxKeepAliveRequests S http
MaxMemFree S core
MaxRangeOverlaps SD core
MaxRangeReversals SD core
MaxRanges SD core
MaxRequestsPerChild S core
MaxRequestWorkers S mpm_event,mpm_prefork,mpm_worker
MaxSpareServers S mpm_prefork
MaxSpareThreads S mpm_event,mpm_worker
MDActivationDelay S md
MDBaseServer S md
MDCACertificateFile S md
MDCAChallenges S md
MDCertificateAgreement S md
MDCertificateAuthority S md
MDCertificateCheck S md
MDCertificateFile S md
MDCertificateKeyFile S md
MDCertificateProtocol S md
MDCertificateStatus S md
MDChallengeDns01 S md
MDChallengeDns01Version S md
MDCheckInterval S md
MDContactEmail S md
MDDriveMode S md
MDExternalAccountBinding S md
MDHttpProxy S md
MDMatchNames S md
MDMember S md
MDMembers S md
MDMessageCmd S md
MDMustStaple S md
MDNotifyCmd S md
MDomain S md
MDPortMap S md
MDPrivateKeys S md
MDRenewMode S md
MDRenewWindow S md
MDRequireHttps SA md
MDRetryDelay S md
MDRetryFailover S md
MDServerStatus S md
MDStapleOthers S md
MDStapling S md
MDStaplingKeepResponse S md
MDStaplingRenewWindow S md
MDStoreDir S md
MDStoreLocks S md
MDWarnWindow S md
MemcacheConnTTL S socache_memcache
MergeSlashes S core
MergeTrailers S core
MetaDir I cern_meta
MetaFiles I cern_meta
MetaSuffix I cern_meta
MimeMagicFile S mime_magic
MimeOptions F mime
MinSpareServers S mpm_prefork
MinSpareThreads S mpm_event,mpm_worker
mmapfile S file_cache
ModMimeUsePathInfo D mime
MultiviewsMatch F mime
Mutex S core
NameVirtualHost S core
NoProxy S proxy
Options O core
order L access_compat
OutputSed D sed
PassEnv F env
php_admin_flag SD php
php_admin_value SD php
php_flag O php
php_value O php
PHPINIDir S php
PidFile S core
Port S core
Protocol S core
ProtocolEcho S echo
Protocols S core
ProtocolsHonorOrder S core
Proxy100Continue SD proxy
ProxyAddHeaders SD proxy
ProxyAsyncDelay SD proxy
ProxyAsyncIdleTimeout SD proxy
ProxyBadHeader S proxy
ProxyBlock S proxy
ProxyDomain S proxy
ProxyErrorOverride SD proxy
ProxyExpressDBMFile F proxy_express
ProxyExpressDBMType F proxy_express
ProxyExpressEnable F proxy_express
ProxyFCGIBackendType F proxy_fcgi
ProxyFCGISetEnvIf F proxy_fcgi
ProxyFtpDirCharset SD proxy_ftp
ProxyFtpEscapeWildcards SD proxy_ftp
ProxyFtpListOnWildcard SD proxy_ftp
ProxyHCExpr F proxy_hcheck
ProxyHCTemplate F proxy_hcheck
ProxyHCTPsize S proxy_hcheck
ProxyHTMLBufSize SD proxy_html
ProxyHTMLCharsetOut SD proxy_html
ProxyHTMLDoctype SD proxy_html
ProxyHTMLEnable SD proxy_html
ProxyHTMLEvents SD proxy_html
ProxyHTMLExtended SD proxy_html
ProxyHTMLFixups SD proxy_html
ProxyHTMLInterp SD proxy_html
ProxyHTMLLinks SD proxy_html
ProxyHTMLMeta SD proxy_html
ProxyHTMLStripComments SD proxy_html
ProxyHTMLURLMap SD proxy_html
ProxyIOBufferSize S proxy
ProxyMaxForwards S proxy
ProxyPass SD proxy
ProxyPassInherit S proxy
ProxyPassInterpolateEnv SD proxy
ProxyPassMatch SD proxy
ProxyPassReverse SD proxy
ProxyPassReverseCookieDomain SD proxy
ProxyPassReverseCookiePath SD proxy
ProxyPreserveHost SD proxy
ProxyReceiveBufferSize S proxy
ProxyRemote S proxy
ProxyRemoteMatch S proxy
ProxyRequests S proxy
ProxySCGIInternalRedirect SD proxy_scgi
ProxySCGISendfile SD proxy_scgi
ProxySet SD proxy
ProxySourceAddress S proxy
ProxyStatus S proxy
ProxyTimeout S proxy
ProxyVia S proxy
ProxyWebsocketAsyncDelay SD proxy_wstunnel
ProxyWebsocketFallbackToProxyHttp SD proxy_wstunnel
ProxyWebsocketIdleTimeout SD proxy_wstunnel
QualifyRedirectURL F core
ReadBufferSize SD core
ReadmeName I autoindex
ReceiveBufferSize S mpm_event,mpm_prefork,mpm_worker
Redirect F alias
RedirectMatch F alias
RedirectPermanent F alias
RedirectRelative F alias
RedirectTemp F alias
RedisConnPoolTTL S socache_redis
RedisTimeout S socache_redis
ReflectorHeader O reflector
RegexDefaultOptions S core
RegisterHttpMethod S core
RemoteIPHeader S remoteip
RemoteIPInternalProxy S remoteip
RemoteIPInternalProxyList SE remoteip
RemoteIPProxiesHeader S remoteip
RemoteIPProxyProtocol S remoteip
RemoteIPProxyProtocolExceptions S remoteip
RemoteIPTrustedProxy S remoteip
RemoteIPTrustedProxyList SE remoteip
RemoveCharset F mime
RemoveEncoding F mime
RemoveHandler F mime
RemoveInputFilter F mime
RemoveLanguage F mime
RemoveOutputFilter F mime
RemoveType F mime
RequestHeader F headers
RequestReadTimeout S reqtimeout
Require A authz_core
RewriteBase F rewrite
RewriteCond F rewrite
RewriteEngine F rewrite
RewriteMap S rewrite
RewriteOptions F rewrite
RewriteRule F rewrite
RLimitCPU LOFAI core
RLimitMEM LOFAI core
RLimitNPROC LOFAI core
Satisfy A access_compat
ScoreBoardFile S core
Script SD actions
ScriptAlias SD alias
ScriptAliasMatch S alias
ScriptLog S cgi,cgid
ScriptLogBuffer S cgi,cgid
ScriptLogLength S cgi,cgid
ScriptSock S cgid
SecAction SD security2
SecArgumentSeparator SD security2
SecArgumentsLimit SD security2
SecAuditEngine SD security2
SecAuditLog SD security2
SecAuditLog2 SD security2
SecAuditLogDirMode SD security2
SecAuditLogFileMode SD security2
SecAuditLogFormat SD security2
SecAuditLogParts SD security2
SecAuditLogRelevantStatus SD security2
SecAuditLogStorageDir SD security2
SecAuditLogType SD security2
SecCacheTransformations SD security2
SecChrootDir S security2
SecCollectionTimeout SD security2
SecComponentSignature S security2
SecConnEngine SD security2
SecConnReadStateLimit SD security2
SecConnWriteStateLimit SD security2
SecContentInjection SD security2
SecCookieFormat SD security2
SecCookiev0Separator SD security2
SecDataDir S security2
SecDebugLog SD security2
SecDebugLogLevel SD security2
SecDefaultAction SD security2
SecDisableBackendCompression SD security2
SecGeoLookupDB S security2
SecGsbLookupDB S security2
SecGuardianLog S security2
SecHashEngine SD security2
SecHashKey SD security2
SecHashMethodPm SD security2
SecHashMethodRx SD security2
SecHashParam SD security2
SecHttpBlKey SD security2
SecInterceptOnError SD security2
SecMarker SD security2
SecPcreMatchLimit S security2
SecPcreMatchLimitRecursion S security2
SecReadStateLimit SD security2
SecRemoteRules SD security2
SecRemoteRulesFailAction SD security2
SecRequestBodyAccess SD security2
SecRequestBodyInMemoryLimit SD security2
SecRequestBodyJsonDepthLimit SD security2
SecRequestBodyLimit SD security2
SecRequestBodyLimitAction SD security2
SecRequestBodyNoFilesLimit SD security2
SecRequestEncoding SD security2
SecResponseBodyAccess SD security2
SecResponseBodyLimit SD security2
SecResponseBodyLimitAction SD security2
SecResponseBodyMimeType SD security2
SecResponseBodyMimeTypesClear SD security2
SecRule SD security2
SecRuleEngine SD security2
SecRuleInheritance SD security2
SecRulePerfTime SD security2
SecRuleRemoveById SD security2
SecRuleRemoveByMsg SD security2
SecRuleRemoveByTag SD security2
SecRuleScript SD security2
SecRuleUpdateActionById SD security2
SecRuleUpdateTargetById SD security2
SecRuleUpdateTargetByMsg SD security2
SecRuleUpdateTargetByTag SD security2
SecSensorId S security2
SecServerSignature S security2
SecStatusEngine SD security2
SecStreamInBodyInspection SD security2
SecStreamOutBodyInspection SD security2
SecTmpDir SD security2
SecTmpSaveUploadedFiles SD security2
SecUnicodeCodePage S security2
SecUnicodeMapFile S security2
SecUploadDir SD security2
SecUploadFileLimit SD security2
SecUploadFileMode SD security2
SecUploadKeepFiles SD security2
SecWebAppId SD security2
SecWriteStateLimit SD security2
SecXmlExternalEntity SD security2
SeeRequestTail S core
SendBufferSize S mpm_event,mpm_prefork,mpm_worker
SerfCluster S serf
SerfPass I serf
ServerAdmin S core
ServerAlias S core
ServerLimit S mpm_event,mpm_prefork,mpm_worker
ServerName S core
ServerPath S core
ServerRoot SE core
ServerSignature LOFAI core
ServerTokens S core
Session SA session
SessionCookieMaxAge SA session_cookie
SessionCookieName SA session_cookie
SessionCookieName2 SA session_cookie
SessionCookieRemove SA session_cookie
SessionCryptoCipher SA session_crypto
SessionCryptoDriver S session_crypto
SessionCryptoPassphrase SA session_crypto
SessionCryptoPassphraseFile SD session_crypto
SessionDBDCookieName SA session_dbd
SessionDBDCookieName2 SA session_dbd
SessionDBDCookieRemove SA session_dbd
SessionDBDDeleteLabel SA session_dbd
SessionDBDInsertLabel SA session_dbd
SessionDBDPerUser SA session_dbd
SessionDBDSelectLabel SA session_dbd
SessionDBDUpdateLabel SA session_dbd
SessionEnv SA session
SessionExclude SA session
SessionExpiryUpdateInterval SA session
SessionHeader SA session
SessionInclude SA session
SessionMaxAge SA session
SetEnv F env
SetEnvIf F setenvif
SetEnvIfExpr F setenvif
SetEnvIfNoCase F setenvif
SetHandler F core
SetInputFilter F core
SetOutputFilter F core
SimpleProcCount S mpm_simple
SimpleThreadCount S mpm_simple
SSIEndTag S include
SSIErrorMsg LOFAI include
SSIEtag L include
SSILastModified L include
SSILegacyExprParser L include
SSIStartTag S include
SSITimeFormat LOFAI include
SSIUndefinedEcho LOFAI include
SSLCACertificateFile SA ssl
SSLCACertificatePath SA ssl
SSLCADNRequestFile S ssl
SSLCADNRequestPath S ssl
SSLCARevocationCheck S ssl
SSLCARevocationFile S ssl
SSLCARevocationPath S ssl
SSLCertificateChainFile S ssl
SSLCertificateFile S ssl
SSLCertificateKeyFile S ssl
SSLCipherSuite SA ssl
SSLClientHelloVars S ssl
SSLCompression S ssl
SSLCryptoDevice S ssl
SSLEngine S ssl
SSLFIPS S ssl
SSLHonorCipherOrder S ssl
SSLInsecureRenegotiation S ssl
SSLLog LOFAI ssl
SSLLogLevel LOFAI ssl
SSLOCSPDefaultResponder S ssl
SSLOCSPEnable S ssl
SSLOCSPNoVerify S ssl
SSLOCSPOverrideResponder S ssl
SSLOCSPProxyURL S ssl
SSLOCSPResponderCertificateFile S ssl
SSLOCSPResponderTimeout S ssl
SSLOCSPResponseMaxAge S ssl
SSLOCSPResponseTimeSkew S ssl
SSLOCSPUseRequestNonce S ssl
SSLOpenSSLConfCmd S ssl
SSLOptions O ssl
SSLPassPhraseDialog S ssl
SSLPolicy S ssl
SSLProtocol S ssl
SSLProxyCACertificateFile S ssl
SSLProxyCACertificatePath S ssl
SSLProxyCARevocationCheck S ssl
SSLProxyCARevocationFile S ssl
SSLProxyCARevocationPath S ssl
SSLProxyCheckPeerCN S ssl
SSLProxyCheckPeerExpire S ssl
SSLProxyCheckPeerName S ssl
SSLProxyCipherSuite S ssl
SSLProxyEngine S ssl
SSLProxyMachineCertificateChainFile S ssl
SSLProxyMachineCertificateFile S ssl
SSLProxyMachineCertificatePath S ssl
SSLProxyProtocol S ssl
SSLProxyVerify S ssl
SSLProxyVerifyDepth S ssl
SSLRandomSeed S ssl
SSLRenegBufferSize A ssl
SSLRequire A ssl
SSLRequireSSL A ssl
SSLSessionCache S ssl
SSLSessionCacheTimeout S ssl
SSLSessionTicketKeyFile S ssl
SSLSessionTickets S ssl
SSLSRPUnknownUserSeed S ssl
SSLSRPVerifierFile S ssl
SSLStaplingCache S ssl
SSLStaplingErrorCacheTimeout S ssl
SSLStaplingFakeTryLater S ssl
SSLStaplingForceURL S ssl
SSLStaplingResponderTimeout S ssl
SSLStaplingResponseMaxAge S ssl
SSLStaplingResponseTimeSkew S ssl
SSLStaplingReturnResponderErrors S ssl
SSLStaplingStandardCacheTimeout S ssl
SSLStrictSNIVHostCheck S ssl
SSLUserName SA ssl
SSLUseStapling S ssl
SSLVerifyClient SA ssl
SSLVerifyDepth SA ssl
StartServers S mpm_event,mpm_prefork,mpm_worker
StrictHostCheck S core
Substitute F substitute
SubstituteInheritBefore F substitute
SubstituteMaxLineLength F substitute
Suexec S unixd
SuexecUserGroup S suexec
ThreadLimit S mpm_event,mpm_worker
ThreadsPerChild S mpm_event,mpm_worker
ThreadStackSize S core
Timeout S core
TraceEnable S core
TransferLog S log_config
TrustedProxy S noloris
TypesConfig S mime
UNCList SE core
UnDefine SE core
UndefMacro LOFAIE macro
UnsetEnv F env
Use LOFAIE macro
UseCanonicalName SD core
UseCanonicalPhysicalPort SD core
User S unixd
UserDir S userdir
VirtualDocumentRoot S vhost_alias
VirtualDocumentRootIP S vhost_alias
VirtualScriptAlias S vhost_alias
VirtualScriptAliasIP S vhost_alias
Warning LOFAI core
WatchdogInterval S watchdog
XBitHack O include
xml2EncAlias S xml2enc
xml2EncDefault LOFAI xml2enc
xml2StartParse LOFAI xml2enc
"""


@lru_cache(maxsize=1)
def _table() -> dict[str, DirectiveInfo]:
    # parsed on first use: importing this module stays cheap
    out: dict[str, DirectiveInfo] = {}
    for line in _TABLE.splitlines():
        name, flags, modules = line.split(" ")
        out[name.lower()] = DirectiveInfo(
            name, flags.replace("-", ""), tuple(m + "_module" for m in modules.split(",")))
    return out


@lru_cache(maxsize=2)
def known_names(*, section: bool) -> frozenset[str]:
    """The table's names, lower case: sections (`<directory`) or directives."""
    return frozenset(name for name in _table() if name.startswith("<") == section)


def directive_info(name: str) -> DirectiveInfo | None:
    """What httpd's own modules say about `name` (case-insensitive); sections as `<Directory`
    or `Directory` when the node is a section (pass `<` + node.name)."""
    return _table().get(name.lower())


def _info_for(name: str) -> DirectiveInfo | None:
    info = _table().get(name.lower())
    if info is None and not name.startswith("<"):
        info = _table().get("<" + name.lower())
    return info


def override_class(name: str) -> set[str] | None:
    """AllowOverride classes that let `name` into a .htaccess; set() when it is never
    allowed there; None when no known module provides it."""
    info = _info_for(name)
    if info is None:
        return None
    return set(info.override)


def allowed_in_htaccess(name: str, allow_override: set[str]) -> bool | None:
    """Would httpd accept `name` in a .htaccess under `AllowOverride allow_override`?

    `allow_override` holds class names as written (case-insensitive): All,
    None, AuthConfig, FileInfo, Indexes, Limit, Options (`Options=...` counts
    as Options). None: directive unknown here (a third-party module, or a
    typo: the semantic layer decides with the loaded modules).
    """
    classes = override_class(name)
    if classes is None:
        return None
    granted: set[str] = set()
    for word in allow_override:
        word = word.split("=", 1)[0].lower()
        if word == "all":
            granted |= ALL_CLASSES
        for cls in ALL_CLASSES:
            if cls.lower() == word:
                granted.add(cls)
    return bool(classes & granted)


def providing_modules(name: str) -> tuple[str, ...] | None:
    """Module identifiers that provide `name` (for "Invalid command" checks)."""
    info = _info_for(name)
    return info.modules if info is not None else None
