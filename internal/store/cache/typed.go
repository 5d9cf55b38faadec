package cache

import "github.com/wharfhq/wharf/internal/store"

// CodecDecoder adapts a store.Codec to a Decoder; the cached objects are T.
func CodecDecoder[T any](codec store.Codec[T]) Decoder {
	return func(_ string, value []byte) (any, error) {
		return codec.Decode(value)
	}
}

// JSONDecoder decodes JSON values into T.
func JSONDecoder[T any]() Decoder { return CodecDecoder[T](store.JSONCodec[T]{}) }

// Typed returns the object at key as a T. ok is false if the key is not
// cached or holds something other than a T.
func Typed[T any](c *Cache, key string) (T, int64, bool) {
	obj, rev, ok := c.Get(key)
	if !ok {
		var zero T
		return zero, 0, false
	}
	v, ok := obj.(T)
	if !ok {
		var zero T
		return zero, 0, false
	}
	return v, rev, true
}

// ListTyped returns the T objects under prefix in key order, skipping
// anything of another type.
func ListTyped[T any](c *Cache, prefix string) []T {
	entries := c.List(prefix)
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		if v, ok := e.Obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}
