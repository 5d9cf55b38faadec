// Package logs keeps container and build logs the way CloudWatch Logs
// organises them: log groups holding log streams holding timestamped events.
// It is the storage behind the CloudWatch Logs API (internal/api/logs) and
// knows nothing about the wire protocol.
//
// On disk, under the directory given to Open:
//
//	groups/<hash>/group.json             name, creation time, retention, tags
//	groups/<hash>/streams/<hash>.json    stream name and creation time
//	groups/<hash>/streams/<hash>.events  append-only JSON lines, one per event:
//	                                     {"s":seq,"t":timestamp,"i":ingestion,"m":message}
//
// Directory and file names are hashes of the group and stream names, because
// those names may hold characters (and lengths) that file names cannot; the
// real names are in the JSON files. Metadata files are written to a
// temporary file, fsynced and renamed; a group directory is built under a
// temporary name and renamed into place, and renamed away before it is
// removed, so a crash never leaves half a group behind. Events are appended
// and fsynced once per batch; an incomplete last line left by a crash is cut
// off when the stream is opened again.
//
// Each stream keeps an in-memory index of its events sorted by (timestamp,
// sequence number) with the file offset of each, rebuilt from the events
// file on Open. Reads binary-search that index and read only the records
// they return. The index costs about 48 bytes per stored event; retention
// (Prune) is what bounds it.
//
// Events within a stream are returned in timestamp order, ties in the order
// they were put. Batches must be chronological, may not span more than 24
// hours, and events older than 14 days, older than the group's retention or
// more than 2 hours in the future are rejected individually, as CloudWatch
// Logs does (PutResult).
//
// A Store is safe for concurrent use. Time comes from Options.Now.
package logs
