package registry

import (
	"errors"
	"io"
	"net/http"
	"sync"
)

// uploadChunk is the size of the pieces an upload body is read in.
const uploadChunk = 1 << 20

var chunkPool = sync.Pool{New: func() any { b := make([]byte, uploadChunk); return &b }}

// readAhead wraps the body of a blob upload request. The library copies an
// upload body into its blob writer with io.Copy, which hands the body
// writer to a WriteTo method first: readAhead's reads the next megabyte
// from the connection in a goroutine while the blob writer writes and
// hashes the current one, so that receiving overlaps storing and hashing
// (on two cores, one upload then runs on both) and the blob writer sees
// 1 MiB writes instead of 32 KiB ones.
type readAhead struct{ io.ReadCloser }

// withReadAhead puts a readAhead on req's body unless the body is known to
// be small.
func withReadAhead(req *http.Request) {
	if req.Body == nil || req.Body == http.NoBody || (req.ContentLength >= 0 && req.ContentLength < 2*uploadChunk) {
		return
	}
	req.Body = readAhead{req.Body}
}

type readChunk struct {
	buf *[]byte
	n   int
	err error
}

func (b readAhead) WriteTo(w io.Writer) (int64, error) {
	const depth = 2 // one chunk being stored while the next is received
	full := make(chan readChunk, depth)
	free := make(chan *[]byte, depth)
	for range depth {
		free <- chunkPool.Get().(*[]byte)
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(full)
		for {
			var buf *[]byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			n, err := io.ReadFull(b.ReadCloser, *buf)
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			full <- readChunk{buf, n, err}
			if err != nil {
				return
			}
		}
	}()
	var (
		total int64
		err   error
	)
	for c := range full {
		if c.n > 0 && err == nil {
			var n int
			n, err = w.Write((*c.buf)[:c.n])
			total += int64(n)
			if err != nil {
				close(stop)
			}
		}
		if err == nil && c.err != nil && c.err != io.EOF {
			err = c.err
		}
		if err == nil {
			free <- c.buf
		} else {
			chunkPool.Put(c.buf)
		}
	}
	// The reader has stopped (and no longer touches the body) once full is
	// closed; wait for it so that the server may use the body again.
	<-finished
	for {
		select {
		case buf := <-free:
			chunkPool.Put(buf)
		default:
			return total, err
		}
	}
}
