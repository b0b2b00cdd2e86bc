package rpc

import (
	"strings"
	"time"
)

// Validate checks alias/request params.
func (p *RequestParams) Validate() error {
	switch strings.ToUpper(p.Method) {
	case "":
		return InvalidParam("method", "required (GET, POST or DELETE)")
	case "GET", "POST", "DELETE":
		p.Method = strings.ToUpper(p.Method)
	default:
		return InvalidParam("method", "%q is not an API method (GET, POST or DELETE)", p.Method)
	}
	if err := validPath(p.Path); err != nil {
		return err
	}
	switch p.Cache {
	case "", CacheDefault, CacheNoCache, CacheOnlyIfCached:
	default:
		return InvalidParam("cache", "%q is not one of default, no-cache, only-if-cached", p.Cache)
	}
	if len(p.Body) > 0 && p.Method == "GET" {
		return InvalidParam("body", "a GET request takes no body")
	}
	return nil
}

// Validate checks alias/paginate params.
func (p *PaginateParams) Validate() error {
	if err := validPath(p.Path); err != nil {
		return err
	}
	if p.MaxPages < 0 {
		return InvalidParam("maxPages", "must not be negative")
	}
	if p.MaxItems < 0 {
		return InvalidParam("maxItems", "must not be negative")
	}
	return nil
}

func validPath(path string) error {
	switch {
	case strings.TrimSpace(path) == "":
		return InvalidParam("path", "required, e.g. /catalog or /api/v1/catalog")
	case strings.Contains(path, "://"):
		return InvalidParam("path", "must be a path such as /catalog, not a URL")
	case strings.Contains(path, "?"):
		return InvalidParam("path", "must not contain a query string: use query")
	case strings.Contains(path, ".."):
		return InvalidParam("path", "must not contain ..")
	case strings.ContainsAny(path, " \t\r\n"):
		return InvalidParam("path", "must not contain whitespace")
	}
	return nil
}

// Validate checks alias/token/add params.
func (p *TokenAddParams) Validate() error {
	if p.Name == "" {
		return InvalidParam("name", "required")
	}
	if p.Token == "" {
		return InvalidParam("token", "required")
	}
	return nil
}

// Validate checks alias/history/list params.
func (p *HistoryListParams) Validate() error {
	if p.Limit < 0 {
		return InvalidParam("limit", "must not be negative")
	}
	for field, v := range map[string]string{"since": p.Since, "until": p.Until} {
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return InvalidParam(field, "%q is not an RFC 3339 time", v)
		}
	}
	return nil
}

// Validate checks alias/history/get params.
func (p *HistoryGetParams) Validate() error {
	if p.ID == "" && p.RequestID == "" {
		return InvalidParam("id", "id or requestId is required")
	}
	return nil
}

// Validate checks alias/history/export params.
func (p *HistoryExportParams) Validate() error {
	switch p.Format {
	case "har", "ndjson":
	case "":
		return InvalidParam("format", `required: "har" or "ndjson"`)
	default:
		return InvalidParam("format", `%q is not "har" or "ndjson"`, p.Format)
	}
	return p.HistoryListParams.Validate()
}
