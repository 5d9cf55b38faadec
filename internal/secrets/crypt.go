package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFile is the name of the encryption key file in the data directory.
const KeyFile = "secrets.key"

const (
	keySize     = 32 // AES-256
	blobVersion = 1
)

// LoadOrCreateKey returns the 32-byte key in dir/secrets.key, creating the
// file with mode 0600 (temp file, fsync, rename) when it does not exist.
func LoadOrCreateKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != keySize {
			return nil, fmt.Errorf("%s: want a %d-byte key, found %d bytes", path, keySize, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, KeyFile+".tmp*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	// Link rather than rename so that two processes starting at once
	// cannot replace each other's key: the loser reads the winner's.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKey(dir)
		}
		return nil, err
	}
	if d, err := os.Open(dir); err == nil {
		syncErr := d.Sync()
		d.Close()
		if syncErr != nil {
			return nil, syncErr
		}
	}
	return key, nil
}

// sealer encrypts values with AES-256-GCM. Blobs are
// version byte || 12-byte nonce || ciphertext+tag, and the additional data
// names the item a blob belongs to, so a blob copied to another item does
// not decrypt.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("secrets: key must be %d bytes, got %d", keySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(item string, plaintext []byte) ([]byte, error) {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	out[0] = blobVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:], plaintext, []byte(item)), nil
}

// ErrDecrypt means a stored blob does not decrypt under the key: the key
// file was replaced or the record was tampered with.
var ErrDecrypt = errors.New("secrets: stored value does not decrypt with this server's key")

func (s *sealer) open(item string, blob []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(blob) < 1+n || blob[0] != blobVersion {
		return nil, ErrDecrypt
	}
	pt, err := s.aead.Open(nil, blob[1:1+n], blob[1+n:], []byte(item))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
