package lb

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// AdminHandler serves the data plane's own endpoints (for the admin
// listener of `wharf lb`, never on a load balancer listener):
//
//	GET /metrics   Prometheus text: per target group requests, 4xx/5xx, healthy targets, response time histogram
//	GET /health    the HealthReport the server receives (JSON)
//	GET /healthz   200 "ok <revision>" while the process serves
func (b *Balancer) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = WritePrometheus(w, b.Metrics())
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(b.Health())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok " + itoa64(b.Revision()) + "\n"))
	})
	return mux
}

func itoa64(n int64) string {
	return strconv.FormatInt(n, 10)
}
