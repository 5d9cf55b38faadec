package logs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the fixed time of the test clock.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func openTest(t *testing.T, dir string, clock *testClock) *Store {
	t.Helper()
	s, err := Open(dir, Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTestStore(t *testing.T) (*Store, *testClock) {
	clock := &testClock{t: testNow}
	return openTest(t, t.TempDir(), clock), clock
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func mustStream(t *testing.T, s *Store, group, stream string) {
	t.Helper()
	if _, err := s.Group(group); errors.Is(err, ErrGroupNotFound) {
		if _, err := s.CreateGroup(group, 0, nil); err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
	}
	if _, err := s.CreateStream(group, stream); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
}

func mustPut(t *testing.T, s *Store, group, stream string, events ...InputEvent) PutResult {
	t.Helper()
	res, err := s.Put(group, stream, events)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return res
}

func messages(events []Event) string {
	var out []string
	for _, e := range events {
		out = append(out, e.Message)
	}
	return strings.Join(out, ",")
}

func TestNames(t *testing.T) {
	tests := []struct {
		name        string
		group, strm bool
	}{
		{"/ecs/web", true, true},
		{"a.b-c_d#e/F9", true, true},
		{"", false, false},
		{"has space", false, true},
		{"ecs/web/0123", true, true},
		{"colon:name", false, false},
		{"star*", false, false},
		{"ünïcode", false, true},
		{strings.Repeat("a", 512), true, true},
		{strings.Repeat("a", 513), false, false},
	}
	for _, tt := range tests {
		if got := ValidGroupName(tt.name); got != tt.group {
			t.Errorf("ValidGroupName(%q) = %v, want %v", tt.name, got, tt.group)
		}
		if got := ValidStreamName(tt.name); got != tt.strm {
			t.Errorf("ValidStreamName(%q) = %v, want %v", tt.name, got, tt.strm)
		}
	}
}

func TestGroupsAndStreams(t *testing.T) {
	s, _ := newTestStore(t)
	if _, err := s.CreateGroup("bad name", 0, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("CreateGroup(bad name) = %v, want ErrInvalid", err)
	}
	g, err := s.CreateGroup("/ecs/web", 7, map[string]string{"team": "a"})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if g.CreationTime != ms(testNow) || g.RetentionInDays != 7 || g.Tags["team"] != "a" {
		t.Fatalf("group = %+v", g)
	}
	if _, err := s.CreateGroup("/ecs/web", 0, nil); !errors.Is(err, ErrGroupExists) {
		t.Fatalf("second CreateGroup = %v, want ErrGroupExists", err)
	}
	if _, err := s.CreateStream("/nope", "s"); !errors.Is(err, ErrGroupNotFound) {
		t.Fatalf("CreateStream in missing group = %v, want ErrGroupNotFound", err)
	}
	if _, err := s.CreateStream("/ecs/web", "a:b"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("CreateStream(a:b) = %v, want ErrInvalid", err)
	}
	for _, n := range []string{"web/app/2", "web/app/1"} {
		if _, err := s.CreateStream("/ecs/web", n); err != nil {
			t.Fatalf("CreateStream: %v", err)
		}
	}
	if _, err := s.CreateStream("/ecs/web", "web/app/1"); !errors.Is(err, ErrStreamExists) {
		t.Fatalf("second CreateStream = %v, want ErrStreamExists", err)
	}
	streams, err := s.Streams("/ecs/web")
	if err != nil || len(streams) != 2 || streams[0].Name != "web/app/1" {
		t.Fatalf("Streams = %+v, %v", streams, err)
	}
	if err := s.TagGroup("/ecs/web", map[string]string{"env": "prod"}); err != nil {
		t.Fatalf("TagGroup: %v", err)
	}
	if err := s.UntagGroup("/ecs/web", []string{"team"}); err != nil {
		t.Fatalf("UntagGroup: %v", err)
	}
	if g, _ := s.Group("/ecs/web"); len(g.Tags) != 1 || g.Tags["env"] != "prod" {
		t.Fatalf("tags = %v", g.Tags)
	}
	if err := s.DeleteStream("/ecs/web", "web/app/2"); err != nil {
		t.Fatalf("DeleteStream: %v", err)
	}
	if err := s.DeleteStream("/ecs/web", "web/app/2"); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("second DeleteStream = %v, want ErrStreamNotFound", err)
	}
	if err := s.DeleteGroup("/ecs/web"); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	if _, err := s.Group("/ecs/web"); !errors.Is(err, ErrGroupNotFound) {
		t.Fatalf("Group after delete = %v", err)
	}
	if len(s.Groups()) != 0 {
		t.Fatalf("Groups after delete = %v", s.Groups())
	}
}

func TestPutRules(t *testing.T) {
	now := ms(testNow)
	day := int64(24 * time.Hour / time.Millisecond)
	hour := int64(time.Hour / time.Millisecond)
	tests := []struct {
		name      string
		retention int
		ts        []int64
		wantErr   bool
		want      PutResult
	}{
		{"all fine", 0, []int64{now - 1000, now, now}, false, PutResult{Accepted: 3, TooNewStart: 3}},
		{"out of order", 0, []int64{now, now - 1}, true, PutResult{}},
		{"spans more than 24h", 0, []int64{now - day - 1, now}, true, PutResult{}},
		{"too old and spanning", 0, []int64{now - 15*day, now - 14*day - 1, now - 13*day - 23*hour - 1}, true, PutResult{}},
		{"too old prefix", 0, []int64{now - 14*day - 2, now - 14*day - 1, now - 14*day + hour}, false,
			PutResult{Accepted: 1, TooOldEnd: 2, TooNewStart: 3}},
		{"too new suffix", 0, []int64{now, now + 2*hour, now + 2*hour + 1}, false,
			PutResult{Accepted: 2, TooNewStart: 2}},
		{"expired by retention", 1, []int64{now - day - 5, now - day + 5}, false,
			PutResult{Accepted: 1, ExpiredEnd: 1, TooNewStart: 2}},
		{"all rejected", 0, []int64{now + 3*hour}, false, PutResult{TooNewStart: 0}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			g := fmt.Sprintf("g%d", i)
			if _, err := s.CreateGroup(g, tt.retention, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateStream(g, "s"); err != nil {
				t.Fatal(err)
			}
			var in []InputEvent
			for j, ts := range tt.ts {
				in = append(in, InputEvent{Timestamp: ts, Message: fmt.Sprint(j)})
			}
			res, err := s.Put(g, "s", in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Put = %+v, %v; want ErrInvalid", res, err)
				}
				return
			}
			if err != nil || res != tt.want {
				t.Fatalf("Put = %+v, %v; want %+v", res, err, tt.want)
			}
			st, _ := s.Stream(g, "s")
			if st.Events != tt.want.Accepted {
				t.Fatalf("stored %d events, want %d", st.Events, tt.want.Accepted)
			}
		})
	}
	s, _ := newTestStore(t)
	if _, err := s.Put("nope", "s", []InputEvent{{Timestamp: now, Message: "x"}}); !errors.Is(err, ErrGroupNotFound) {
		t.Fatalf("Put to missing group = %v", err)
	}
	s.CreateGroup("g", 0, nil)
	if _, err := s.Put("g", "s", []InputEvent{{Timestamp: now, Message: "x"}}); !errors.Is(err, ErrStreamNotFound) {
		t.Fatalf("Put to missing stream = %v", err)
	}
}

func TestOrderingAcrossBatches(t *testing.T) {
	s, _ := newTestStore(t)
	mustStream(t, s, "g", "s")
	base := ms(testNow) - 100000
	mustPut(t, s, "g", "s", InputEvent{base + 10, "c"}, InputEvent{base + 30, "e"})
	mustPut(t, s, "g", "s", InputEvent{base + 5, "a"}, InputEvent{base + 10, "d"}, InputEvent{base + 20, "d2"})
	mustPut(t, s, "g", "s", InputEvent{base + 7, "b"})
	got, err := s.Read("g", "s", ReadOptions{From: Head})
	if err != nil {
		t.Fatal(err)
	}
	// Equal timestamps keep their order of arrival.
	if m := messages(got); m != "a,b,c,d,d2,e" {
		t.Fatalf("events = %s", m)
	}
	st, _ := s.Stream("g", "s")
	if st.FirstEventTimestamp != base+5 || st.LastEventTimestamp != base+30 || st.LastIngestionTime != ms(testNow) || st.StoredBytes != 7 {
		t.Fatalf("stream = %+v", st)
	}
	ids := map[string]bool{}
	for _, e := range got {
		if ids[e.ID] {
			t.Fatalf("duplicate event id %s", e.ID)
		}
		ids[e.ID] = true
	}
}

func TestReadRanges(t *testing.T) {
	s, _ := newTestStore(t)
	mustStream(t, s, "g", "s")
	base := ms(testNow) - 100000
	var in []InputEvent
	for i := range 10 {
		in = append(in, InputEvent{Timestamp: base + int64(i)*10, Message: fmt.Sprint(i)})
	}
	mustPut(t, s, "g", "s", in...)
	third, _ := s.Read("g", "s", ReadOptions{From: Head, Limit: 3})
	tests := []struct {
		name string
		o    ReadOptions
		want string
	}{
		{"all forward", ReadOptions{From: Head}, "0,1,2,3,4,5,6,7,8,9"},
		{"limit forward", ReadOptions{From: Head, Limit: 3}, "0,1,2"},
		{"after cursor", ReadOptions{From: third[2].Cursor(), Limit: 3}, "3,4,5"},
		{"tail backward", ReadOptions{From: Tail, Backward: true, Limit: 3}, "7,8,9"},
		{"before cursor", ReadOptions{From: third[2].Cursor(), Backward: true}, "0,1"},
		{"before head", ReadOptions{From: Head, Backward: true}, ""},
		{"after tail", ReadOptions{From: Tail}, ""},
		{"start inclusive end exclusive", ReadOptions{From: Head, Start: base + 20, End: base + 50}, "2,3,4"},
		{"range backward", ReadOptions{From: Tail, Backward: true, Start: base + 20, End: base + 50, Limit: 2}, "3,4"},
		{"end before start", ReadOptions{From: Head, Start: base + 50, End: base + 20}, ""},
		{"max bytes", ReadOptions{From: Head, MaxBytes: 2}, "0,1"},
		{"no max bytes", ReadOptions{From: Head, MaxBytes: 0}, "0,1,2,3,4,5,6,7,8,9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Read("g", "s", tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if m := messages(got); m != tt.want {
				t.Fatalf("events = %q, want %q", m, tt.want)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	s, _ := newTestStore(t)
	base := ms(testNow) - 100000
	mustStream(t, s, "g", "app/b")
	mustStream(t, s, "g", "app/a")
	mustStream(t, s, "g", "other")
	mustPut(t, s, "g", "app/a", InputEvent{base + 1, "a1 ERROR"}, InputEvent{base + 3, "a3"}, InputEvent{base + 5, "a5 ERROR"})
	mustPut(t, s, "g", "app/b", InputEvent{base + 1, "b1"}, InputEvent{base + 2, "b2 ERROR"})
	mustPut(t, s, "g", "other", InputEvent{base + 4, "o4 ERROR"})
	errPat, _ := ParsePattern("ERROR")
	tests := []struct {
		name string
		o    FilterOptions
		want string
	}{
		{"interleaved", FilterOptions{}, "a1 ERROR,b1,b2 ERROR,a3,o4 ERROR,a5 ERROR"},
		{"prefix", FilterOptions{Prefix: "app/"}, "a1 ERROR,b1,b2 ERROR,a3,a5 ERROR"},
		{"names", FilterOptions{Streams: []string{"other", "app/b", "missing"}}, "b1,b2 ERROR,o4 ERROR"},
		{"time", FilterOptions{Start: base + 2, End: base + 5}, "b2 ERROR,a3,o4 ERROR"},
		{"pattern", FilterOptions{Match: errPat.Match}, "a1 ERROR,b2 ERROR,o4 ERROR,a5 ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Filter("g", tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if m := messages(res.Events); m != tt.want || res.More {
				t.Fatalf("events = %q (more %v), want %q", m, res.More, tt.want)
			}
		})
	}
	// Paging with Limit, then with MaxScan (pages without matches).
	for _, o := range []FilterOptions{{Limit: 2}, {MaxScan: 1, Match: errPat.Match}} {
		var all []string
		for range 20 {
			res, err := s.Filter("g", o)
			if err != nil {
				t.Fatal(err)
			}
			if m := messages(res.Events); m != "" {
				all = append(all, m)
			}
			if !res.More {
				break
			}
			next := res.Next
			o.After = &next
		}
		got := strings.Join(all, ",")
		want := "a1 ERROR,b1,b2 ERROR,a3,o4 ERROR,a5 ERROR"
		if o.Match != nil {
			want = "a1 ERROR,b2 ERROR,o4 ERROR,a5 ERROR"
		}
		if got != want {
			t.Fatalf("paged events = %q, want %q", got, want)
		}
	}
	if _, err := s.Filter("nope", FilterOptions{}); !errors.Is(err, ErrGroupNotFound) {
		t.Fatalf("Filter(missing) = %v", err)
	}
}

func TestRetentionPrune(t *testing.T) {
	s, clock := newTestStore(t)
	day := 24 * time.Hour
	if _, err := s.CreateGroup("keep", 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup("short", 1, nil); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"keep", "short"} {
		if _, err := s.CreateStream(g, "s"); err != nil {
			t.Fatal(err)
		}
		mustPut(t, s, g, "s", InputEvent{ms(testNow.Add(-20 * time.Hour)), "old"}, InputEvent{ms(testNow), "new"})
	}
	before, _ := s.Read("short", "s", ReadOptions{From: Head})
	n, err := s.Prune(testNow.Add(day - time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	got, _ := s.Read("short", "s", ReadOptions{From: Head})
	if messages(got) != "new" || got[0].ID != before[1].ID {
		t.Fatalf("short after prune = %+v", got)
	}
	if got, _ := s.Read("keep", "s", ReadOptions{From: Head}); messages(got) != "old,new" {
		t.Fatalf("keep after prune = %s", messages(got))
	}
	if st, _ := s.Stream("short", "s"); st.StoredBytes != 3 || st.Events != 1 {
		t.Fatalf("stream after prune = %+v", st)
	}
	// New events get new sequence numbers, never reused IDs.
	clock.Set(testNow.Add(time.Minute))
	mustPut(t, s, "short", "s", InputEvent{ms(testNow.Add(time.Minute)), "newer"})
	got, _ = s.Read("short", "s", ReadOptions{From: Head})
	if len(got) != 2 || got[1].ID == before[1].ID || got[1].Seq != 2 {
		t.Fatalf("after prune and put = %+v", got)
	}
	if err := s.SetRetention("keep", 1); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Prune(testNow.Add(3 * day)); n != 4 {
		t.Fatalf("second Prune dropped %d, want 4", n)
	}
	if st, err := s.Stream("keep", "s"); err != nil || st.Events != 0 {
		t.Fatalf("empty stream stays: %+v, %v", st, err)
	}
}

func TestRestart(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: testNow}
	s := openTest(t, dir, clock)
	if _, err := s.CreateGroup("/ecs/web", 30, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	mustStream(t, s, "/ecs/web", "web/app/1")
	mustStream(t, s, "/ecs/web", "web/app/2")
	mustStream(t, s, "/gone", "x")
	base := ms(testNow) - 1000
	mustPut(t, s, "/ecs/web", "web/app/1", InputEvent{base + 2, "two"}, InputEvent{base + 3, "three\nwith newline"})
	mustPut(t, s, "/ecs/web", "web/app/1", InputEvent{base + 1, `one "quoted" <html>`})
	if err := s.DeleteGroup("/gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStream("/ecs/web", "web/app/2"); err != nil {
		t.Fatal(err)
	}
	want, _ := s.Read("/ecs/web", "web/app/1", ReadOptions{From: Head})
	s.Close()
	if _, err := s.Groups(), error(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup("x", 0, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("CreateGroup after Close = %v", err)
	}

	// A crash in the middle of an append leaves half a line.
	g := filepath.Join(dir, groupsDir, nameHash("/ecs/web"), streamsDir, nameHash("web/app/1")+".events")
	f, err := os.OpenFile(g, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"s":9,"t":`)
	f.Close()

	s2 := openTest(t, dir, clock)
	groups := s2.Groups()
	if len(groups) != 1 || groups[0].Name != "/ecs/web" || groups[0].RetentionInDays != 30 || groups[0].Tags["k"] != "v" {
		t.Fatalf("groups after reopen = %+v", groups)
	}
	streams, _ := s2.Streams("/ecs/web")
	if len(streams) != 1 || streams[0].Name != "web/app/1" || streams[0].Events != 3 {
		t.Fatalf("streams after reopen = %+v", streams)
	}
	got, err := s2.Read("/ecs/web", "web/app/1", ReadOptions{From: Head})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("events after reopen = %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("event %d after reopen = %+v, want %+v", i, got[i], want[i])
		}
	}
	// Appends continue after the cut-off record, with fresh sequence numbers.
	mustPut(t, s2, "/ecs/web", "web/app/1", InputEvent{base + 4, "four"})
	got, _ = s2.Read("/ecs/web", "web/app/1", ReadOptions{From: Head})
	if messages(got) != `one "quoted" <html>,two,three`+"\n"+`with newline,four` || got[3].Seq != 3 {
		t.Fatalf("events after append = %+v", got)
	}
	// A recreated stream does not inherit the deleted one's events.
	if _, err := s2.CreateStream("/ecs/web", "web/app/2"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s2.Stream("/ecs/web", "web/app/2"); st.Events != 0 {
		t.Fatalf("recreated stream = %+v", st)
	}
}

func TestConcurrentAppends(t *testing.T) {
	s, _ := newTestStore(t)
	const writers, batches, perBatch = 8, 20, 25
	mustStream(t, s, "g", "shared")
	base := ms(testNow) - 100000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				var in []InputEvent
				for i := range perBatch {
					in = append(in, InputEvent{Timestamp: base + int64(b*perBatch+i), Message: fmt.Sprintf("w%d-%d-%d", w, b, i)})
				}
				if _, err := s.Put("g", "shared", in); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
			}
		}()
		wg.Add(1)
		go func() { // readers and metadata changes in between
			defer wg.Done()
			for range batches {
				if _, err := s.Read("g", "shared", ReadOptions{From: Tail, Backward: true, Limit: 10}); err != nil {
					t.Errorf("Read: %v", err)
					return
				}
				if _, err := s.Filter("g", FilterOptions{Limit: 10}); err != nil {
					t.Errorf("Filter: %v", err)
					return
				}
				s.CreateStream("g", fmt.Sprintf("other-%d", w))
			}
		}()
	}
	wg.Wait()
	got, err := s.Read("g", "shared", ReadOptions{From: Head})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != writers*batches*perBatch {
		t.Fatalf("read %d events, want %d", len(got), writers*batches*perBatch)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Timestamp < got[i-1].Timestamp {
			t.Fatalf("events out of order at %d: %d < %d", i, got[i].Timestamp, got[i-1].Timestamp)
		}
	}
}
