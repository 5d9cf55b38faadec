// Package version reports the wharf build version.
package version

import "runtime/debug"

// Version is set at link time with -ldflags "-X github.com/wharfhq/wharf/internal/version.Version=v1.2.3".
var Version = "dev"

// String returns the version and, when known, the VCS revision it was built from.
func String() string {
	v := Version
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			v += " (" + rev + dirty + ")"
		}
	}
	return v
}
