package logs

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/wharfhq/wharf/internal/fsutil"
)

// nameHash is the file-system name of a group or stream: names may be 512
// characters long and hold '/', which file names cannot.
func nameHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:16])
}

// nameNumber is a number derived from a stream name; it prefixes the event
// IDs of the stream so that they are unique within a group.
func nameNumber(name string) uint64 {
	sum := sha256.Sum256([]byte(name))
	return binary.BigEndian.Uint64(sum[:8])
}

// writeJSONFile stores v as JSON, replacing path durably.
func writeJSONFile(path string, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, buf, 0o600)
}

func readJSONFile(path string, v any) error {
	buf, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(buf, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error { return fsutil.SyncDir(dir) }
