package tokens

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestNormalizeSecret(t *testing.T) {
	pat := fakePAT()
	body := "FAKE" + strings.Repeat("x", 20) // the part a message must never show
	tests := []struct {
		name     string
		in       string
		want     string // "" when an error is expected
		errHas   string
		warnings int
	}{
		{"pat", pat, pat, "", 0},
		{"trailing newline trimmed", pat + "\n", pat, "", 0},
		{"trailing crlf trimmed", pat + "\r\n", pat, "", 0},
		{"only one newline trimmed", pat + "\n\n", "", "line break at character", 0},
		{"empty", "", "", "it is empty", 0},
		{"just a newline", "\n", "", "it is empty", 0},
		{"space inside", "goatapi_" + body[:6] + " " + body[6:], "", "a space at character 15", 0},
		{"leading space", " goatapi_" + body, "", "a space at character 1", 0},
		{"tab", "goatapi_" + body + "\t", "", "a tab at character", 0},
		{"newline inside", "goatapi_" + body[:4] + "\n" + body[4:], "", "a line break at character 13", 0},
		{"NUL", "goatapi_" + body + "\x00", "", "control character (U+0000)", 0},
		{"escape", "goatapi_\x1b" + body, "", "control character (U+001B)", 0},
		{"DEL", "goatapi_" + body + "\x7f", "", "control character (U+007F)", 0},
		{"no-break space", "goatapi_" + body + "\u00a0", "", "whitespace (U+00A0)", 0},
		{"zero-width space", "goatapi_" + body + "\u200b", "", "invisible formatting character (U+200B)", 0},
		{"byte order mark", "\ufeffgoatapi_" + body, "", "invisible formatting character (U+FEFF)", 0},
		{"invalid utf-8", "goatapi_" + body + "\xff", "", "not valid UTF-8", 0},
		{"bearer prefix", "Bearer goatapi_" + body, "", `starts with "Bearer "`, 0},
		{"too short", "abc1234", "", "too short (7 characters)", 0},
		{"too long", "goatapi_" + strings.Repeat("y", MaxSecretLen), "", "too long", 0},
		{"not a pat warns", "eyJhbGciOiJIUzI1NiJ9." + body, "eyJhbGciOiJIUzI1NiJ9." + body, "", 1},
		{"pat with symbols warns", "goatapi_" + body + "-x", "goatapi_" + body + "-x", "", 1},
		{"prefix only warns", "goatapi_", "goatapi_", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warns, err := NormalizeSecret(tt.in)
			if tt.errHas != "" {
				var inv *InvalidError
				if !errors.As(err, &inv) {
					t.Fatalf("NormalizeSecret(<%d bytes>) error = %v, want *InvalidError", len(tt.in), err)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("NormalizeSecret(<%d bytes>) error = %q, want it to contain %q", len(tt.in), err, tt.errHas)
				}
				if strings.Contains(err.Error(), body[:8]) || strings.Contains(err.Error(), "FAKE") {
					t.Errorf("NormalizeSecret error %q echoes the token", err)
				}
				if got != "" {
					t.Errorf("NormalizeSecret returned a secret with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizeSecret(<%d bytes>) error = %v, want nil", len(tt.in), err)
			}
			if got != tt.want {
				t.Errorf("NormalizeSecret(<%d bytes>) = <%d bytes>, want <%d bytes>", len(tt.in), len(got), len(tt.want))
			}
			if len(warns) != tt.warnings {
				t.Errorf("NormalizeSecret warnings = %q, want %d", warns, tt.warnings)
			}
			for _, w := range warns {
				if strings.Contains(w, body[:8]) {
					t.Errorf("warning %q echoes the token", w)
				}
			}
			if tt.name == "not a pat warns" && !strings.Contains(warns[0], "401") {
				t.Errorf("non-PAT warning = %q, want it to mention the 401 a web-session token gets", warns[0])
			}
			if w2, err2 := ValidateSecret(tt.in); err2 != nil || len(w2) != len(warns) {
				t.Errorf("ValidateSecret = %q, %v; want %q, nil", w2, err2, warns)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name, in, errHas string
	}{
		{"simple", "work", ""},
		{"all allowed", "A-z_0.9", ""},
		{"64 chars", strings.Repeat("n", 64), ""},
		{"empty", "", "it is empty"},
		{"65 chars", strings.Repeat("n", 65), "65 characters long"},
		{"space", "my work", "character 3 (' ') is not allowed"},
		{"slash", "a/b", "character 2 ('/') is not allowed"},
		{"non-ascii", "wörk", "is not allowed"},
		{"reserved env", "env", "reserved for the ALIASD_TOKEN"},
		{"token as name", PATPrefix + "FAKEabc", "looks like a token"},
		{"token as name upper", "GOATAPI_FAKEabc", "looks like a token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.in)
			if tt.errHas == "" {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			var inv *InvalidError
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("ValidateName(%q) = %v, want *InvalidError containing %q", tt.in, err, tt.errHas)
			}
			if strings.Contains(err.Error(), "FAKEabc") {
				t.Errorf("ValidateName error %q echoes a token-like name", err)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	re := regexp.MustCompile(`^sha256:[0-9a-f]{8}…[A-Za-z0-9_]{4}$`)
	a, b := fakePAT(), fakePAT()
	fa := Fingerprint(a)
	if !re.MatchString(fa) {
		t.Errorf("Fingerprint(pat) = %q, want it to match %s", fa, re)
	}
	if !strings.HasSuffix(fa, a[len(a)-4:]) {
		t.Errorf("Fingerprint(pat) = %q, want the last 4 characters %q", fa, a[len(a)-4:])
	}
	if Fingerprint(a) != fa {
		t.Errorf("Fingerprint is not stable: %q then %q", fa, Fingerprint(a))
	}
	if fb := Fingerprint(b); fb == fa {
		t.Errorf("Fingerprint(a) = Fingerprint(b) = %q for different tokens", fa)
	}
	if strings.Contains(fa, a[:len(a)-4]) || strings.Contains(fa, PATPrefix) {
		t.Errorf("Fingerprint(pat) = %q reveals more than the last 4 characters", fa)
	}
	// Known value: pins the format across releases (cache keys use it).
	// (sha256sum of the 24 bytes, first 8 hex digits: b14d0f1f.)
	if got, want := Fingerprint("goatapi_0123456789abcdef"), "sha256:b14d0f1f…cdef"; got != want {
		t.Errorf("Fingerprint(fixed) = %q, want %q", got, want)
	}
	short := "abcdefgh1234"
	if got := Fingerprint(short); !regexp.MustCompile(`^sha256:[0-9a-f]{8}$`).MatchString(got) {
		t.Errorf("Fingerprint(12-byte token) = %q, want no tail for short tokens", got)
	}
	// Multi-byte tail: four characters, not four bytes.
	if got := Fingerprint("goatapi_xxxxxxxxxxxxxxéééé"); !strings.HasSuffix(got, "…éééé") {
		t.Errorf("Fingerprint(utf-8 tail) = %q, want suffix …éééé", got)
	}
}
