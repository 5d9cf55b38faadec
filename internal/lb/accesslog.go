package lb

import (
	"io"
	"strconv"
	"sync"
	"time"
)

// accessLog writes one line per request, in the spirit of ALB access logs:
//
//	time listener-port client target request_processing_time target_processing_time
//	response_processing_time elb_status target_status "METHOD URI PROTO" "user agent" target_group "trace id"
//
// Times are seconds; a target of "-" and times of -1 mean no target was
// reached (fixed-response, redirect, 503), as in ALB logs.
type accessLog struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

type logEntry struct {
	at                            time.Time
	port                          string
	client, target                string
	reqProc, targetProc, respProc time.Duration
	elbStatus, targetStatus       int
	method, uri, proto, ua        string
	group, trace                  string
}

func (l *accessLog) write(e *logEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf[:0]
	b = e.at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, ' ')
	b = append(b, e.port...)
	b = append(b, ' ')
	b = append(b, e.client...)
	b = append(b, ' ')
	b = appendOr(b, e.target)
	for _, d := range [...]time.Duration{e.reqProc, e.targetProc, e.respProc} {
		b = append(b, ' ')
		if d < 0 {
			b = append(b, "-1"...)
		} else {
			b = strconv.AppendFloat(b, d.Seconds(), 'f', 6, 64)
		}
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.elbStatus), 10)
	b = append(b, ' ')
	if e.targetStatus > 0 {
		b = strconv.AppendInt(b, int64(e.targetStatus), 10)
	} else {
		b = append(b, '-')
	}
	b = append(b, " \""...)
	b = append(b, e.method...)
	b = append(b, ' ')
	b = append(b, e.uri...)
	b = append(b, ' ')
	b = append(b, e.proto...)
	b = append(b, "\" "...)
	b = strconv.AppendQuote(b, e.ua)
	b = append(b, ' ')
	b = appendOr(b, e.group)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, e.trace)
	b = append(b, '\n')
	l.buf = b
	_, _ = l.w.Write(b)
}

func appendOr(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}
