package redact

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeSecret returns an obviously fake token made at run time.
func fakeSecret(t testing.TB, prefix string) string {
	t.Helper()
	return prefix + rand.Text()
}

func TestStringRegisteredForms(t *testing.T) {
	r := New()
	pat := fakeSecret(t, "goatapi_")
	odd := "s3cr3t+/=&\"<x>" + rand.Text() // needs URL, JSON escaping
	r.Add(pat)
	r.Add(odd)
	basic := func(user, secret string) string {
		return base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
	}
	jsonInner := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	}
	tests := []struct {
		name, in, secret string
	}{
		{"plain pat", "error: token " + pat + " is revoked", pat},
		{"plain odd", "echo:" + odd + ":end", odd},
		{"query escaped", "/path?t=" + url.QueryEscape(odd) + "&x=1", odd},
		{"path escaped", "/tokens/" + url.PathEscape(odd) + "/x", odd},
		{"json escaped", `{"msg":"` + jsonInner(odd) + `"}`, odd},
		{"base64 alone", "b64=" + base64.StdEncoding.EncodeToString([]byte(odd)), odd},
		{"base64url alone", "b64=" + base64.URLEncoding.EncodeToString([]byte(odd)), odd},
		{"basic auth user a", "creds " + basic("a", odd), odd},
		{"basic auth user ab", "creds " + basic("ab", odd), odd},
		{"basic auth user abc", "creds " + basic("abc", odd), odd},
		{"twice", odd + odd, odd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.String(tt.in)
			if !strings.Contains(got, Marker) {
				t.Fatalf("String(%q) = %q, want a %s marker", "<input>", got, Marker)
			}
			for _, f := range forms(tt.secret) {
				if strings.Contains(got, f) {
					t.Errorf("String(...) = %q still contains a form of the secret", got)
				}
			}
			if strings.Contains(got, tt.secret) {
				t.Errorf("String(...) still contains the secret")
			}
		})
	}
}

func TestStringShapes(t *testing.T) {
	r := New() // nothing registered: shapes only
	tests := []struct {
		name, in, want string
	}{
		{"header line", "Authorization: Bearer abc.def-123\nAccept: */*", "Authorization: [REDACTED]\nAccept: */*"},
		{"header crlf", "authorization: token xyz\r\nHost: a", "authorization: [REDACTED]\r\nHost: a"},
		{"proxy authorization", "Proxy-Authorization: Basic QWxhZGRpbjpvcGVu", "Proxy-Authorization: [REDACTED]"},
		{"json key", `{"Authorization":"Bearer abc123","x":1}`, `{"Authorization":"[REDACTED]","x":1}`},
		{"json array", `{"authorization": ["Bearer abc123"]}`, `{"authorization": ["[REDACTED]"]}`},
		{"go map", "map[Authorization:[Bearer abc123] Accept:[*/*]]", "map[Authorization:[[REDACTED]] Accept:[*/*]]"},
		{"query", "?authorization=xyz123&page=2", "?authorization=[REDACTED]&page=2"},
		{"bearer lower", "got bearer ABCdef123 back", "got bearer [REDACTED] back"},
		{"bearer upper tab", "BEARER\tzzz999", "BEARER\t[REDACTED]"},
		{"bearer url escaped", "h=Bearer%20tok3n", "h=Bearer%20[REDACTED]"},
		{"bearer quoted end", `"Bearer abc123"`, `"Bearer [REDACTED]"`},
		{"pat", "leaked goatapi_AbC123xyz in body", "leaked [REDACTED] in body"},
		{"pat adjacent", "x=goatapi_A1&y", "x=[REDACTED]&y"},
		{"cookie", "Cookie: session=abc; other=def\nX: 1", "Cookie: [REDACTED]\nX: 1"},
		{"set-cookie", "Set-Cookie: id=a3fWa; Secure", "Set-Cookie: [REDACTED]"},
		{"already redacted", "Authorization: [REDACTED]", "Authorization: [REDACTED]"},
		{"already redacted bearer", "Bearer [REDACTED]", "Bearer [REDACTED]"},
		// Left alone: prose and lookalikes.
		{"prose authorization", "authorization failed for this call", "authorization failed for this call"},
		{"prose bearer", "a web-session bearer token gets 401", "a web-session bearer token gets 401"},
		{"bearer placeholder", "Authorization header was Bearer undefined", "Authorization header was Bearer undefined"},
		{"forbearer", "forbearer abc123", "forbearer abc123"},
		{"bare prefix", "tokens start with goatapi_ and letters", "tokens start with goatapi_ and letters"},
		{"cookie prose", "cookie_consent=true", "cookie_consent=true"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			// Redaction is idempotent: history redacts, exports redact again.
			once := r.String(tt.in)
			if twice := r.String(once); twice != once {
				t.Errorf("String(String(%q)) = %q, want %q", tt.in, twice, once)
			}
		})
	}
}

func TestNilRedactorRedactsShapes(t *testing.T) {
	var r *Redactor
	if got, want := r.String("goatapi_abc123"), Marker; got != want {
		t.Errorf("nil.String(pat) = %q, want %q", got, want)
	}
	if got := r.Len(); got != 0 {
		t.Errorf("nil.Len() = %d, want 0", got)
	}
}

func TestAddRemove(t *testing.T) {
	r := New()
	s := fakeSecret(t, "tok-")
	in := "x " + s + " y"
	r.Add(s)
	r.Add(s)
	r.Remove(s)
	if got := r.String(in); strings.Contains(got, s) {
		t.Fatalf("after Add,Add,Remove: String = %q, want secret redacted", got)
	}
	r.Remove(s)
	if got := r.String(in); got != in {
		t.Errorf("after last Remove: String = %q, want %q", got, in)
	}
	r.Remove("never-added") // no panic, no effect
	r.Add("")
	r.Add("REDACT") // inside Marker: ignored
	if got := r.Len(); got != 0 {
		t.Errorf("Len() = %d, want 0", got)
	}
}

func TestSecretAcrossMarkerBoundary(t *testing.T) {
	// A secret that starts with the tail of Marker can appear only after a
	// neighbouring span is replaced; the re-scan must catch it.
	r := New()
	secret := "ED]_" + rand.Text()
	r.Add(secret)
	in := "goatapi_A9" + secret[len("ED]"):] // becomes "[REDACTED]_..." = "...ED]_..."
	if strings.Contains(in, secret) {
		t.Fatal("test input already contains the secret")
	}
	if got := r.String(in); strings.Contains(got, secret) {
		t.Fatalf("String(%q) = %q, contains the secret", in, got)
	}
}

func TestNoMatchReturnsInputWithoutAllocating(t *testing.T) {
	r := New()
	r.Add(fakeSecret(t, "goatapi_"))
	r.Add(fakeSecret(t, "other-"))
	body := strings.Repeat(`{"id":"a1","name":"Air Jordan 1","price_cents":"12000"}`+"\n", 200)
	allocs := testing.AllocsPerRun(50, func() {
		if got := r.String(body); got != body {
			t.Fatal("String changed a body with nothing to redact")
		}
	})
	if allocs != 0 {
		t.Errorf("String(no match) allocated %.1f times per call, want 0", allocs)
	}
	b := []byte(body)
	allocs = testing.AllocsPerRun(50, func() {
		if got := r.Bytes(b); &got[0] != &b[0] {
			t.Fatal("Bytes(no match) returned a copy")
		}
	})
	if allocs != 0 {
		t.Errorf("Bytes(no match) allocated %.1f times per call, want 0", allocs)
	}
}

func TestBytes(t *testing.T) {
	r := New()
	s := fakeSecret(t, "goatapi_")
	r.Add(s)
	in := []byte("token=" + s)
	got := r.Bytes(in)
	if want := "token=" + Marker; string(got) != want {
		t.Errorf("Bytes(%q) = %q, want %q", "token=<secret>", got, want)
	}
	if string(in) != "token="+s {
		t.Errorf("Bytes modified its input")
	}
	if got := r.Bytes(nil); got != nil {
		t.Errorf("Bytes(nil) = %q, want nil", got)
	}
}

func TestHeader(t *testing.T) {
	r := New()
	s := fakeSecret(t, "sess-")
	r.Add(s)
	h := http.Header{
		"Authorization":       {"Bearer " + s},
		"Proxy-Authorization": {"Basic x"},
		"Cookie":              {"a=b"},
		"Set-Cookie":          {"id=1; HttpOnly", "id=2"},
		"X-Echo":              {"you sent " + s},
		"X-Request-Id":        {"req-123"},
	}
	got := r.Header(h)
	for k, want := range map[string][]string{
		"Authorization":       {Marker},
		"Proxy-Authorization": {Marker},
		"Cookie":              {Marker},
		"Set-Cookie":          {Marker, Marker},
		"X-Echo":              {"you sent " + Marker},
		"X-Request-Id":        {"req-123"},
	} {
		if fmt.Sprint(got[k]) != fmt.Sprint(want) {
			t.Errorf("Header(h)[%q] = %q, want %q", k, got[k], want)
		}
	}
	if h.Get("Authorization") != "Bearer "+s {
		t.Errorf("Header modified its input")
	}
	if r.Header(nil) != nil {
		t.Errorf("Header(nil) != nil")
	}
}

func TestConcurrentAddAndString(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	secrets := make([]string, 8)
	for i := range secrets {
		secrets[i] = fakeSecret(t, fmt.Sprintf("c%d-", i))
	}
	for i := range secrets {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r.Add(secrets[i])
		}()
		go func() {
			defer wg.Done()
			for range 100 {
				_ = r.String("x " + secrets[(i+1)%len(secrets)] + " y")
			}
		}()
	}
	wg.Wait()
	for _, s := range secrets {
		if got := r.String("<" + s + ">"); strings.Contains(got, s) {
			t.Errorf("String after concurrent Add = %q, still contains a secret", got)
		}
	}
}

// FuzzRedact checks that a registered secret never survives arbitrary
// surrounding bytes, and that redaction is idempotent.
func FuzzRedact(f *testing.F) {
	f.Add("goatapi_"+strings.Repeat("x", 30), "", "", "")
	f.Add("abcdEFGH1234", "Authorization: Bearer ", " tail", "goatapi_")
	f.Add("ED]zzzzzzzz", "Bearer q1]", "[REDACT", "]")
	f.Add("s3cr3t+/=&\"<x>", "?t=", "%20", "Cookie: ")
	f.Fuzz(func(t *testing.T, secret, pre, mid, post string) {
		// Only secrets the vault would accept: 8+ bytes, no blanks or
		// control characters (tokens.ValidateSecret), and not part of Marker.
		if len(secret) < 8 || strings.ContainsFunc(secret, func(c rune) bool {
			return c <= ' ' || c == 0x7f
		}) || strings.Contains(Marker, secret) {
			t.Skip()
		}
		r := New()
		r.Add(secret)
		in := pre + secret + mid + secret + post
		got := r.String(in)
		if strings.Contains(got, secret) {
			t.Fatalf("String(%q) = %q, still contains the secret %q", in, got, secret)
		}
		if again := r.String(got); strings.Contains(again, secret) {
			t.Fatalf("String(String(x)) = %q, contains the secret", again)
		}
		if b := r.Bytes([]byte(in)); strings.Contains(string(b), secret) {
			t.Fatalf("Bytes(%q) = %q, still contains the secret", in, b)
		}
	})
}

func BenchmarkString(b *testing.B) {
	r := New()
	for i := range 3 {
		r.Add(fmt.Sprintf("goatapi_%d%s", i, rand.Text()))
	}
	line := `{"id":"8f14e45f","name":"Air Jordan 1 Retro High OG","size":10.5,"price_cents":"12000","region_id":3,"consigned":false}` + "\n"
	body := strings.Repeat(line, 64*1024/len(line)+1)[:64*1024]
	secret := "goatapi_" + rand.Text()
	r.Add(secret)
	withHit := body[:32*1024] + "echo " + secret + body[32*1024+len(secret)+5:]
	b.Run("miss-64KiB", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			_ = r.String(body)
		}
	})
	b.Run("hit-64KiB", func(b *testing.B) {
		b.SetBytes(int64(len(withHit)))
		b.ReportAllocs()
		for b.Loop() {
			_ = r.String(withHit)
		}
	})
	// Baseline: one strings.Contains pass over the same body.
	b.Run("baseline-contains-64KiB", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			_ = strings.Contains(body, secret)
		}
	})
}

// TestProseLeftAlone: diagnostics and help text talk about bearer tokens;
// the Bearer rule must not eat their words.
func TestProseLeftAlone(t *testing.T) {
	r := New()
	for _, s := range []string{
		"A session token from the seller web login is refused.",
		"The API answered 401 for this bearer token.",
		"Send a bearer token, then retry.",
	} {
		if got := r.String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
	if got := r.String("Authorization: Bearer abcdefghijklmnop123."); strings.Contains(got, "abcdefghijklmnop123") {
		t.Errorf("a credential ending a sentence survived: %q", got)
	}
}
