package rpc

import (
	"encoding/json"
	"time"
)

// ProtocolVersion is the version of the aliasd JSON-RPC contract. Clients
// read it from initialize (capabilities.experimental.protocolVersion) and
// from alias/status. It changes only when a method or field is removed or
// changes meaning; additions keep it.
const ProtocolVersion = 1

// Lifecycle and LSP base-protocol methods.
const (
	MethodInitialize          = "initialize"
	MethodInitialized         = "initialized"
	MethodShutdown            = "shutdown"
	MethodExit                = "exit"
	MethodCancelRequest       = "$/cancelRequest"
	MethodProgress            = "$/progress"
	MethodLogMessage          = "window/logMessage"
	MethodShowMessage         = "window/showMessage"
	MethodWorkDoneProgressNew = "window/workDoneProgress/create"
)

// aliasd methods. These names are the public contract; see docs/protocol.md.
const (
	MethodStatus        = "alias/status"
	MethodRequest       = "alias/request"
	MethodPaginate      = "alias/paginate"
	MethodEndpoints     = "alias/endpoints"
	MethodTokenAdd      = "alias/token/add"
	MethodTokenList     = "alias/token/list"
	MethodTokenUse      = "alias/token/use"
	MethodTokenRemove   = "alias/token/remove"
	MethodTokenVerify   = "alias/token/verify"
	MethodHistoryList   = "alias/history/list"
	MethodHistoryGet    = "alias/history/get"
	MethodHistoryExport = "alias/history/export"
	MethodHistoryClear  = "alias/history/clear"
	MethodCacheStats    = "alias/cache/stats"
	MethodCacheClear    = "alias/cache/clear"

	// NotifyHistoryAppended is sent by the server to every connected
	// client after a history entry is committed.
	NotifyHistoryAppended = "alias/history/appended"
)

// ClientInfo names the editor or tool on the other end (LSP clientInfo).
type ClientInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// InitializeParams is the subset of LSP InitializeParams aliasd reads.
// Unknown fields are ignored.
type InitializeParams struct {
	ProcessID             *int            `json:"processId,omitempty"`
	ClientInfo            *ClientInfo     `json:"clientInfo,omitempty"`
	Capabilities          json.RawMessage `json:"capabilities,omitempty"`
	InitializationOptions json.RawMessage `json:"initializationOptions,omitempty"`
}

// ServerInfo identifies the server in InitializeResult.
type ServerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ExperimentalCapabilities is what aliasd puts under
// capabilities.experimental: the protocol version and every alias/* method
// the server answers.
type ExperimentalCapabilities struct {
	ProtocolVersion int      `json:"protocolVersion"`
	Methods         []string `json:"methods"`
	Notifications   []string `json:"notifications"`
}

// ServerCapabilities is LSP's capabilities object; aliasd fills only
// experimental.
type ServerCapabilities struct {
	Experimental ExperimentalCapabilities `json:"experimental"`
}

// InitializeResult answers initialize.
type InitializeResult struct {
	Capabilities ServerCapabilities `json:"capabilities"`
	ServerInfo   ServerInfo         `json:"serverInfo"`
}

// CancelParams is the payload of $/cancelRequest. ID is a number or string.
type CancelParams struct {
	ID json.RawMessage `json:"id"`
}

// ProgressParams is the payload of $/progress (LSP work-done progress).
type ProgressParams struct {
	Token json.RawMessage `json:"token"`
	Value ProgressValue   `json:"value"`
}

// ProgressValue is one begin/report/end step of work-done progress.
type ProgressValue struct {
	Kind        string `json:"kind"` // "begin", "report" or "end"
	Title       string `json:"title,omitempty"`
	Message     string `json:"message,omitempty"`
	Percentage  *int   `json:"percentage,omitempty"`
	Cancellable bool   `json:"cancellable,omitempty"`
}

// MessageType is LSP's MessageType for window/showMessage and
// window/logMessage.
type MessageType int

// LSP message types.
const (
	MessageError   MessageType = 1
	MessageWarning MessageType = 2
	MessageInfo    MessageType = 3
	MessageLog     MessageType = 4
)

// MessageParams is the payload of window/showMessage and window/logMessage.
type MessageParams struct {
	Type    MessageType `json:"type"`
	Message string      `json:"message"`
}

// GovernorState reports a token's rate governor.
type GovernorState struct {
	Fingerprint string  `json:"fingerprint"`
	Rate        float64 `json:"rate"`  // requests per second currently allowed
	Burst       int     `json:"burst"` // bucket size
	Limited     bool    `json:"limited"`
	Queued      int     `json:"queued"`
	Last429     string  `json:"last429,omitempty"` // RFC 3339
	Reason      string  `json:"reason,omitempty"`
}

// StatusResult answers alias/status.
type StatusResult struct {
	Version         string          `json:"version"`
	ProtocolVersion int             `json:"protocolVersion"`
	APIVersion      string          `json:"apiVersion"`
	BaseURL         string          `json:"baseUrl"`
	Profile         string          `json:"profile"`
	Fingerprint     string          `json:"fingerprint,omitempty"`
	TokenStorage    string          `json:"tokenStorage"`
	DataDir         string          `json:"dataDir"`
	ConfigFile      string          `json:"configFile"`
	PID             int             `json:"pid"`
	Mode            string          `json:"mode"` // "standalone" or "shared"
	Sessions        int             `json:"sessions"`
	Governors       []GovernorState `json:"governors,omitempty"`
	Warnings        []string        `json:"warnings,omitempty"`
}

// Cache modes for RequestParams.Cache.
const (
	CacheDefault      = "default"
	CacheNoCache      = "no-cache"
	CacheOnlyIfCached = "only-if-cached"
)

// Cache provenance values for RequestResult.Cache and history entries.
const (
	CacheHit         = "hit"
	CacheMiss        = "miss"
	CacheRevalidated = "revalidated"
	CacheStale       = "stale"
	CacheBypass      = "bypass"
)

// RequestParams asks the daemon to make one API call.
//
// Query values may be strings, numbers, booleans, arrays of those (the key
// is repeated) or, for map parameters such as metadata, objects (sent as
// key[sub]=value).
type RequestParams struct {
	Method     string          `json:"method"`
	Path       string          `json:"path"`
	Query      map[string]any  `json:"query,omitempty"`
	Body       json.RawMessage `json:"body,omitempty"`
	Profile    string          `json:"profile,omitempty"`
	Cache      string          `json:"cache,omitempty"`
	AllowStale *bool           `json:"allowStale,omitempty"` // default true
}

// APIError is the API's error body (google.rpc.Status) plus the gRPC code's
// name.
type APIError struct {
	Code     int               `json:"code"`
	CodeName string            `json:"codeName,omitempty"`
	Message  string            `json:"message"`
	Details  []json.RawMessage `json:"details"`
}

// Diagnostic severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// Diagnostic says what went wrong with a call and what to do about it.
type Diagnostic struct {
	// Class is a stable machine-readable name of the diagnosis
	// (missing_parameter, scope, rate_limited, net_timeout, ...).
	Class    string `json:"class,omitempty"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Detail   string `json:"detail"`
	Hint     string `json:"hint,omitempty"`
}

// RequestResult answers alias/request. An API error is a successful RPC:
// Status, Error and Diagnostic describe it. Status 0 means no HTTP response
// was received (network failure, refused redirect, ...).
type RequestResult struct {
	Status     int               `json:"status"`
	RequestID  string            `json:"requestId"`
	RequestIDs []string          `json:"requestIds,omitempty"` // every attempt, oldest first
	Body       json.RawMessage   `json:"body"`                 // JSON as received; non-JSON as a JSON string
	Headers    map[string]string `json:"headers"`
	DurationMs float64           `json:"durationMs"`
	Attempts   int               `json:"attempts"`
	Cache      string            `json:"cache"`
	AgeSeconds int64             `json:"ageSeconds,omitempty"`
	HistoryID  string            `json:"historyId"`
	Error      *APIError         `json:"error,omitempty"`
	Diagnostic *Diagnostic       `json:"diagnostic,omitempty"`
}

// PaginateParams asks the daemon to walk every page of a list endpoint.
// WorkDoneToken, when set, receives $/progress notifications.
type PaginateParams struct {
	Path          string          `json:"path"`
	Query         map[string]any  `json:"query,omitempty"`
	MaxPages      int             `json:"maxPages,omitempty"`
	MaxItems      int             `json:"maxItems,omitempty"`
	Profile       string          `json:"profile,omitempty"`
	WorkDoneToken json.RawMessage `json:"workDoneToken,omitempty"`
}

// PaginateResult answers alias/paginate.
type PaginateResult struct {
	Items      []json.RawMessage `json:"items"`
	Pages      int               `json:"pages"`
	RequestIDs []string          `json:"requestIds"`
	HistoryIDs []string          `json:"historyIds,omitempty"`
	Truncated  bool              `json:"truncated"`
	Status     int               `json:"status"` // status of the last page fetched
	Error      *APIError         `json:"error,omitempty"`
	Diagnostic *Diagnostic       `json:"diagnostic,omitempty"`
}

// ParamInfo describes one endpoint parameter for alias/endpoints.
type ParamInfo struct {
	Name        string   `json:"name"`
	In          string   `json:"in"`   // "path", "query" or "body"
	Type        string   `json:"type"` // "string", "int64", "double", "bool", "enum", "object", "array"
	Required    bool     `json:"required"`
	Repeated    bool     `json:"repeated,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	Description string   `json:"description,omitempty"`
}

// EndpointInfo describes one API endpoint for alias/endpoints.
type EndpointInfo struct {
	Method     string      `json:"method"`
	Path       string      `json:"path"` // template, e.g. /api/v1/catalog/{id}
	Name       string      `json:"name"` // operation, e.g. GetCatalogItem
	Summary    string      `json:"summary"`
	Params     []ParamInfo `json:"params"`
	Scope      string      `json:"scope"` // catalog, pricing, listings, orders, batch, test
	Pagination string      `json:"pagination,omitempty"`
	Idempotent bool        `json:"idempotent"`
}

// EndpointsResult answers alias/endpoints.
type EndpointsResult struct {
	APIVersion string         `json:"apiVersion"`
	Endpoints  []EndpointInfo `json:"endpoints"`
}

// Token storage values.
const (
	StorageKeyring = "keyring"
	StorageFile    = "file"
	StorageEnv     = "env"
	StorageMemory  = "memory"
)

// TokenAddParams adds or replaces a named token. The token never comes back.
type TokenAddParams struct {
	Name  string `json:"name"`
	Token string `json:"token"`
}

// TokenNameParams names a profile; an empty name means the active one.
type TokenNameParams struct {
	Name string `json:"name,omitempty"`
}

// TokenInfo describes a stored token without revealing it.
type TokenInfo struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"`
	Storage     string `json:"storage"`
	Active      bool   `json:"active"`
}

// TokenAddResult answers alias/token/add.
type TokenAddResult struct {
	Name        string   `json:"name"`
	Fingerprint string   `json:"fingerprint"`
	Storage     string   `json:"storage"`
	Active      bool     `json:"active"`
	Warnings    []string `json:"warnings,omitempty"`
}

// TokenListResult answers alias/token/list, use and remove.
type TokenListResult struct {
	Tokens   []TokenInfo `json:"tokens"`
	Warnings []string    `json:"warnings,omitempty"`
}

// TokenVerifyResult answers alias/token/verify.
type TokenVerifyResult struct {
	OK         bool        `json:"ok"`
	Name       string      `json:"name"`
	Status     int         `json:"status"`
	RequestID  string      `json:"requestId"`
	HistoryID  string      `json:"historyId"`
	Diagnostic *Diagnostic `json:"diagnostic,omitempty"`
}

// HistoryListParams filters alias/history/list. Status is a code ("404") or
// a class ("4xx"); Since/Until are RFC 3339 times; Text searches path, error
// message and diagnostic.
type HistoryListParams struct {
	Limit      int    `json:"limit,omitempty"`
	Cursor     string `json:"cursor,omitempty"`
	Status     string `json:"status,omitempty"`
	ErrorsOnly bool   `json:"errorsOnly,omitempty"`
	Path       string `json:"path,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
	Text       string `json:"text,omitempty"`
	Since      string `json:"since,omitempty"`
	Until      string `json:"until,omitempty"`
}

// HistoryEntry is one recorded call (the summary form used by lists and
// notifications).
type HistoryEntry struct {
	ID           string      `json:"id"`
	Time         time.Time   `json:"time"`
	Method       string      `json:"method"`
	Path         string      `json:"path"`
	Query        string      `json:"query,omitempty"` // redacted, encoded
	Status       int         `json:"status"`
	RequestID    string      `json:"requestId"`
	RequestIDs   []string    `json:"requestIds,omitempty"`
	DurationMs   float64     `json:"durationMs"`
	Attempts     int         `json:"attempts"`
	Cache        string      `json:"cache"`
	Profile      string      `json:"profile,omitempty"`
	Fingerprint  string      `json:"fingerprint,omitempty"`
	APIVersion   string      `json:"apiVersion,omitempty"`
	Client       string      `json:"client,omitempty"`
	ResponseSize int64       `json:"responseSize"`
	Error        *APIError   `json:"error,omitempty"`
	Diagnostic   *Diagnostic `json:"diagnostic,omitempty"`

	// AliasdVersion is the version of aliasd that recorded the entry.
	AliasdVersion string `json:"aliasdVersion,omitempty"`
}

// HTTPMessage is a recorded request or response, redacted and capped.
type HTTPMessage struct {
	Headers   map[string]string `json:"headers,omitempty"`
	Body      string            `json:"body,omitempty"`
	Size      int64             `json:"size"`
	Truncated bool              `json:"truncated,omitempty"`
}

// HistoryDetail is one entry with its request and response (alias/history/get).
type HistoryDetail struct {
	HistoryEntry
	Request  HTTPMessage `json:"request"`
	Response HTTPMessage `json:"response"`
}

// HistoryListResult answers alias/history/list.
type HistoryListResult struct {
	Entries []HistoryEntry `json:"entries"`
	Next    string         `json:"next,omitempty"`
}

// HistoryGetParams looks up one entry by history id or request ID.
type HistoryGetParams struct {
	ID        string `json:"id,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// HistoryExportParams chooses the export format: "har" or "ndjson".
type HistoryExportParams struct {
	Format string `json:"format"`
	HistoryListParams
}

// HistoryExportResult carries the (redacted) export.
type HistoryExportResult struct {
	Format  string `json:"format"`
	Entries int    `json:"entries"`
	Data    string `json:"data"`
}

// RemovedResult answers the clear methods.
type RemovedResult struct {
	Removed int `json:"removed"`
}

// HistoryAppendedParams is the payload of alias/history/appended.
type HistoryAppendedParams struct {
	Entry HistoryEntry `json:"entry"`
}

// CacheParams scopes alias/cache/stats and alias/cache/clear to a path prefix.
type CacheParams struct {
	PathPrefix string `json:"pathPrefix,omitempty"`
}

// CacheStatsResult answers alias/cache/stats.
type CacheStatsResult struct {
	Entries       int   `json:"entries"`
	Bytes         int64 `json:"bytes"`
	MaxBytes      int64 `json:"maxBytes"`
	Hits          int64 `json:"hits"`
	Misses        int64 `json:"misses"`
	Revalidations int64 `json:"revalidations"`
	StaleServes   int64 `json:"staleServes"`
	Evictions     int64 `json:"evictions"`
	FileBytes     int64 `json:"fileBytes"`
}
