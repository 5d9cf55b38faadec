// Package docker implements runtime.Runtime on a real Docker engine through
// the Engine API client github.com/moby/moby/client (API version negotiated
// down to what the daemon speaks; 1.40 or newer is required).
//
// It owns the translation between wharf's runtime-neutral types and Docker's:
// dockerConfig maps a runtime.ContainerSpec onto Docker's container, host and
// networking configs (a pure function, table-tested), containerState maps an
// inspect result back to runtime.ContainerState, and Docker's errors are
// mapped onto the runtime package's sentinel errors.
//
// The engine is found like the docker CLI finds it: DOCKER_HOST (and
// DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) or the default unix socket.
package docker
