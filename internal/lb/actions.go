package lb

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/internal/model"
)

type actionKind uint8

const (
	actForward actionKind = iota + 1
	actFixed
	actRedirect
)

// action is the compiled terminal action of a rule or listener default.
type action struct {
	kind actionKind

	// forward
	groups      []weightedGroup
	totalWeight int
	groupSticky time.Duration // weighted forward stickiness (cookie AWSALBTG); 0 = off

	// fixed-response
	status      int
	contentType string
	body        string

	// redirect
	redirect redirect
}

type weightedGroup struct {
	tg     *targetGroup
	weight int
	cookie string // AWSALBTG value naming this group
}

type redirect struct {
	protocol, host, port, path, query string
	status                            int
}

// compileActions picks the terminal action of an action list (the lowest
// Order among forward, fixed-response and redirect).
func compileActions(as []model.Action, groups map[string]*targetGroup) (*action, error) {
	sorted := append([]model.Action(nil), as...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Order < sorted[j].Order })
	for _, a := range sorted {
		switch a.Type {
		case "forward":
			out := &action{kind: actForward}
			for _, wg := range a.TargetGroups {
				tg := groups[wg.ARN]
				if tg == nil {
					return nil, fmt.Errorf("forward to unknown target group %s", wg.ARN)
				}
				w := int(wg.Weight)
				if len(a.TargetGroups) == 1 && w == 0 {
					w = 1
				}
				out.groups = append(out.groups, weightedGroup{tg: tg, weight: w, cookie: cookieHash(wg.ARN)})
				out.totalWeight += w
			}
			if len(out.groups) == 0 {
				return nil, fmt.Errorf("forward action without target groups")
			}
			if a.Stickiness != nil && a.Stickiness.Enabled {
				d := time.Duration(a.Stickiness.DurationSeconds) * time.Second
				if d <= 0 {
					d = time.Hour
				}
				out.groupSticky = d
			}
			return out, nil
		case "fixed-response":
			code, err := strconv.Atoi(a.StatusCode)
			if err != nil || code < 200 || code > 599 {
				return nil, fmt.Errorf("fixed-response status code %q", a.StatusCode)
			}
			ct := a.ContentType
			if ct == "" {
				ct = "text/plain; charset=utf-8"
			}
			return &action{kind: actFixed, status: code, contentType: ct, body: a.MessageBody}, nil
		case "redirect":
			st := http.StatusFound
			switch a.RedirectStatus {
			case "HTTP_301":
				st = http.StatusMovedPermanently
			case "HTTP_302", "":
			default:
				return nil, fmt.Errorf("redirect status code %q", a.RedirectStatus)
			}
			rd := redirect{protocol: a.RedirectProtocol, host: a.RedirectHost, port: a.RedirectPort, path: a.RedirectPath, query: a.RedirectQuery, status: st}
			if rd.protocol == "" {
				rd.protocol = "#{protocol}"
			}
			if rd.host == "" {
				rd.host = "#{host}"
			}
			if rd.port == "" {
				rd.port = "#{port}"
			}
			if rd.path == "" {
				rd.path = "/#{path}"
			}
			if a.RedirectQuery == "" {
				rd.query = "#{query}"
			}
			return &action{kind: actRedirect, redirect: rd}, nil
		}
	}
	return nil, fmt.Errorf("no forward, fixed-response or redirect action")
}

func cookieHash(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 36)
}

// pickGroup chooses the target group of a forward action: the sticky one
// named by the AWSALBTG cookie if group stickiness is on and it still has
// weight, else a weighted random one. sticky reports whether the cookie
// must be (re)set.
func (a *action) pickGroup(cookie string) (wg *weightedGroup, setCookie bool) {
	if len(a.groups) == 1 {
		return &a.groups[0], a.groupSticky > 0
	}
	if a.groupSticky > 0 && cookie != "" {
		for i := range a.groups {
			if a.groups[i].cookie == cookie && a.groups[i].weight > 0 {
				return &a.groups[i], true
			}
		}
	}
	if a.totalWeight <= 0 {
		return &a.groups[0], a.groupSticky > 0
	}
	n := rand.IntN(a.totalWeight)
	for i := range a.groups {
		n -= a.groups[i].weight
		if n < 0 {
			return &a.groups[i], a.groupSticky > 0
		}
	}
	return &a.groups[len(a.groups)-1], a.groupSticky > 0
}

// redirectURL expands a redirect action's placeholders against a request
// arriving on a listener port: #{protocol}, #{host}, #{port}, #{path}
// (without its leading slash) and #{query}. A default port of the target
// protocol is left out of the URL.
func (rd *redirect) location(r *http.Request, listenerPort string) string {
	proto := "http"
	host := stripPort(r.Host)
	path := strings.TrimPrefix(r.URL.Path, "/")
	repl := strings.NewReplacer("#{protocol}", proto, "#{host}", host, "#{port}", listenerPort, "#{path}", path, "#{query}", r.URL.RawQuery)
	p := strings.ToLower(repl.Replace(rd.protocol))
	h := repl.Replace(rd.host)
	port := repl.Replace(rd.port)
	pa := repl.Replace(rd.path)
	q := repl.Replace(rd.query)
	if !strings.HasPrefix(pa, "/") {
		pa = "/" + pa
	}
	var b strings.Builder
	b.WriteString(p)
	b.WriteString("://")
	b.WriteString(h)
	if !(p == "http" && port == "80") && !(p == "https" && port == "443") && port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	b.WriteString(pa)
	if q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	return b.String()
}
