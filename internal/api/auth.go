package api

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// BearerAuth admits requests carrying "Authorization: Bearer <token>" (the
// agent token that agents and the load balancer data plane present) and
// answers 401 to the rest.
func BearerAuth(token string, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			http.Error(w, "missing or wrong agent token", http.StatusUnauthorized)
			return
		}
		next(w, r)
	})
}
