#!/usr/bin/env bash
# Makes sure what wharf's tests need is installed and running:
#   - a reachable Docker engine (starts dockerd if installed, installs docker.io if not)
#   - the AWS CLI v2 (Debian's awscli package)
#   - etcd (Debian's etcd-server, for the external-etcd store tests)
#   - busybox-static (build environment images for the build tests) and git
# Safe to run repeatedly; needs root for installs.
set -euo pipefail

log() { echo "prereqs: $*" >&2; }

apt_updated=""
apt_install() {
	if [ -z "$apt_updated" ]; then
		log "apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		apt_updated=1
	fi
	log "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Go toolchain on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null 2>&1 || { log "Go is not installed (need go >= 1.26)"; exit 1; }

# Docker engine.
if ! docker info >/dev/null 2>&1; then
	if ! command -v dockerd >/dev/null 2>&1; then
		apt_install docker.io
	fi
	if ! docker info >/dev/null 2>&1; then
		log "starting dockerd"
		(dockerd >/var/log/wharf-dockerd.log 2>&1 &)
		for _ in $(seq 1 60); do
			docker info >/dev/null 2>&1 && break
			sleep 1
		done
	fi
	docker info >/dev/null 2>&1 || { log "Docker engine not reachable; see /var/log/wharf-dockerd.log"; exit 1; }
fi

# AWS CLI v2 (a pip-installed v1 may shadow it on PATH; the tests look in /usr/bin first).
if ! /usr/bin/aws --version 2>/dev/null | grep -q '^aws-cli/2'; then
	apt_install awscli
fi
/usr/bin/aws --version 2>/dev/null | grep -q '^aws-cli/2' || { log "AWS CLI v2 not available at /usr/bin/aws"; exit 1; }

# etcd for the external-etcd contract tests.
if [ ! -x /usr/bin/etcd ]; then
	apt_install etcd-server
fi

# busybox-static: the build tests make "images" of busybox's applets (no
# registry is reachable, so no build image can be pulled). git: hosted
# repositories are served by git http-backend.
[ -x /bin/busybox ] || apt_install busybox-static
command -v git >/dev/null 2>&1 || apt_install git

log "ok: $(go version | cut -d' ' -f3), docker $(docker version --format '{{.Server.Version}}'), $(/usr/bin/aws --version 2>&1 | cut -d' ' -f1), etcd $(/usr/bin/etcd --version 2>/dev/null | head -1 | awk '{print $3}')"
