package logsapi

import "strings"

// groupARN is the ARN of a log group as TagResource takes it and
// DescribeLogGroups returns it in logGroupArn.
func (h *Handler) groupARN(name string) string {
	return "arn:aws:logs:" + h.region + ":" + h.account + ":log-group:" + name
}

func (h *Handler) streamARN(group, stream string) string {
	return h.groupARN(group) + ":log-stream:" + stream
}

// groupFromARN returns the log group an ARN of this region and account
// names. The ":*" form that DescribeLogGroups returns in arn is accepted.
func (h *Handler) groupFromARN(arn string) (string, bool) {
	prefix := "arn:aws:logs:" + h.region + ":" + h.account + ":log-group:"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, ":*")
	if rest == "" || strings.Contains(rest, ":") {
		return "", false
	}
	return rest, true
}

// groupName resolves the logGroupName / logGroupIdentifier pair of a
// request: exactly one of them, the identifier a name or an ARN.
func (h *Handler) groupName(name, identifier string) (string, error) {
	switch {
	case name != "" && identifier != "":
		return "", invalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != "":
		return name, nil
	case identifier == "":
		return "", invalidParameter("Either logGroupName or logGroupIdentifier must be specified.")
	case strings.HasPrefix(identifier, "arn:"):
		g, ok := h.groupFromARN(identifier)
		if !ok {
			return "", groupNotFound()
		}
		return g, nil
	}
	return identifier, nil
}
