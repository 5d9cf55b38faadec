package logcapture

import "time"

// SetTimings shrinks the flush interval and retry backoff for tests.
func (c *Capturer) SetTimings(flush, minBackoff, maxBackoff time.Duration) {
	c.flushInterval, c.minBackoff, c.maxBackoff = flush, minBackoff, maxBackoff
}
