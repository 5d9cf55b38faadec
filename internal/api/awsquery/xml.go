package awsquery

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"time"
)

// TimeFormat is how timestamps are written: ISO 8601 in UTC with
// milliseconds, as AWS query services answer.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// XMLWriter builds an XML document element by element. Element names come
// from the model and are written verbatim; text is escaped (characters
// XML cannot carry become U+FFFD).
type XMLWriter struct {
	buf bytes.Buffer
}

// Open writes <name>.
func (w *XMLWriter) Open(name string) {
	w.buf.WriteByte('<')
	w.buf.WriteString(name)
	w.buf.WriteByte('>')
}

// OpenNS writes <name xmlns="ns">.
func (w *XMLWriter) OpenNS(name, ns string) {
	w.buf.WriteByte('<')
	w.buf.WriteString(name)
	w.buf.WriteString(` xmlns="`)
	_ = xml.EscapeText(&w.buf, []byte(ns))
	w.buf.WriteString(`">`)
}

// Close writes </name>.
func (w *XMLWriter) Close(name string) {
	w.buf.WriteString("</")
	w.buf.WriteString(name)
	w.buf.WriteByte('>')
}

// String writes <name>v</name>.
func (w *XMLWriter) String(name, v string) {
	w.Open(name)
	_ = xml.EscapeText(&w.buf, []byte(v))
	w.Close(name)
}

// Int writes an integer element.
func (w *XMLWriter) Int(name string, v int64) { w.raw(name, strconv.FormatInt(v, 10)) }

// Float writes a number element.
func (w *XMLWriter) Float(name string, v float64) {
	w.raw(name, strconv.FormatFloat(v, 'f', -1, 64))
}

// Bool writes true or false.
func (w *XMLWriter) Bool(name string, v bool) { w.raw(name, strconv.FormatBool(v)) }

// Time writes an ISO 8601 timestamp.
func (w *XMLWriter) Time(name string, t time.Time) { w.raw(name, t.UTC().Format(TimeFormat)) }

// Blob writes base64 data.
func (w *XMLWriter) Blob(name string, b []byte) { w.raw(name, base64.StdEncoding.EncodeToString(b)) }

func (w *XMLWriter) raw(name, text string) {
	w.Open(name)
	w.buf.WriteString(text)
	w.Close(name)
}

// Bytes returns the document written so far.
func (w *XMLWriter) Bytes() []byte { return w.buf.Bytes() }
