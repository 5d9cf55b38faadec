package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/model"
)

// The build half of the agent protocol; client implements buildrun.Server.

func (c *client) desiredBuilds(ctx context.Context, cluster, instanceID string, after int64, wait time.Duration) (agentapi.DesiredBuilds, error) {
	var out agentapi.DesiredBuilds
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "wait": {strconv.Itoa(int(wait.Seconds()))}}
	path := agentapi.PathPrefix + "clusters/" + url.PathEscape(cluster) + "/instances/" + url.PathEscape(instanceID) + "/builds?" + q.Encode()
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// PutBuildState reports a build's state.
func (c *client) PutBuildState(ctx context.Context, id string, st model.BuildState) error {
	return c.do(ctx, http.MethodPut, agentapi.PathPrefix+"builds/"+url.PathEscape(id)+"/state", st, nil)
}

// ResolveSecret resolves a buildspec secret reference on the server.
func (c *client) ResolveSecret(ctx context.Context, kind, ref string) (string, error) {
	var out agentapi.SecretValue
	err := c.do(ctx, http.MethodPost, agentapi.PathPrefix+"secrets/resolve", agentapi.SecretRequest{Kind: kind, Ref: ref}, &out)
	if err != nil {
		// Keep the server's explanation, drop the protocol details.
		if _, msg, ok := strings.Cut(err.Error(), "Unprocessable Entity: "); ok {
			return "", fmt.Errorf("%s", msg)
		}
	}
	return out.Value, err
}

// UploadArtifact streams an artifact into the server's artifact store.
func (c *client) UploadArtifact(ctx context.Context, key string, body io.Reader) (agentapi.ArtifactInfo, error) {
	var out agentapi.ArtifactInfo
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+agentapi.PathPrefix+"artifacts/"+strings.Join(segs, "/"), body)
	if err != nil {
		return out, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	// Artifacts may take longer than the poll client's timeout allows.
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return out, fmt.Errorf("upload %s: %s: %s", key, resp.Status, bytes.TrimSpace(msg))
	}
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// DownloadArtifact copies an artifact from the server's artifact store to w.
func (c *client) DownloadArtifact(ctx context.Context, key string, w io.Writer) error {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+agentapi.PathPrefix+"artifacts/"+strings.Join(segs, "/"), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("download artifact %s: %s: %s", key, resp.Status, bytes.TrimSpace(msg))
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
