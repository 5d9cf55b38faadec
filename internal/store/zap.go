package store

import (
	"context"
	"log/slog"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// etcdZap is the zap logger handed to embedded etcd: warnings and errors are
// forwarded to slog (warnings at debug level, since etcd warns routinely
// about single-member setups), everything below is dropped. Once shutdown
// is set, errors are debug too: etcd reports every listener it closes.
func etcdZap(lg *slog.Logger, shutdown *atomic.Bool) *zap.Logger {
	return zap.New(&slogCore{lg: lg, min: zapcore.WarnLevel, shutdown: shutdown})
}

// quietZap is the zap logger for the etcd client, which logs every retry at
// warn level; only errors get through.
func quietZap(lg *slog.Logger) *zap.Logger {
	return zap.New(&slogCore{lg: lg.With("component", "etcd-client"), min: zapcore.ErrorLevel})
}

// slogCore is a zapcore.Core writing to a slog.Logger.
type slogCore struct {
	lg       *slog.Logger
	min      zapcore.Level
	shutdown *atomic.Bool // may be nil
	attrs    []any
}

func (c *slogCore) Enabled(l zapcore.Level) bool { return l >= c.min }

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.attrs = append(append([]any(nil), c.attrs...), fieldAttrs(fields)...)
	return &clone
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	level := slog.LevelDebug
	if e.Level >= zapcore.ErrorLevel && (c.shutdown == nil || !c.shutdown.Load()) {
		level = slog.LevelError
	}
	attrs := append(append([]any(nil), c.attrs...), fieldAttrs(fields)...)
	c.lg.Log(context.Background(), level, e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

func fieldAttrs(fields []zapcore.Field) []any {
	if len(fields) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	attrs := make([]any, 0, 2*len(enc.Fields))
	for k, v := range enc.Fields {
		attrs = append(attrs, slog.Any(k, v))
	}
	return attrs
}
