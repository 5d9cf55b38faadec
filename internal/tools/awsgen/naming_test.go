package main

import "testing"

func TestExportedName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"containerDefinitions", "ContainerDefinitions"},
		{"cpu", "Cpu"},
		{"nextToken", "NextToken"},
		{"Message", "Message"},
		{"ARN", "ARN"},
		{"sizeInGiB", "SizeInGiB"},
		{"foo-bar", "FooBar"},
		{"foo.bar baz", "FooBarBaz"},
		{"snake_case", "Snake_case"},
		{"3scale", "V3scale"},
		{"_private", "V_private"},
		{"", "Empty"},
		{"--", "Empty"},
	}
	for _, tt := range tests {
		if got := exportedName(tt.in); got != tt.want {
			t.Fatalf("exportedName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnumValueName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ACTIVE", "Active"},
		{"awsvpc", "Awsvpc"},
		{"SERVICE_CONNECT", "ServiceConnect"},
		{"us-east-1", "UsEast1"},
		{"EC2", "Ec2"},
		{"MANAGED_INSTANCES", "ManagedInstances"},
		{"Linux/UNIX", "LinuxUnix"},
		{"LogGroupName", "LogGroupName"},
		{"t2.micro", "T2Micro"},
		{"ARM64", "Arm64"},
		{"WINDOWS_SERVER_2019_FULL", "WindowsServer2019Full"},
		{"4xx", "V4xx"},
		{"2", "V2"},
		{"", "Empty"},
		{"*", "Empty"},
	}
	for _, tt := range tests {
		if got := enumValueName(tt.in); got != tt.want {
			t.Fatalf("enumValueName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNamespaceClaim(t *testing.T) {
	ns := namespace{}
	got := []string{ns.claim("ModeAB"), ns.claim("ModeAB"), ns.claim("ModeAB2"), ns.claim("ModeAB")}
	want := []string{"ModeAB", "ModeAB2", "ModeAB22", "ModeAB3"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("claim #%d = %q, want %q (all: %v)", i, got[i], want[i], got)
		}
	}
}
