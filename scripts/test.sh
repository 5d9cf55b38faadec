#!/usr/bin/env bash
# Runs wharf's whole test suite on a fresh machine: installs or starts what
# the tests need (scripts/prereqs.sh), checks formatting and vet, then runs
# every Go test, including the end-to-end tests against the real Docker
# engine, embedded and external etcd, the AWS SDK and the AWS CLI v2.
# Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH=/usr/local/go/bin:$PATH
fi

bash scripts/prereqs.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
# Remove leftovers of an interrupted earlier run (only wharf test objects).
docker ps -aq --filter label=wharf.test | xargs -r docker rm -f >/dev/null 2>&1 || true
docker network ls -q --filter label=wharf.test | xargs -r docker network rm >/dev/null 2>&1 || true

go test -count=1 -timeout 20m ./... 2>&1 | tee /tmp/wharf-test.log
status=${PIPESTATUS[0]}

echo "== race detector on the concurrent core"
go test -count=1 -race -timeout 10m ./internal/store/cache/ ./internal/api/ ./internal/state/ 2>&1 | tee -a /tmp/wharf-test.log
race=${PIPESTATUS[0]}

if [ "$status" -ne 0 ] || [ "$race" -ne 0 ]; then
	echo "FAIL: see the output above"
	exit 1
fi
echo "all tests passed"
