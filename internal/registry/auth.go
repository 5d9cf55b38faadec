package registry

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// TokenLifetime is how long a GetAuthorizationToken token is valid (ECR:
// 12 hours).
const TokenLifetime = 12 * time.Hour

// Users the registry accepts when auth is on.
const (
	TokenUser = "AWS"         // password: a token from GetAuthorizationToken
	AgentUser = "wharf-agent" // password: the agent token
)

// tokenIssuer mints and checks registry passwords: "<expiry unix>.<hmac>",
// signed with a key kept in the data directory so tokens survive restarts.
type tokenIssuer struct {
	key []byte
	now func() time.Time
}

func openTokenIssuer(path string, now func() time.Time) (*tokenIssuer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b = make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(path, []byte(hex.EncodeToString(b)), 0o600); err != nil {
			return nil, fmt.Errorf("registry: write token key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("registry: read token key: %w", err)
	} else if b, err = hex.DecodeString(strings.TrimSpace(string(b))); err != nil {
		return nil, fmt.Errorf("registry: token key %s: %w", path, err)
	}
	return &tokenIssuer{key: b, now: now}, nil
}

func (t *tokenIssuer) sign(exp int64) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(strconv.FormatInt(exp, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// issue returns a password valid for TokenLifetime and its expiry.
func (t *tokenIssuer) issue() (string, time.Time) {
	exp := t.now().Add(TokenLifetime).Truncate(time.Second)
	return strconv.FormatInt(exp.Unix(), 10) + "." + t.sign(exp.Unix()), exp
}

func (t *tokenIssuer) valid(password string) bool {
	expS, sig, ok := strings.Cut(password, ".")
	if !ok {
		return false
	}
	exp, err := strconv.ParseInt(expS, 10, 64)
	if err != nil || t.now().Unix() >= exp {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(t.sign(exp)))
}

// AuthorizationToken is GetAuthorizationToken's answer.
type AuthorizationToken struct {
	Token         string // base64("AWS:<password>")
	ExpiresAt     time.Time
	ProxyEndpoint string // http://HOST:PORT
}

// AuthorizationToken issues a registry token.
func (r *Registry) AuthorizationToken() AuthorizationToken {
	pw, exp := r.tokens.issue()
	return AuthorizationToken{
		Token:         base64.StdEncoding.EncodeToString([]byte(TokenUser + ":" + pw)),
		ExpiresAt:     exp,
		ProxyEndpoint: "http://" + r.cfg.Address,
	}
}

// authorized checks a request's credentials when auth is on.
func (r *Registry) authorized(req *http.Request) bool {
	if !r.cfg.Auth {
		return true
	}
	user, pw, ok := req.BasicAuth()
	if !ok {
		return false
	}
	switch user {
	case TokenUser:
		return r.tokens.valid(pw)
	case AgentUser:
		return r.cfg.AgentToken != "" && subtle.ConstantTimeCompare([]byte(pw), []byte(r.cfg.AgentToken)) == 1
	}
	return false
}
