package docker

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/wharfhq/wharf/internal/runtime"
)

// Events streams lifecycle events of wharf-managed containers.
func (r *Runtime) Events(ctx context.Context) (<-chan runtime.Event, <-chan error) {
	f := client.Filters{}
	f.Add("type", string(events.ContainerEventType))
	f.Add("label", runtime.LabelManaged+"=true")
	// "health_status" matches every "health_status: <status>" action.
	f.Add("event", string(events.ActionStart), string(events.ActionDie), string(events.ActionOOM),
		string(events.ActionHealthStatus), string(events.ActionDestroy))
	res := r.client.Events(ctx, client.EventsListOptions{Filters: f})

	out := make(chan runtime.Event, 16)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		defer close(out)
		for {
			select {
			case msg := <-res.Messages:
				ev, ok := runtimeEvent(msg)
				if !ok {
					continue
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					errs <- ctx.Err()
					return
				}
			case err := <-res.Err:
				if ctx.Err() != nil {
					errs <- ctx.Err()
				} else {
					errs <- fmt.Errorf("docker events: %w", err)
				}
				return
			}
		}
	}()
	return out, errs
}

// eventAttributes are the attributes Docker adds to container events besides
// the container's labels.
var eventAttributes = map[string]bool{"name": true, "image": true, "exitCode": true, "signal": true, "execDuration": true}

// runtimeEvent maps a Docker event message; ok is false for events wharf
// does not report.
func runtimeEvent(msg events.Message) (ev runtime.Event, ok bool) {
	if msg.Type != events.ContainerEventType {
		return runtime.Event{}, false
	}
	action := string(msg.Action)
	switch {
	case msg.Action == events.ActionStart:
		ev.Type = runtime.EventStart
	case msg.Action == events.ActionDie:
		ev.Type = runtime.EventDie
		if code, err := strconv.Atoi(msg.Actor.Attributes["exitCode"]); err == nil {
			ev.ExitCode = &code
		}
	case msg.Action == events.ActionOOM:
		ev.Type = runtime.EventOOM
	case msg.Action == events.ActionDestroy:
		ev.Type = runtime.EventDestroy
	case strings.HasPrefix(action, string(events.ActionHealthStatus)+":"):
		ev.Type = runtime.EventHealthStatus
		ev.Health = strings.TrimSpace(strings.TrimPrefix(action, string(events.ActionHealthStatus)+":"))
	default:
		return runtime.Event{}, false
	}
	ev.ContainerID = msg.Actor.ID
	ev.Name = msg.Actor.Attributes["name"]
	ev.Labels = make(map[string]string, len(msg.Actor.Attributes))
	for k, v := range msg.Actor.Attributes {
		if !eventAttributes[k] {
			ev.Labels[k] = v
		}
	}
	switch {
	case msg.TimeNano != 0:
		ev.Time = time.Unix(0, msg.TimeNano)
	case msg.Time != 0:
		ev.Time = time.Unix(msg.Time, 0)
	}
	return ev, true
}
