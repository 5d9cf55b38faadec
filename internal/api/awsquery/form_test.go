package awsquery

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseFormAndRead(t *testing.T) {
	n, err := ParseForm("Action=Do&A.B=x+y&L.member.2=b&L.member.1=a&M.entry.1.key=k&M.entry.1.value=v&E=&T=2024-05-01T12:00:00Z&I=42&F=true")
	if err != nil {
		t.Fatal(err)
	}
	if n.Value("Action") != "Do" || n.Value("missing") != "" {
		t.Fatalf("values: %q", n.Value("Action"))
	}
	if s, _ := n.Child("A").Child("B").String("A.B"); s != "x y" {
		t.Fatalf("A.B = %q", s)
	}
	items, err := n.Child("L").List("L", "member")
	if err != nil || len(items) != 2 || items[0].value != "a" || items[1].value != "b" {
		t.Fatalf("list: %v %v", items, err)
	}
	if empty, err := n.Child("E").List("E", "member"); err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("empty list: %v %v", empty, err)
	}
	entries, err := n.Child("M").Map("M", "key", "value")
	if err != nil || len(entries) != 1 || entries[0].Key != "k" || entries[0].Value.value != "v" {
		t.Fatalf("map: %v %v", entries, err)
	}
	if ts, err := n.Child("T").Time("T"); err != nil || !ts.Equal(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("time: %v %v", ts, err)
	}
	if i, err := n.Child("I").Int32("I"); err != nil || i != 42 {
		t.Fatalf("int: %v %v", i, err)
	}
	if b, err := n.Child("F").Bool("F"); err != nil || !b {
		t.Fatalf("bool: %v %v", b, err)
	}
}

func TestFormErrorsNameTheParameter(t *testing.T) {
	for form, field := range map[string]string{
		"A=1&A=2":                       "A",
		"A%zz=1":                        "A%zz",
		"A=%zz":                         "A",
		strings.Repeat("a", 600) + "=1": strings.Repeat("a", 128) + "…",
	} {
		_, err := ParseForm(form)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != field {
			t.Fatalf("%.40s: %v, want field %.40s", form, err, field)
		}
	}
	n, _ := ParseForm("L.member.1=a&L.member.3=c&M.entry.1.value=v&I=x&X.y=1&B=maybe")
	checks := []struct {
		err   error
		field string
	}{
		{func() error { _, err := n.Child("L").List("L", "member"); return err }(), "L.member.3"},
		{func() error { _, err := n.Child("M").Map("M", "key", "value"); return err }(), "M.entry.1.key"},
		{func() error { _, err := n.Child("I").Int32("I"); return err }(), "I"},
		{func() error { _, err := n.Child("X").String("X"); return err }(), "X"},
		{func() error { _, err := n.Child("B").Bool("B"); return err }(), "B"},
	}
	for _, c := range checks {
		var ve *ValidationError
		if !errors.As(c.err, &ve) || ve.Field != c.field {
			t.Fatalf("error %v, want field %s", c.err, c.field)
		}
	}
}

func TestXMLWriter(t *testing.T) {
	var w XMLWriter
	w.OpenNS("R", "urn:x")
	w.String("S", "a<&>\x00")
	w.Int("I", -3)
	w.Bool("B", true)
	w.Float("F", 1.5)
	w.Time("T", time.Date(2024, 5, 1, 12, 0, 0, 5e6, time.FixedZone("x", 3600)))
	w.Close("R")
	want := `<R xmlns="urn:x"><S>a&lt;&amp;&gt;` + "\uFFFD" + `</S><I>-3</I><B>true</B><F>1.5</F><T>2024-05-01T11:00:00.005Z</T></R>`
	if got := string(w.Bytes()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
