package secrets

import (
	"slices"
	"strings"
	"sync"
)

// Masker collects secret values and replaces them in log lines with "***".
// The zero value is ready to use and it is safe for concurrent use.
type Masker struct {
	mu     sync.RWMutex
	values []string // longest first, so that a value containing another is masked whole
}

// Add records values to mask. Empty values are ignored; a multi-line value
// is also recorded line by line, because logs are masked a line at a time.
func (m *Masker) Add(values ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range values {
		m.add(v)
		if strings.ContainsAny(v, "\r\n") {
			for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
				m.add(line)
			}
		}
	}
}

func (m *Masker) add(v string) {
	if strings.TrimSpace(v) == "" || slices.Contains(m.values, v) {
		return
	}
	i, _ := slices.BinarySearchFunc(m.values, v, func(a, b string) int { return len(b) - len(a) })
	m.values = slices.Insert(m.values, i, v)
}

// Mask returns line with every recorded value replaced by "***".
func (m *Masker) Mask(line string) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, v := range m.values {
		if strings.Contains(line, v) {
			line = strings.ReplaceAll(line, v, "***")
		}
	}
	return line
}
