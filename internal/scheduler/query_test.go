package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestExprMatch(t *testing.T) {
	in := newInst("a1", "us-east-1a", 1024, 2048)
	in.Attributes["ecs.instance-type"] = "t2.small"
	in.Attributes["stack"] = "prod"
	in.Attributes["gpus"] = "4"
	in.Attributes["kernel"] = "5.10.2"
	in.Attributes["com.amazonaws.ecs.capability.task-iam-role"] = ""
	in.RegisteredAt = time.Date(2018, 6, 18, 22, 28, 28, 0, time.UTC)
	in.AgentVersion = "1.14.5"
	in.Tasks = []PlacedTask{{Group: "service:web"}, {Group: "family:batch"}}

	tests := []struct {
		expr string
		want bool
	}{
		{"attribute:ecs.instance-type == t2.small", true},
		{"attribute:ecs.instance-type equals t2.micro", false},
		{"attribute:ecs.instance-type != t2.micro", true},
		{"attribute:missing != x", true}, // negation of ==
		{"attribute:missing == x", false},
		{"attribute:ecs.instance-type =~ t2.*", true},
		{"attribute:ecs.instance-type matches t3.*", false},
		{"attribute:ecs.instance-type =~ small", false}, // whole-value match
		{"attribute:ecs.instance-type !~ m5.*", true},
		{"attribute:ecs.instance-type not_matches 't2\\.(small|micro)'", false},
		{"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", true},
		{"attribute:ecs.availability-zone in ['us-east-1c']", false},
		{"attribute:ecs.availability-zone !in [us-east-1c]", true},
		{"attribute:ecs.availability-zone not_in [us-east-1a]", false},
		{"attribute:ecs.availability-zone not in [us-east-1b]", true},
		{"attribute:stack exists", true},
		{"attribute:com.amazonaws.ecs.capability.task-iam-role exists", true},
		{"attribute:nope exists", false},
		{"attribute:nope !exists", true},
		{"attribute:stack not_exists", false},
		{"attribute:nope not exists", true},
		{"attribute:gpus > 2", true},
		{"attribute:gpus greater_than 10", false}, // numeric, not lexical
		{"attribute:gpus >= 4", true},
		{"attribute:gpus < 4", false},
		{"attribute:gpus less_than_equal 4", true},
		{"attribute:kernel >= 5.9", true}, // dotted versions
		{"attribute:nope > 1", false},
		{"attribute:stack == prod and attribute:gpus > 1", true},
		{"attribute:stack == prod && attribute:gpus > 8", false},
		{"attribute:stack == dev or attribute:gpus > 1", true},
		{"attribute:stack == dev || attribute:gpus > 8", false},
		{"not attribute:stack == dev", true},
		{"!(attribute:stack == prod)", false},
		{"not(attribute:stack == dev or attribute:stack == qa) and attribute:gpus == 4", true},
		{"attribute:stack == dev or attribute:stack == prod and attribute:gpus == 1", false}, // and binds tighter
		{"(attribute:stack == dev or attribute:stack == prod) and attribute:gpus == 4", true},
		{"ec2InstanceId in ['i-a1', 'i-b2']", true},
		{"ec2InstanceId == i-zz", false},
		{"ec2InstanceId =~ i-a.*", true},
		{"agentConnected == true", true},
		{"agentConnected == FALSE", false},
		{"agentVersion < 1.20.0", true},
		{"agentVersion >= 1.14.5", true},
		{"agentVersion > 1.9", true}, // 14 > 9 numerically
		{"registeredAt < 2019-01-01", true},
		{"registeredAt >= 2018-06-18T22:28:28+00:00", true},
		{"registeredAt == 2018-06-18T22:28:28Z", true},
		{"registeredAt > 2018-06-18T22:28:28", false},
		{"runningTasksCount == 2", true},
		{"runningTasksCount > 2", false},
		{"task:group == service:web", true},
		{"task:group == service:db", false},
		{"not(task:group == service:web)", false},
		{"task:group != service:db", true},
		{"task:group in [service:db, family:batch]", true},
		{"task:group =~ service:.*", true},
		{"task:group !~ family:.*", false},
		{"ATTRIBUTE:stack EQUALS prod AND NOT attribute:gpus == 1", true}, // keywords are case-insensitive
		{"attribute:stack=='prod'", true},
		{`attribute:stack == "prod"`, true},
	}
	for _, tt := range tests {
		e, err := ParseExpression(tt.expr)
		if err != nil {
			t.Errorf("ParseExpression(%q): %v", tt.expr, err)
			continue
		}
		if got := e.Match(in); got != tt.want {
			t.Errorf("%q on instance = %v, want %v (canonical %q)", tt.expr, got, tt.want, e)
		}
	}
}

func TestParseExpressionErrors(t *testing.T) {
	tests := []struct{ expr, wantMsg string }{
		{"", "empty expression"},
		{"   ", "empty expression"},
		{"attribute:x", "expected an operator"},
		{"attribute:x ==", "expected a value"},
		{"attribute: == a", "unknown subject"},
		{"foo == a", "unknown subject"},
		{"attribute:x == a and", "expected a subject"},
		{"(attribute:x == a", "expected )"},
		{"attribute:x == a)", "unexpected"},
		{"attribute:x in [a, b", "expected , or ]"},
		{"attribute:x in []", "expected a value"},
		{"attribute:x == 'open", "unterminated quoted value"},
		{"attribute:x =~ 'a('", "invalid pattern"},
		{"attribute:x not foo", "expected in, exists or matches after not"},
		{"registeredAt > yesterday", "registeredAt needs a date"},
		{"runningTasksCount > many", "needs an integer"},
		{"runningTasksCount =~ 1.*", "not supported for runningTasksCount"},
		{"task:group exists", "not supported for task:group"},
		{"ec2InstanceId > i-1", "not supported for ec2InstanceId"},
		{"attribute:x == a b", "unexpected"},
		{strings.Repeat("(", 300) + "attribute:x == a" + strings.Repeat(")", 300), "nested too deeply"},
		{"attribute:x == " + strings.Repeat("a", MaxExpressionLength), "longer than 2000"},
	}
	for _, tt := range tests {
		_, err := ParseExpression(tt.expr)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("ParseExpression(%.40q) error = %v, want SyntaxError containing %q", tt.expr, err, tt.wantMsg)
		}
	}
}

func TestExprString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"attribute:a equals x", "attribute:a == x"},
		{"attribute:a  not_in [x,y]", "attribute:a !in [x, y]"},
		{"attribute:a in x", "attribute:a in [x]"},
		{"attribute:a == 'has space'", "attribute:a == 'has space'"},
		{`attribute:a == "it's"`, `attribute:a == 'it\'s'`},
		{"attribute:a == 'and'", "attribute:a == and"},
		{"a_b", ""}, // error case skipped below
		{"!(attribute:a exists)", "not attribute:a exists"},
		{"not (attribute:a exists || attribute:b exists)", "not (attribute:a exists or attribute:b exists)"},
		{"attribute:a exists or (attribute:b exists or attribute:c exists)", "attribute:a exists or (attribute:b exists or attribute:c exists)"},
		{"(attribute:a exists and attribute:b exists) and attribute:c exists", "(attribute:a exists and attribute:b exists) and attribute:c exists"},
		{"attribute:a exists and (attribute:b exists or attribute:c exists)", "attribute:a exists and (attribute:b exists or attribute:c exists)"},
		{"((attribute:a exists))", "attribute:a exists"},
		{"Task:Group == service:web", "task:group == service:web"},
	}
	for _, tt := range tests {
		e, err := ParseExpression(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseExpression(%q) succeeded", tt.in)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ParseExpression(%q): %v", tt.in, err)
		}
		if got := e.String(); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if (Expr{}).String() != "" || !(Expr{}).Match(Instance{}) {
		t.Error("zero Expr should print empty and match everything")
	}
}

func FuzzParseExpression(f *testing.F) {
	for _, s := range []string{
		"attribute:ecs.instance-type == t2.small",
		"attribute:ecs.availability-zone in [us-east-1a, 'us east 1b']",
		"not(task:group == service:db) and runningTasksCount < 3",
		"registeredAt >= 2018-06-18T22:28:28+00:00 || agentVersion < 1.14.5",
		"(attribute:a exists or attribute:b !exists) && !attribute:c =~ 'x\\\\y'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpression(s)
		if err != nil {
			return
		}
		e.Match(newInst("f", "z", 1, 1)) // must not panic
		canon := e.String()
		e2, err := ParseExpression(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again := e2.String(); again != canon {
			t.Fatalf("round trip of %q: %q then %q", s, canon, again)
		}
	})
}
