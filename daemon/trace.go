package daemon

import (
	"regexp"
	"strings"

	"github.com/aliasd/aliasd/internal/redact"
	"github.com/aliasd/aliasd/rpc"
)

// A traced frame is logged before its handler runs, so a secret it brings
// (alias/token/add's token, initialize's envToken) is not yet registered
// with the redactor, and one without the PAT prefix matches no pattern.
// These members are scrubbed by name.
var (
	envTokenMember = regexp.MustCompile(`("envToken"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	tokenMember    = regexp.MustCompile(`("token"\s*:\s*)"(?:[^"\\]|\\.)*"`)
)

// redactFrame scrubs a frame for the trace log.
func (d *Daemon) redactFrame(s string) string {
	s = envTokenMember.ReplaceAllString(s, `$1"`+redact.Marker+`"`)
	if strings.Contains(s, `"`+rpc.MethodTokenAdd+`"`) {
		s = tokenMember.ReplaceAllString(s, `$1"`+redact.Marker+`"`)
	}
	return d.redactor.String(s)
}
