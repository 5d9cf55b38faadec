package lb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/fsutil"

	"github.com/wharfhq/wharf/internal/lbapi"
)

// ConfigFile is the last known configuration in a state directory.
const ConfigFile = "config.json"

// FeedOptions configure a Feed.
type FeedOptions struct {
	ServerURL string // e.g. http://127.0.0.1:7150
	Token     string
	StateDir  string
	Balancer  *Balancer
	Logger    *slog.Logger
	// Client for the server's API; long polls need no overall timeout on it.
	Client *http.Client
	// PollWait is the long-poll wait asked of the server (default 30 s).
	PollWait time.Duration
	// ReportEvery is the health report period (default 5 s); changes are
	// reported at once besides.
	ReportEvery time.Duration
	// MaxBackoff caps the retry delay while the server is unreachable
	// (default 10 s; it starts at 200 ms and doubles).
	MaxBackoff time.Duration
}

// Feed keeps a Balancer configured from the server (lbapi) and reports
// target health back. The Balancer keeps serving and health-checking its
// last configuration whenever the server is away; every configuration is
// saved so that a restarted process serves at once.
type Feed struct {
	o       FeedOptions
	log     *slog.Logger
	applied int64
	have    bool
}

// NewFeed returns a Feed; Run drives it.
func NewFeed(o FeedOptions) *Feed {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{Proxy: nil}}
	}
	if o.PollWait <= 0 {
		o.PollWait = 30 * time.Second
	}
	if o.ReportEvery <= 0 {
		o.ReportEvery = 5 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	o.ServerURL = strings.TrimRight(o.ServerURL, "/")
	return &Feed{o: o, log: o.Logger.With("component", "lb-feed")}
}

// LoadSaved applies the configuration saved in the state directory, if
// any. It reports whether one was found.
func (f *Feed) LoadSaved() (bool, error) {
	buf, err := os.ReadFile(filepath.Join(f.o.StateDir, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var cfg lbapi.Config
	if err := json.Unmarshal(buf, &cfg); err != nil {
		return false, fmt.Errorf("saved config %s: %w", ConfigFile, err)
	}
	f.applied, f.have = cfg.Revision, true
	if err := f.o.Balancer.Apply(cfg); err != nil {
		f.log.Warn("saved configuration applied with errors", "revision", cfg.Revision, "err", err)
	}
	f.log.Info("serving saved configuration", "revision", cfg.Revision)
	return true, nil
}

// Run polls for configurations and reports health until ctx ends. It
// never gives up on an unreachable server.
func (f *Feed) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { defer close(done); f.reportLoop(ctx) }()
	f.pollLoop(ctx)
	<-done
	return nil
}

func (f *Feed) pollLoop(ctx context.Context) {
	backoff := 200 * time.Millisecond
	// A configuration applied with errors (a port in use) is applied again
	// now and then: the next Apply binds what failed.
	var pending *lbapi.Config
	var retryAt time.Time
	failures := 0
	for ctx.Err() == nil {
		if pending != nil && !time.Now().Before(retryAt) {
			if f.o.Balancer.Apply(*pending) == nil {
				pending = nil
			} else {
				retryAt = time.Now().Add(5 * time.Second)
			}
		}
		cfg, err := f.fetch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d := backoff/2 + rand.N(backoff/2+1)
			failures++
			lvl := slog.LevelDebug
			if failures == 1 || failures%30 == 0 {
				lvl = slog.LevelWarn
			}
			f.log.Log(ctx, lvl, "config server unreachable, serving the last configuration", "err", err, "retryIn", d, "revision", f.applied, "failures", failures)
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
			backoff = min(backoff*2, f.o.MaxBackoff)
			continue
		}
		if failures > 0 {
			f.log.Info("config server reachable again", "after", failures)
		}
		backoff, failures = 200*time.Millisecond, 0
		if cfg != nil && (!f.have || cfg.Revision != f.applied) {
			pending = nil
			if f.apply(*cfg) != nil {
				pending, retryAt = cfg, time.Now().Add(5*time.Second)
			}
		}
	}
}

// apply applies and saves a configuration from the server.
func (f *Feed) apply(cfg lbapi.Config) error {
	err := f.o.Balancer.Apply(cfg)
	if err != nil {
		f.log.Warn("configuration applied with errors", "revision", cfg.Revision, "err", err)
	} else {
		f.log.Info("configuration applied", "revision", cfg.Revision)
	}
	f.applied, f.have = cfg.Revision, true
	if perr := saveConfig(f.o.StateDir, cfg); perr != nil {
		f.log.Error("save configuration", "err", perr)
	}
	return err
}

// fetch long-polls the server; a nil Config means no change.
func (f *Feed) fetch(ctx context.Context) (*lbapi.Config, error) {
	after := int64(-1)
	if f.have {
		after = f.applied
	}
	url := f.o.ServerURL + lbapi.PathPrefix + "config?after=" + strconv.FormatInt(after, 10) +
		"&wait=" + strconv.Itoa(int(f.o.PollWait/time.Second))
	ctx, cancel := context.WithTimeout(ctx, f.o.PollWait+15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+f.o.Token)
	resp, err := f.o.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNoContent, http.StatusNotModified:
		return nil, nil
	default:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET config: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var cfg lbapi.Config
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		return nil, fmt.Errorf("decode config: %w", err)
	}
	return &cfg, nil
}

func (f *Feed) reportLoop(ctx context.Context) {
	tick := time.NewTicker(f.o.ReportEvery)
	defer tick.Stop()
	for {
		if err := f.report(ctx); err != nil && ctx.Err() == nil {
			f.log.Debug("health report failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-f.o.Balancer.Changes():
			// Let a burst of transitions settle into one report.
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func (f *Feed) report(ctx context.Context) error {
	body, err := json.Marshal(f.o.Balancer.Health())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.o.ServerURL+lbapi.PathPrefix+"health", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+f.o.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("PUT health: %s", resp.Status)
	}
	return nil
}

// saveConfig stores the configuration durably for the next start.
func saveConfig(dir string, cfg lbapi.Config) error {
	buf, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, ConfigFile), buf, 0o600)
}
