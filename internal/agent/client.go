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
	"time"

	"github.com/wharfhq/wharf/internal/agentapi"
	"github.com/wharfhq/wharf/internal/model"
)

// client speaks the agent protocol to the server.
type client struct {
	base  string
	token string
	http  *http.Client
}

// errGone means the server does not know the task or instance any more.
var errGone = fmt.Errorf("gone")

func (c *client) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%w: %s", errGone, bytes.TrimSpace(msg))
	case resp.StatusCode >= 300:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(msg))
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func (c *client) desiredTasks(ctx context.Context, cluster, instanceID string, after int64, wait time.Duration) (agentapi.DesiredTasks, error) {
	var out agentapi.DesiredTasks
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "wait": {strconv.Itoa(int(wait.Seconds()))}}
	path := agentapi.PathPrefix + "clusters/" + url.PathEscape(cluster) + "/instances/" + url.PathEscape(instanceID) + "/tasks?" + q.Encode()
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

func (c *client) putState(ctx context.Context, cluster, taskID string, st model.TaskState) error {
	path := agentapi.PathPrefix + "clusters/" + url.PathEscape(cluster) + "/tasks/" + url.PathEscape(taskID) + "/state"
	return c.do(ctx, http.MethodPut, path, st, nil)
}
