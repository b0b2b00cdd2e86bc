package redact

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

type valuer struct{ s string }

func (v valuer) LogValue() slog.Value { return slog.StringValue(v.s) }

func TestHandlerRedactsEverywhere(t *testing.T) {
	r := New()
	secret := fakeSecret(t, "goatapi_")
	r.Add(secret)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&buf, nil)
			if format == "json" {
				h = slog.NewJSONHandler(&buf, nil)
			}
			log := slog.New(NewHandler(h, r))
			log = log.With("with", "token="+secret).WithGroup("g").With(slog.Group("inner", "k", secret))
			log.Info("calling with "+secret,
				"str", secret,
				"err", fmt.Errorf("api said: %s", secret),
				"stringer", stringer{"s=" + secret},
				"bytes", []byte("b="+secret),
				"header", http.Header{"Authorization": {"Bearer " + secret}},
				"valuer", valuer{secret},
				slog.Group("grp", "a", 1, "b", "v="+secret),
				"n", 42,
			)
			out := buf.String()
			if strings.Contains(out, secret) {
				t.Fatalf("log output contains the secret:\n%s", out)
			}
			if n := strings.Count(out, Marker); n < 9 {
				t.Errorf("log output has %d markers, want at least 9:\n%s", n, out)
			}
			if !strings.Contains(out, "42") {
				t.Errorf("log output lost a non-secret attribute:\n%s", out)
			}
		})
	}
}

func TestHandlerPassesCleanRecordsThrough(t *testing.T) {
	var buf bytes.Buffer
	r := New()
	r.Add(fakeSecret(t, "goatapi_"))
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}), r))
	log.Debug("hidden")
	log.Info("request done", "status", 200, "path", "/api/v1/test", "err", errors.New("plain"))
	got := buf.String()
	for _, want := range []string{`msg="request done"`, "status=200", "path=/api/v1/test", "err=plain"} {
		if !strings.Contains(got, want) {
			t.Errorf("log output = %q, want it to contain %q", got, want)
		}
	}
	if strings.Contains(got, "hidden") {
		t.Errorf("log output = %q, want debug record filtered out", got)
	}
}
