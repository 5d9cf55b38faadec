package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharfhq/wharf/internal/fsutil"
)

// agentToken returns the configured token, or the one kept in the data
// directory, generating it on first start.
func (s *Server) agentToken() (string, error) {
	if s.cfg.AgentToken != "" {
		return s.cfg.AgentToken, nil
	}
	path := filepath.Join(s.cfg.DataDir, "agent-token")
	buf, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(buf))) > 0 {
		return strings.TrimSpace(string(buf)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read agent token: %w", err)
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b[:])
	if err := fsutil.WriteFileAtomic(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write agent token: %w", err)
	}
	return token, nil
}

// loopbackURL is the URL in-process clients use to reach this server.
func (s *Server) loopbackURL() string {
	host, port, _ := net.SplitHostPort(s.Addr())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
