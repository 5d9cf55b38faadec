package logs

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure Open.
type Options struct {
	// Now is the clock (ingestion times, creation times, the age limits of
	// PutLogEvents); time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Store holds log groups, streams and events under one directory.
type Store struct {
	dir    string
	now    func() time.Time
	logger *slog.Logger

	// mu guards groups, each group's metadata and stream map, and closed.
	// Operations on events hold it for reading and lock their stream.
	mu     sync.RWMutex
	groups map[string]*group
	closed bool
}

type group struct {
	dir     string
	meta    groupMeta
	streams map[string]*stream
}

// groupMeta is a group's group.json.
type groupMeta struct {
	Name            string            `json:"name"`
	CreationTime    int64             `json:"creationTime"`
	RetentionInDays int               `json:"retentionInDays,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// Group describes a log group.
type Group struct {
	Name            string
	CreationTime    int64 // epoch milliseconds
	RetentionInDays int   // 0: events never expire
	Tags            map[string]string
	StoredBytes     int64
}

// Stream describes a log stream. The event timestamps are zero while the
// stream has no events.
type Stream struct {
	Group               string
	Name                string
	CreationTime        int64
	FirstEventTimestamp int64
	LastEventTimestamp  int64
	LastIngestionTime   int64
	StoredBytes         int64
	Events              int
}

// Event is a stored log event. Times are epoch milliseconds.
type Event struct {
	Stream        string
	ID            string // unique within the group, stable across restarts
	Timestamp     int64
	IngestionTime int64
	Message       string
	Seq           int64 // order of arrival within the stream
}

// Cursor returns the event's position in its stream.
func (e Event) Cursor() Cursor { return Cursor{Timestamp: e.Timestamp, Seq: e.Seq} }

// InputEvent is an event to store.
type InputEvent struct {
	Timestamp int64 // epoch milliseconds
	Message   string
}

const (
	groupsDir   = "groups"
	streamsDir  = "streams"
	groupFile   = "group.json"
	tmpPrefix   = ".tmp-"
	trashPrefix = ".deleted-"
)

// Open opens (creating it if needed) the store in dir and loads every
// group and stream index.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{dir: dir, now: opts.Now, logger: opts.Logger.With("component", "logstore"), groups: map[string]*group{}}
	root := filepath.Join(dir, groupsDir)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create log store: %w", err)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("open log store: %w", err)
	}
	for _, de := range ents {
		path := filepath.Join(root, de.Name())
		if strings.HasPrefix(de.Name(), tmpPrefix) || strings.HasPrefix(de.Name(), trashPrefix) {
			// A creation or deletion a crash interrupted.
			if err := os.RemoveAll(path); err != nil {
				return nil, fmt.Errorf("remove %s: %w", path, err)
			}
			continue
		}
		if !de.IsDir() {
			continue
		}
		g, err := s.loadGroup(path)
		if err != nil {
			return nil, fmt.Errorf("open log group in %s: %w", path, err)
		}
		s.groups[g.meta.Name] = g
	}
	return s, nil
}

func (s *Store) loadGroup(dir string) (*group, error) {
	g := &group{dir: dir, streams: map[string]*stream{}}
	if err := readJSONFile(filepath.Join(dir, groupFile), &g.meta); err != nil {
		return nil, err
	}
	sdir := filepath.Join(dir, streamsDir)
	ents, err := os.ReadDir(sdir)
	if err != nil {
		return nil, err
	}
	for _, de := range ents {
		name := de.Name()
		path := filepath.Join(sdir, name)
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			if err := os.Remove(path); err != nil {
				return nil, err
			}
		case strings.HasSuffix(name, ".events"):
			// An events file whose stream was deleted before the file was.
			meta := strings.TrimSuffix(path, ".events") + ".json"
			if _, err := os.Stat(meta); errors.Is(err, os.ErrNotExist) {
				if err := os.Remove(path); err != nil {
					return nil, err
				}
			}
		case strings.HasSuffix(name, ".json"):
			st, err := loadStream(path, strings.TrimSuffix(path, ".json")+".events", s.logger)
			if err != nil {
				return nil, err
			}
			g.streams[st.name] = st
		}
	}
	return g, nil
}

// Close releases the store. Files are always consistent on disk, so Close
// only makes later calls fail with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *Store) nowMillis() int64 { return s.now().UnixMilli() }

// lookup returns the group; the caller holds s.mu.
func (s *Store) lookup(name string) (*group, error) {
	if s.closed {
		return nil, ErrClosed
	}
	g := s.groups[name]
	if g == nil {
		return nil, fmt.Errorf("%w: %s", ErrGroupNotFound, name)
	}
	return g, nil
}

// lookupStream returns the group and stream; the caller holds s.mu.
func (s *Store) lookupStream(groupName, streamName string) (*group, *stream, error) {
	g, err := s.lookup(groupName)
	if err != nil {
		return nil, nil, err
	}
	st := g.streams[streamName]
	if st == nil {
		return nil, nil, fmt.Errorf("%w: %s in %s", ErrStreamNotFound, streamName, groupName)
	}
	return g, st, nil
}

func (g *group) summary() Group {
	out := Group{Name: g.meta.Name, CreationTime: g.meta.CreationTime, RetentionInDays: g.meta.RetentionInDays,
		Tags: maps.Clone(g.meta.Tags)}
	for _, st := range g.streams {
		st.mu.RLock()
		out.StoredBytes += st.storedBytes
		st.mu.RUnlock()
	}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return out
}

// CreateGroup creates an empty log group.
func (s *Store) CreateGroup(name string, retentionInDays int, tags map[string]string) (Group, error) {
	if err := checkGroupName(name); err != nil {
		return Group{}, err
	}
	if retentionInDays < 0 {
		return Group{}, invalidf("retentionInDays must not be negative.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Group{}, ErrClosed
	}
	if s.groups[name] != nil {
		return Group{}, fmt.Errorf("%w: %s", ErrGroupExists, name)
	}
	root := filepath.Join(s.dir, groupsDir)
	final := filepath.Join(root, nameHash(name))
	tmp, err := os.MkdirTemp(root, tmpPrefix+"*")
	if err != nil {
		return Group{}, err
	}
	g := &group{dir: final, streams: map[string]*stream{}, meta: groupMeta{
		Name: name, CreationTime: s.nowMillis(), RetentionInDays: retentionInDays, Tags: maps.Clone(tags),
	}}
	err = os.Mkdir(filepath.Join(tmp, streamsDir), 0o700)
	if err == nil {
		err = writeJSONFile(filepath.Join(tmp, groupFile), g.meta)
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err == nil {
		err = syncDir(root)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return Group{}, fmt.Errorf("create log group %s: %w", name, err)
	}
	s.groups[name] = g
	return g.summary(), nil
}

// Group describes one log group.
func (s *Store) Group(name string) (Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.lookup(name)
	if err != nil {
		return Group{}, err
	}
	return g.summary(), nil
}

// Groups describes every log group, sorted by name.
func (s *Store) Groups() []Group {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Group, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g.summary())
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// DeleteGroup deletes a log group with its streams and events.
func (s *Store) DeleteGroup(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookup(name)
	if err != nil {
		return err
	}
	root := filepath.Join(s.dir, groupsDir)
	trash, err := os.MkdirTemp(root, trashPrefix+"*")
	if err != nil {
		return err
	}
	// Rename the group away first: a crash during RemoveAll then leaves
	// trash that Open clears, not a half-deleted group.
	gone := filepath.Join(trash, "group")
	if err := os.Rename(g.dir, gone); err != nil {
		_ = os.Remove(trash)
		return fmt.Errorf("delete log group %s: %w", name, err)
	}
	delete(s.groups, name)
	if err := syncDir(root); err != nil {
		s.logger.Warn("sync log store directory", "err", err)
	}
	if err := os.RemoveAll(trash); err != nil {
		s.logger.Warn("remove deleted log group files", "group", name, "err", err)
	}
	return nil
}

// updateGroup changes a group's metadata durably.
func (s *Store) updateGroup(name string, change func(m *groupMeta)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookup(name)
	if err != nil {
		return err
	}
	meta := g.meta
	meta.Tags = maps.Clone(g.meta.Tags)
	change(&meta)
	if err := writeJSONFile(filepath.Join(g.dir, groupFile), meta); err != nil {
		return fmt.Errorf("update log group %s: %w", name, err)
	}
	g.meta = meta
	return nil
}

// SetRetention sets how many days events are kept; 0 keeps them forever.
func (s *Store) SetRetention(name string, days int) error {
	if days < 0 {
		return invalidf("retentionInDays must not be negative.")
	}
	return s.updateGroup(name, func(m *groupMeta) { m.RetentionInDays = days })
}

// TagGroup adds or replaces tags of a group.
func (s *Store) TagGroup(name string, tags map[string]string) error {
	return s.updateGroup(name, func(m *groupMeta) {
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		maps.Copy(m.Tags, tags)
	})
}

// UntagGroup removes tags of a group; unknown keys are ignored.
func (s *Store) UntagGroup(name string, keys []string) error {
	return s.updateGroup(name, func(m *groupMeta) {
		for _, k := range keys {
			delete(m.Tags, k)
		}
	})
}

// CreateStream creates an empty stream in a group.
func (s *Store) CreateStream(groupName, streamName string) (Stream, error) {
	if err := checkStreamName(streamName); err != nil {
		return Stream{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.lookup(groupName)
	if err != nil {
		return Stream{}, err
	}
	if g.streams[streamName] != nil {
		return Stream{}, fmt.Errorf("%w: %s in %s", ErrStreamExists, streamName, groupName)
	}
	base := filepath.Join(g.dir, streamsDir, nameHash(streamName))
	st := newStream(streamName, base+".json", base+".events", s.nowMillis())
	// A leftover events file of a deleted stream of the same name must not
	// come back to life.
	if err := os.Remove(st.eventsPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Stream{}, err
	}
	if err := writeJSONFile(st.metaPath, streamMeta{Name: streamName, CreationTime: st.created}); err != nil {
		return Stream{}, fmt.Errorf("create log stream %s: %w", streamName, err)
	}
	g.streams[streamName] = st
	return st.summary(groupName), nil
}

// Streams describes the streams of a group, sorted by name.
func (s *Store) Streams(groupName string) ([]Stream, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.lookup(groupName)
	if err != nil {
		return nil, err
	}
	out := make([]Stream, 0, len(g.streams))
	for _, st := range g.streams {
		st.mu.RLock()
		out = append(out, st.summary(groupName))
		st.mu.RUnlock()
	}
	slices.SortFunc(out, func(a, b Stream) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Stream describes one stream.
func (s *Store) Stream(groupName, streamName string) (Stream, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, st, err := s.lookupStream(groupName, streamName)
	if err != nil {
		return Stream{}, err
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.summary(groupName), nil
}

// DeleteStream deletes a stream and its events.
func (s *Store) DeleteStream(groupName, streamName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, st, err := s.lookupStream(groupName, streamName)
	if err != nil {
		return err
	}
	// The metadata file is what makes a stream exist: remove it first.
	if err := os.Remove(st.metaPath); err != nil {
		return fmt.Errorf("delete log stream %s: %w", streamName, err)
	}
	delete(g.streams, streamName)
	if err := os.Remove(st.eventsPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.logger.Warn("remove deleted log stream events", "group", groupName, "stream", streamName, "err", err)
	}
	return nil
}
