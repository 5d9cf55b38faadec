package store

import (
	"encoding/json"
	"fmt"
)

// Codec converts a domain value to and from its stored bytes. Repositories
// choose one per resource type so the storage encoding stays out of the
// domain model.
type Codec[T any] interface {
	Encode(T) ([]byte, error)
	Decode([]byte) (T, error)
}

// JSONCodec stores values as JSON.
type JSONCodec[T any] struct{}

func (JSONCodec[T]) Encode(v T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: encode %T: %w", v, err)
	}
	return b, nil
}

func (JSONCodec[T]) Decode(b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("store: decode %T: %w", v, err)
	}
	return v, nil
}
