// Package build is the home of wharf's CodeBuild-compatible build service.
//
// Sub-packages:
//
//   - buildspec: parses and validates buildspec.yml (versions 0.1 and 0.2),
//     runs its phases on the host (the LINUX_HOST environment, a wharf
//     extension) with CodeBuild's phase transition rules, log lines and
//     exported variables, and collects and zips the declared artifacts.
package build
