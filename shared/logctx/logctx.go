// Package logctx carries the attributes every log line of a piece of work
// should have (the SQS message id, the referral's reference) in its
// context, so that each line says which message and referral it is about
// without each call repeating them.
package logctx

import (
	"context"
	"log/slog"
	"time"
)

type key struct{}

// With returns ctx carrying attrs (key, value pairs, as slog takes them)
// besides those it carries already; a key given again replaces the old.
func With(ctx context.Context, args ...any) context.Context {
	old, _ := ctx.Value(key{}).([]slog.Attr)
	r := slog.NewRecord(time.Time{}, 0, "", 0)
	r.Add(args...)
	attrs := append([]slog.Attr{}, old...)
	r.Attrs(func(a slog.Attr) bool {
		for i := range attrs {
			if attrs[i].Key == a.Key {
				attrs[i] = a
				return true
			}
		}
		attrs = append(attrs, a)
		return true
	})
	return context.WithValue(ctx, key{}, attrs)
}

// Handler adds the context's attributes to each record, except those the
// record sets itself.
type Handler struct{ slog.Handler }

// New returns a logger that writes through h, adding the context's attributes.
func New(h slog.Handler) *slog.Logger { return slog.New(Handler{h}) }

// Handle implements slog.Handler.
func (h Handler) Handle(ctx context.Context, r slog.Record) error {
	attrs, _ := ctx.Value(key{}).([]slog.Attr)
	if len(attrs) > 0 {
		has := map[string]bool{}
		r.Attrs(func(a slog.Attr) bool { has[a.Key] = true; return true })
		for _, a := range attrs {
			if !has[a.Key] {
				r.AddAttrs(a)
			}
		}
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return Handler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h Handler) WithGroup(name string) slog.Handler { return Handler{h.Handler.WithGroup(name)} }
