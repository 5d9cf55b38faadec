package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"go.etcd.io/etcd/server/v3/embed"
)

// Embedded etcd tuning. Retention keeps an hour of history for watches that
// reconnect; the quota is etcd's recommended default ceiling.
const (
	embeddedName          = "wharf"
	compactionRetention   = "1h"
	quotaBackendBytes     = 2 << 30
	embeddedStartAttempts = 5
)

// startEmbedded starts a single-member etcd in dataDir/etcd, listening on
// free loopback ports, and waits until it serves. It returns the client URL.
func startEmbedded(ctx context.Context, dataDir string, logger *slog.Logger, shutdown *atomic.Bool) (*embed.Etcd, string, error) {
	var lastErr error
	for attempt := 0; attempt < embeddedStartAttempts; attempt++ {
		e, clientURL, err := startEmbeddedOnce(ctx, dataDir, logger, shutdown)
		if err == nil {
			return e, clientURL, nil
		}
		lastErr = err
		// Another process may have taken a port between our probe and
		// etcd's bind; pick new ports and try again.
		if !errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use") {
			break
		}
		logger.Debug("embedded etcd port race, retrying", "attempt", attempt+1, "err", err)
	}
	return nil, "", lastErr
}

func startEmbeddedOnce(ctx context.Context, dataDir string, logger *slog.Logger, shutdown *atomic.Bool) (*embed.Etcd, string, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, "", err
	}
	clientURL := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[0])}
	peerURL := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[1])}

	cfg := embed.NewConfig()
	cfg.Name = embeddedName
	cfg.Dir = filepath.Join(dataDir, "etcd")
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ClusterState = embed.ClusterStateFlagNew // ignored once data exists
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = compactionRetention
	cfg.QuotaBackendBytes = quotaBackendBytes
	// A single member has no follower to catch up: snapshot often and keep
	// few raft entries in memory (etcd's defaults, 10,000 and 5,000, hold
	// tens of MiB of recent writes on the heap).
	cfg.SnapshotCount = 1000
	cfg.SnapshotCatchUpEntries = 500
	// embed.NewConfig leaves this at 0, which makes etcd treat every request
	// as slow and build a warning entry for it (~3-5 % of a write's CPU).
	cfg.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	cfg.EnableGRPCGateway = false
	cfg.UnsafeNoFsync = false // acknowledged writes must survive kill -9
	cfg.Logger = "zap"
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(etcdZap(logger.With("component", "etcd"), shutdown))

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("store: start embedded etcd in %s: %w", cfg.Dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, clientURL.String(), nil
	case err := <-e.Err():
		shutdown.Store(true)
		e.Close()
		return nil, "", fmt.Errorf("store: embedded etcd failed: %w", err)
	case <-ctx.Done():
		shutdown.Store(true)
		e.Server.Stop() // not ready: skip the graceful path
		e.Close()
		return nil, "", fmt.Errorf("store: embedded etcd in %s not ready: %w", cfg.Dir, ctx.Err())
	}
}

// freePorts returns n distinct loopback ports that were free a moment ago.
// All listeners are held until every port is chosen so that the ports differ.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("store: find free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
