package alias

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// redirectTo answers every request with a 302 to target + the same path.
func redirectTo(target string, hits *counter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.Method)
		w.Header().Set("X-Request-Id", "rid-redirect")
		http.Redirect(w, r, target+r.URL.Path, http.StatusFound)
	}
}

func TestRedirectOffOriginNeverCarriesToken(t *testing.T) {
	// The "other" listeners record any Authorization header they get.
	otherPort := &recorder{}
	sp := httptest.NewServer(otherPort.handler())
	defer sp.Close()

	// Another host on the same port as the origin: 127.0.0.2:P.
	originL := listenOn(t, "127.0.0.1:0")
	port := originL.Addr().(*net.TCPAddr).Port
	otherHost := &recorder{}
	hl := listenOn(t, fmt.Sprintf("127.0.0.2:%d", port))
	sh := httptest.NewUnstartedServer(otherHost.handler())
	sh.Listener = hl
	sh.Start()
	defer sh.Close()

	// localhost names the same machine but is another origin than 127.0.0.1.
	otherName := &recorder{}
	sn := httptest.NewServer(otherName.handler())
	defer sn.Close()
	nameURL := strings.Replace(sn.URL, "127.0.0.1", "localhost", 1)

	var target string
	hits := &counter{}
	so := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirectTo(target, hits)(w, r)
	}))
	so.Listener = originL
	so.Start()
	defer so.Close()

	tests := []struct {
		name   string
		target string
		rec    *recorder
	}{
		{"other port", sp.URL, otherPort},
		{"other host same port", "http://" + hl.Addr().String(), otherHost},
		{"localhost vs 127.0.0.1", nameURL, otherName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target = tt.target
			env := newEnv(t, so.URL+PathPrefix, nil)
			r := env.do(t, Call{Method: "GET", Path: "/test"})
			if _, auths := tt.rec.seen(); len(auths) != 0 {
				t.Errorf("the other origin received Authorization %q", auths)
			}
			if r.Status != 0 || r.NetClass != NetRedirect {
				t.Fatalf("redirect to %s: status %d class %q, want 0 %q", tt.target, r.Status, r.NetClass, NetRedirect)
			}
			if r.Diagnostic == nil || r.Diagnostic.Class != DiagNetRedirect || !strings.HasPrefix(r.Diagnostic.Title, "Refused redirect to "+tt.target+"/api/v1/test") {
				t.Errorf("diagnostic = %+v, want a refused redirect naming %s", r.Diagnostic, tt.target)
			}
			if r.HTTPStatus != http.StatusFound || r.RequestID != "rid-redirect" {
				t.Errorf("HTTPStatus, RequestID = %d, %q; want 302 and the 3xx's id", r.HTTPStatus, r.RequestID)
			}
			if r.Attempts != 1 {
				t.Errorf("Attempts = %d, want 1 (a refused redirect is not retried)", r.Attempts)
			}
		})
	}
}

func TestRedirectHTTPSToHTTPRefused(t *testing.T) {
	plain := &recorder{}
	sp := httptest.NewServer(plain.handler())
	defer sp.Close()
	u, _ := url.Parse(sp.URL)
	hits := &counter{}
	st := httptest.NewTLSServer(redirectTo("http://"+u.Host, hits))
	defer st.Close()
	env := newEnv(t, st.URL, func(c *Config) { c.Transport = st.Client().Transport })
	r := env.do(t, Call{Method: "GET", Path: "/catalog/x"})
	if n, auths := plain.seen(); n != 0 || len(auths) != 0 {
		t.Errorf("plain listener got %d requests, Authorization %q; want none", n, auths)
	}
	if r.Status != 0 || r.NetClass != NetRedirect {
		t.Fatalf("https→http: status %d class %q, want 0 redirect", r.Status, r.NetClass)
	}
}

func TestRedirectSameOrigin(t *testing.T) {
	var auths []string
	hits := &counter{}
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.add(r.Method)
		auths = append(auths, r.Header.Get("Authorization"))
		switch r.URL.Path {
		case "/api/v1/old":
			http.Redirect(w, r, "/api/v1/test", http.StatusFound)
		case "/api/v1/loop":
			http.Redirect(w, r, "/api/v1/loop", http.StatusFound)
		case "/api/v1/listings":
			http.Redirect(w, r, "/api/v1/listings2", http.StatusFound)
		default:
			writeJSON(w, "rid-final", map[string]any{"ok": true})
		}
	})
	env := newEnv(t, base, nil)

	t.Run("GET followed with the token", func(t *testing.T) {
		auths = nil
		r := env.do(t, Call{Method: "GET", Path: "/old"})
		if r.Status != 200 || r.RequestID != "rid-final" {
			t.Fatalf("status %d id %q, want 200 rid-final", r.Status, r.RequestID)
		}
		if len(auths) != 2 || auths[0] != auths[1] || auths[1] != "Bearer "+env.secret {
			t.Errorf("hops carried Authorization %d times, want both hops", len(auths))
		}
	})
	t.Run("loop stops", func(t *testing.T) {
		r := env.do(t, Call{Method: "GET", Path: "/loop"})
		if r.Status != 0 || r.NetClass != NetRedirect || !strings.Contains(r.NetErr.Error(), "too many redirects") {
			t.Fatalf("loop: status %d class %q err %v", r.Status, r.NetClass, r.NetErr)
		}
	})
	t.Run("write not followed", func(t *testing.T) {
		before := hits.get("POST")
		r := env.do(t, Call{Method: "POST", Path: "/listings", Query: url.Values{"catalog_id": {"x"}}})
		if r.Status != http.StatusFound || r.Diagnostic == nil || r.Diagnostic.Class != DiagNotFollowed {
			t.Fatalf("POST redirect: status %d diag %+v, want 302 %s", r.Status, r.Diagnostic, DiagNotFollowed)
		}
		if got := hits.get("POST") - before; got != 1 {
			t.Errorf("server saw %d POSTs, want 1", got)
		}
	})
}

func TestAuthTransportStripsForeignOrigins(t *testing.T) {
	rec := &recorder{}
	s := httptest.NewServer(rec.handler())
	defer s.Close()
	at := &authTransport{next: http.DefaultTransport}
	secret := fakeToken(t)
	o := originOf(&url.URL{Scheme: "https", Host: "api.alias.org"})
	ctx := withAuth(context.Background(), o, secret)
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/x", nil)
	req.Header.Set("Authorization", "Bearer "+secret) // even if someone set it
	resp, err := at.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, auths := rec.seen(); len(auths) != 0 {
		t.Fatalf("a foreign origin received Authorization %q", auths)
	}
	if req.Header.Get("Authorization") == "" {
		t.Error("RoundTrip modified the caller's request")
	}
}

func TestTokenEchoNeverLeaks(t *testing.T) {
	var secret string
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("X-Echo", "you sent "+tok)
		w.Header().Set("X-Request-Id", "rid-"+tok)
		switch r.URL.Path {
		case "/api/v1/test":
			writeAPIError(w, 401, 16, "token "+tok+" is revoked")
		case "/api/v1/html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprintf(w, "<html><title>Bad gateway for Bearer %s</title></html>", tok)
		default:
			writeJSON(w, "", map[string]any{"note": "your token is " + tok, "details": []any{tok}})
		}
	})
	redactors := []struct {
		name string
		fn   func(string) string
	}{
		{"no Redact", nil},
		{"vault redactor", func(s string) string { return strings.ReplaceAll(s, secret, "«token»") }},
	}
	for _, rd := range redactors {
		for _, path := range []string{"/test", "/html", "/catalog/x"} {
			t.Run(rd.name+" "+path, func(t *testing.T) {
				env := newEnv(t, base, func(c *Config) {
					c.Redact = rd.fn
					c.Retry.MaxAttempts = 2
				})
				secret = env.secret
				r := env.do(t, Call{Method: "GET", Path: path}) // do scans the response
				if r.HTTPStatus == 0 {
					t.Fatalf("no response: %v", r.NetErr)
				}
				raw, _ := json.Marshal(struct {
					R   *Response
					Err string
				}{r, fmt.Sprint(r.NetErr)})
				if bytes.Contains(raw, []byte(env.secret)) {
					t.Errorf("token in marshalled response: %s", raw)
				}
				if r.Error != nil && strings.Contains(r.Error.Message, env.secret) {
					t.Errorf("token in error message %q", r.Error.Message)
				}
				// The cleanup of newEnv scans the captured debug log.
			})
		}
	}
}

func TestTokenInCallInputNeverLeaks(t *testing.T) {
	_, base := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, 404, 5, "no item "+strings.TrimPrefix(r.URL.Path, "/api/v1/catalog/"))
	})
	env := newEnv(t, base, nil)
	// A token pasted into the path or query: the response and log are scanned
	// by env.do and the env's cleanup.
	r := env.do(t, Call{Method: "GET", Path: "/catalog/" + env.secret, Query: url.Values{"q": {env.secret}}})
	if r.Status != 404 || strings.Contains(r.Path+r.URL+r.Query, env.secret) {
		t.Fatalf("status %d path %q url %q query %q", r.Status, r.Path, r.URL, r.Query)
	}
	// A token pasted where a method or header name goes.
	for _, call := range []Call{
		{Method: env.secret, Path: "/test"},
		{Method: "GET", Path: "/test", Header: http.Header{"Authorization": {"Bearer " + env.secret}}},
		{Method: "GET", Path: "/test", Header: http.Header{env.secret + " x": {"v"}}},
	} {
		_, err := env.c.Do(context.Background(), call)
		if err == nil || strings.Contains(err.Error(), env.secret) {
			t.Errorf("Do(%s) error = %v, want an error without the token", call.Method, err)
		}
	}
}
