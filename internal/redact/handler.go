package redact

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
)

// handler redacts a record's message and attribute values before passing
// the record to the wrapped handler.
type handler struct {
	h slog.Handler
	r *Redactor
}

// NewHandler wraps h so that every record's message and every string, error,
// fmt.Stringer, []byte and http.Header attribute value (inside groups too,
// and in attributes added with WithAttrs) is redacted by r before h sees it.
// Attribute keys and group names are code, not data, and are kept.
func NewHandler(h slog.Handler, r *Redactor) slog.Handler {
	return &handler{h: h, r: r}
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.h.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	msg := h.r.String(rec.Message)
	changed := msg != rec.Message
	if !changed {
		rec.Attrs(func(a slog.Attr) bool {
			_, changed = h.attr(a)
			return !changed
		})
	}
	if !changed {
		return h.h.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, msg, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		na, _ := h.attr(a)
		out.AddAttrs(na)
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i], _ = h.attr(a)
	}
	return &handler{h: h.h.WithAttrs(red), r: h.r}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{h: h.h.WithGroup(name), r: h.r}
}

// attr returns a redacted and whether it differs from a. A LogValuer is
// resolved first; when its value needs no redaction a is returned as is.
func (h *handler) attr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		s := v.String()
		if r := h.r.String(s); r != s {
			return slog.String(a.Key, r), true
		}
	case slog.KindGroup:
		group := v.Group()
		var out []slog.Attr
		for i, ga := range group {
			na, ch := h.attr(ga)
			if ch && out == nil {
				out = make([]slog.Attr, len(group))
				copy(out, group[:i])
			}
			if out != nil {
				out[i] = na
			}
		}
		if out != nil {
			return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
		}
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case fmt.Stringer:
			s = x.String()
		case []byte:
			if r := h.r.Bytes(x); string(r) != string(x) {
				return slog.String(a.Key, string(r)), true
			}
			return a, false
		case http.Header:
			return slog.Any(a.Key, h.r.Header(x)), true
		default:
			return a, false
		}
		if r := h.r.String(s); r != s {
			return slog.String(a.Key, r), true
		}
	}
	return a, false
}
