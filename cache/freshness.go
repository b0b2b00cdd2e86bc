package cache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxLifetime caps what a server's max-age or Expires can ask for.
const maxLifetime = 365 * 24 * time.Hour

// policy is what a response's headers say about storing it.
type policy struct {
	store    bool          // false: no-store or Vary: *
	lifetime time.Duration // how long the entry is fresh
	noStale  bool          // must-revalidate / proxy-revalidate
}

// responsePolicy applies the server's caching headers on top of the
// endpoint class's TTL. received is when the response arrived.
func responsePolicy(h http.Header, classTTL time.Duration, received time.Time) policy {
	p := policy{store: true, lifetime: classTTL}
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.TrimSpace(f) == "*" {
				p.store = false
			}
		}
	}
	maxAge, haveMaxAge := time.Duration(0), false
	noCache := false
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store":
				p.store = false
			case "no-cache":
				// no-cache="field" only restricts fields; treat the bare
				// directive as "store, always revalidate".
				if arg == "" {
					noCache = true
				}
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(arg), `"`), 10, 64)
				if err == nil && n >= 0 {
					maxAge, haveMaxAge = time.Duration(min(n, int64(maxLifetime/time.Second)))*time.Second, true
				}
			case "must-revalidate", "proxy-revalidate":
				p.noStale = true
			}
		}
	}
	switch {
	case noCache:
		p.lifetime = 0
	case haveMaxAge:
		p.lifetime = maxAge
	case h.Get("Expires") != "":
		p.lifetime = 0 // an invalid Expires means "already expired"
		if exp, err := http.ParseTime(h.Get("Expires")); err == nil {
			base := received
			if d, err := http.ParseTime(h.Get("Date")); err == nil {
				base = d
			}
			p.lifetime = min(max(exp.Sub(base), 0), maxLifetime)
		}
	}
	return p
}
