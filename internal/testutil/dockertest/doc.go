// Package dockertest is the shared harness for tests that run on the real
// Docker engine: RequireDocker fails (never skips) a test when no engine
// answers, BuildTestApp builds testdata/testapp into a FROM-scratch image
// once per test process, BuildScratchImage does the same for any static
// binary, and Label/Cleanup remove the containers and networks a test
// created, found by a per-test value of the wharf.test label.
//
// No registry is needed: images are built locally from a tar build context
// with the engine's classic builder.
package dockertest
