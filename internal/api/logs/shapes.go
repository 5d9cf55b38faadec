package logsapi

// Response shapes that differ from logswire only in leaving out members
// AWS does not send when they are unset (see the package documentation).

type logGroup struct {
	Arn                       string `json:"arn"`
	CreationTime              int64  `json:"creationTime"`
	DeletionProtectionEnabled bool   `json:"deletionProtectionEnabled"`
	LogGroupArn               string `json:"logGroupArn"`
	LogGroupClass             string `json:"logGroupClass"`
	LogGroupName              string `json:"logGroupName"`
	MetricFilterCount         int32  `json:"metricFilterCount"`
	RetentionInDays           int32  `json:"retentionInDays,omitempty"`
	StoredBytes               int64  `json:"storedBytes"`
}

type describeLogGroupsResponse struct {
	LogGroups []logGroup `json:"logGroups"`
	NextToken string     `json:"nextToken,omitempty"`
}

type logStream struct {
	Arn                 string `json:"arn"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
	LogStreamName       string `json:"logStreamName"`
	StoredBytes         int64  `json:"storedBytes"`
}

type describeLogStreamsResponse struct {
	LogStreams []logStream `json:"logStreams"`
	NextToken  string      `json:"nextToken,omitempty"`
}

type rejectedLogEventsInfo struct {
	ExpiredLogEventEndIndex  *int32 `json:"expiredLogEventEndIndex,omitempty"`
	TooNewLogEventStartIndex *int32 `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int32 `json:"tooOldLogEventEndIndex,omitempty"`
}

type putLogEventsResponse struct {
	RejectedLogEventsInfo *rejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
}
