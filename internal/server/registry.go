package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/wharfhq/wharf/internal/api"
	ecrapi "github.com/wharfhq/wharf/internal/api/ecr"
	"github.com/wharfhq/wharf/internal/registry"
	"github.com/wharfhq/wharf/internal/runtime/docker"
)

// RegistryConfig configures the embedded image registry.
type RegistryConfig struct {
	// Listen, when set, serves /v2/ on this extra address too (the API
	// port always serves it).
	Listen string
	// Address is the host:port clients and agents pull from, used in
	// repository URIs and GetAuthorizationToken's proxyEndpoint. Default:
	// the Listen address if set, else the API address (an unspecified
	// host such as 0.0.0.0 becomes 127.0.0.1).
	Address string
	// Auth demands a GetAuthorizationToken token (docker login -u AWS) or
	// the agent token on /v2/. Off by default until wharf authenticates
	// API callers: with anyone able to call GetAuthorizationToken it
	// would protect nothing.
	Auth bool
	// AutoCreate creates repositories on first push (ECR refuses).
	AutoCreate bool
	// SparseManifests accepts /v2/ manifests whose blobs are missing.
	SparseManifests bool
	// GCInterval, GCGrace and LifecycleInterval: see registry.Config.
	GCInterval, GCGrace, LifecycleInterval time.Duration
}

// openRegistry opens the registry under <data-dir>/registry, mounts it
// under /v2/ and the ECR API on the gateway, and runs its maintenance
// (and its own listener, if any) until the server stops.
func (s *Server) openRegistry(ctx, runCtx context.Context, gw *api.Gateway) error {
	rc := s.cfg.Registry
	var ln net.Listener
	if rc.Listen != "" {
		var err error
		if ln, err = net.Listen("tcp", rc.Listen); err != nil {
			return fmt.Errorf("registry: listen on %s: %w", rc.Listen, err)
		}
	}
	addr := rc.Address
	if addr == "" {
		addr = s.Addr()
		if ln != nil {
			addr = ln.Addr().String()
		}
		addr = dialable(addr)
	}
	reg, err := registry.New(ctx, registry.Config{
		Dir: filepath.Join(s.cfg.DataDir, "registry"), Account: s.cfg.Account, Region: s.cfg.Region,
		Address: addr, Auth: rc.Auth, AgentToken: s.token, AutoCreate: rc.AutoCreate,
		SparseManifests: rc.SparseManifests, GCInterval: rc.GCInterval, GCGrace: rc.GCGrace,
		LifecycleInterval: rc.LifecycleInterval, Logger: s.cfg.Logger,
	})
	if err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return err
	}
	s.registry = reg
	gw.Handle("/v2/", reg)
	gw.Handle("/v2", http.RedirectHandler("/v2/", http.StatusMovedPermanently))
	gw.AddJSONService(ecrapi.New(reg, s.cfg.Region, s.cfg.Account, s.cfg.Logger).Service())

	var own *http.Server
	if ln != nil {
		own = &http.Server{Handler: reg, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
		go func() {
			if err := own.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.logger.Error("registry listener", "err", err)
			}
		}()
	}
	s.startLoop(runCtx, "registry", func(ctx context.Context) error {
		err := reg.Run(ctx)
		if own != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = own.Shutdown(sctx)
			cancel()
		}
		_ = reg.Close()
		return err
	})
	s.logger.Info("image registry ready", "address", addr, "auth", rc.Auth, "auto_create", rc.AutoCreate)
	return nil
}

// dialable turns a listen address into one a client can dial.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Registry returns the embedded registry.
func (s *Server) Registry() *registry.Registry { return s.registry }

// registryHosts are the host:port names under which this server's
// registry is reached, for the local agent's pull credentials.
func (s *Server) registryHosts() []string {
	hosts := []string{dialable(s.Addr())}
	if s.registry != nil {
		hosts = append(hosts, s.registry.Address())
	}
	return hosts
}

// AgentRegistryAuth gives an agent's Docker engine the agent token as
// registry credentials (user wharf-agent) for the wharf server's registry:
// the host of serverURL and any of extraHosts. Other registries get none.
func AgentRegistryAuth(serverURL, token string, extraHosts []string) docker.RegistryAuth {
	hosts := map[string]bool{}
	if u, err := url.Parse(serverURL); err == nil && u.Host != "" {
		hosts[u.Host] = true
	}
	for _, h := range extraHosts {
		hosts[h] = true
	}
	return func(host string) (string, string, bool) {
		if !hosts[host] || token == "" {
			return "", "", false
		}
		return registry.AgentUser, token, true
	}
}
