package secrets

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/arn"
	"github.com/wharfhq/wharf/internal/state"
	"github.com/wharfhq/wharf/internal/store"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newStore returns a store over embedded etcd in a temporary directory.
func newStore(t *testing.T) (*Store, *state.State, *clock) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	kv, err := store.Open(ctx, store.Config{DataDir: dir, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); kv.Close() })
	st, err := state.New(ctx, state.Config{Store: kv, ARNs: arn.Builder{Region: "us-east-1", Account: "000000000000"}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	key, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := New(Config{State: st, Key: key, Region: "us-east-1", Account: "000000000000", Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, st, c
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || len(k1) != 32 {
		t.Fatalf("key file mode %v, key %d bytes; want 0600 and 32", fi.Mode().Perm(), len(k1))
	}
	k2, err := LoadOrCreateKey(dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %v, same key %v", err, bytes.Equal(k1, k2))
	}
	if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir); err == nil {
		t.Fatal("a short key file was accepted")
	}
}

func TestSealerBindsItem(t *testing.T) {
	s, err := newSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	blob, err := s.seal("a", []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, []byte("hunter2")) {
		t.Fatal("blob contains the plaintext")
	}
	if pt, err := s.open("a", blob); err != nil || string(pt) != "hunter2" {
		t.Fatalf("open = %q, %v", pt, err)
	}
	if _, err := s.open("b", blob); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("open under another item: %v, want ErrDecrypt", err)
	}
	other, _ := newSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.open("a", blob); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("open under another key: %v, want ErrDecrypt", err)
	}
}

func TestMasker(t *testing.T) {
	var m Masker
	if got := m.Mask("nothing to hide"); got != "nothing to hide" {
		t.Fatalf("empty masker changed the line: %q", got)
	}
	m.Add("s3cret", "", "  ", "s3cret-longer", "line1\nline2")
	m.Add("s3cret") // duplicates are harmless
	cases := []struct{ in, want string }{
		{"password=s3cret done", "password=*** done"},
		{"s3cret-longer and s3cret", "*** and ***"},
		{"twice s3crets3cret", "twice ******"},
		{"first line1 then line2", "first *** then ***"},
		{"whitespace stays  as is", "whitespace stays  as is"},
	}
	for _, c := range cases {
		if got := m.Mask(c.in); got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseSecretRef(t *testing.T) {
	arn := "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf"
	cases := []struct {
		ref  string
		want SecretRef
	}{
		{"db", SecretRef{SecretID: "db"}},
		{"db:password", SecretRef{SecretID: "db", JSONKey: "password"}},
		{"db:password:AWSPREVIOUS", SecretRef{SecretID: "db", JSONKey: "password", VersionStage: "AWSPREVIOUS"}},
		{"db:::v1", SecretRef{SecretID: "db", VersionID: "v1"}},
		{arn, SecretRef{SecretID: arn}},
		{arn + ":user:AWSCURRENT", SecretRef{SecretID: arn, JSONKey: "user", VersionStage: "AWSCURRENT"}},
	}
	for _, c := range cases {
		got, err := ParseSecretRef(c.ref)
		if err != nil || got != c.want {
			t.Errorf("ParseSecretRef(%q) = %+v, %v; want %+v", c.ref, got, err, c.want)
		}
	}
	for _, bad := range []string{"", ":key", "db:a:b:c:d", "arn:aws:secretsmanager"} {
		if _, err := ParseSecretRef(bad); err == nil {
			t.Errorf("ParseSecretRef(%q) succeeded", bad)
		}
	}
}

func TestResolve(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := testContext(t)
	if _, _, err := s.PutParameter(ctx, PutParameterInput{Name: "/app/token", Type: TypeSecureString, Value: "tok-1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutParameter(ctx, PutParameterInput{Name: "/app/token", Value: "tok-2", Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutParameter(ctx, PutParameterInput{Name: "plain", Type: TypeString, Value: "hello"}); err != nil {
		t.Fatal(err)
	}
	db, v1, err := s.CreateSecret(ctx, CreateSecretInput{Name: "db", Value: &SecretValue{String: `{"user":"admin","password":"pw1","port":5432}`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.PutSecretValue(ctx, "db", "", SecretValue{String: `{"user":"admin","password":"pw2"}`}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSecret(ctx, CreateSecretInput{Name: "raw", Value: &SecretValue{String: "not json"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSecret(ctx, CreateSecretInput{Name: "bin", Value: &SecretValue{Binary: []byte{1, 2}}}); err != nil {
		t.Fatal(err)
	}
	ok := []struct{ kind, ref, want string }{
		{KindParameterStore, "/app/token", "tok-2"},
		{KindParameterStore, "/app/token:1", "tok-1"},
		{KindParameterStore, "plain", "hello"},
		{KindParameterStore, s.ParameterARN("/app/token"), "tok-2"},
		{KindSecretsManager, "db:password", "pw2"},
		{KindSecretsManager, "db:password:AWSPREVIOUS", "pw1"},
		{KindSecretsManager, "db:port:AWSPREVIOUS", "5432"},
		{KindSecretsManager, "db:password::" + v1, "pw1"},
		{KindSecretsManager, db.ARN + ":user", "admin"},
		{KindSecretsManager, "raw", "not json"},
		{KindSecretsManager, "bin", "\x01\x02"},
	}
	for _, c := range ok {
		got, err := s.Resolve(ctx, c.kind, c.ref)
		if err != nil || got != c.want {
			t.Errorf("Resolve(%s, %q) = %q, %v; want %q", c.kind, c.ref, got, err, c.want)
		}
	}
	bad := []struct {
		kind, ref string
		want      error
	}{
		{KindParameterStore, "/missing", ErrNotFound},
		{KindParameterStore, "/app/token:9", ErrVersionNotFound},
		{KindSecretsManager, "missing", ErrNotFound},
		{KindSecretsManager, "db:nokey", ErrNotFound},
		{KindSecretsManager, "db:password:NOSTAGE", ErrVersionNotFound},
	}
	for _, c := range bad {
		if _, err := s.Resolve(ctx, c.kind, c.ref); !errors.Is(err, c.want) {
			t.Errorf("Resolve(%s, %q) err = %v, want %v", c.kind, c.ref, err, c.want)
		}
	}
	var inv *InvalidError
	for _, c := range []struct{ kind, ref string }{{KindSecretsManager, "raw:key"}, {KindSecretsManager, "bin:key"}, {"vault", "x"}} {
		if _, err := s.Resolve(ctx, c.kind, c.ref); !errors.As(err, &inv) {
			t.Errorf("Resolve(%s, %q) err = %v, want *InvalidError", c.kind, c.ref, err)
		}
	}
}

func TestStoredValuesAreCiphertext(t *testing.T) {
	s, st, _ := newStore(t)
	ctx := testContext(t)
	const plain = "correct-horse-battery-staple"
	if _, _, err := s.PutParameter(ctx, PutParameterInput{Name: "/p", Type: TypeSecureString, Value: plain}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSecret(ctx, CreateSecretInput{Name: "s", Value: &SecretValue{String: plain}}); err != nil {
		t.Fatal(err)
	}
	rawP, err := st.RawParameter(ctx, "/p")
	if err != nil {
		t.Fatal(err)
	}
	rawS, err := st.RawSecret(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	for what, raw := range map[string][]byte{"parameter": rawP, "secret": rawS} {
		if bytes.Contains(raw, []byte(plain)) || bytes.Contains(raw, []byte("Y29ycmVjdC1ob3JzZS")) {
			t.Errorf("stored %s contains the plaintext: %s", what, raw)
		}
	}
	// The undecrypted parameter value is the ciphertext, not the plaintext.
	p, err := s.GetParameter(ctx, "/p", false)
	if err != nil || p.Value == plain || p.Value == "" {
		t.Fatalf("GetParameter without decryption = %q, %v", p.Value, err)
	}
}

func TestScheduledDeletionExpires(t *testing.T) {
	s, _, c := newStore(t)
	ctx := testContext(t)
	first, _, err := s.CreateSecret(ctx, CreateSecretInput{Name: "gone", Value: &SecretValue{String: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteSecret(ctx, "gone", false, 7); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSecret(ctx, CreateSecretInput{Name: "gone"}); !errors.Is(err, ErrScheduledForDeletion) {
		t.Fatalf("create while scheduled: %v", err)
	}
	c.t = c.t.AddDate(0, 0, 7)
	if _, err := s.DescribeSecret(ctx, "gone"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("describe after the window: %v, want ErrNotFound", err)
	}
	second, _, err := s.CreateSecret(ctx, CreateSecretInput{Name: "gone", Value: &SecretValue{String: "w"}})
	if err != nil {
		t.Fatal(err)
	}
	if second.ARN == first.ARN {
		t.Fatal("a recreated secret kept the old ARN")
	}
}
