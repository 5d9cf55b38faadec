#!/usr/bin/env bash
# Drives a running wharf server with the AWS CLI v2. Run by TestAWSCLI with
# WHARF_ENDPOINT, AWS (the CLI binary) and TESTDATA set.
set -euo pipefail

aws() { "$AWS" --endpoint-url "$WHARF_ENDPOINT" --output json "$@"; }
fail() { echo "awscli.sh: FAIL: $*" >&2; exit 1; }
# json EXPR: evaluate a Python expression over the JSON on stdin as `d`.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "== create-cluster"
arn=$(aws ecs create-cluster --cluster-name cli-demo | json 'd["cluster"]["clusterArn"]')
[ "$arn" = "arn:aws:ecs:us-east-1:000000000000:cluster/cli-demo" ] || fail "cluster arn $arn"

echo "== register-task-definition from a JSON file"
out=$(aws ecs register-task-definition --cli-input-json "file://$TESTDATA/taskdef-web.json")
[ "$(echo "$out" | json 'd["taskDefinition"]["revision"]')" = 1 ] || fail "revision"
[ "$(echo "$out" | json 'd["taskDefinition"]["memory"]')" = 1024 ] || fail "memory not normalised"
[ "$(echo "$out" | json 'len(d["taskDefinition"]["containerDefinitions"])')" = 3 ] || fail "containers"
aws ecs register-task-definition --cli-input-json "file://$TESTDATA/taskdef-web.json" >/dev/null

echo "== list-task-definitions / list-task-definition-families"
arns=$(aws ecs list-task-definitions --family-prefix web | json '" ".join(d["taskDefinitionArns"])')
[ "$arns" = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1 arn:aws:ecs:us-east-1:000000000000:task-definition/web:2" ] || fail "list: $arns"
# The CLI paginates by itself: page size 1 still yields both.
n=$(aws ecs list-task-definitions --page-size 1 | json 'len(d["taskDefinitionArns"])')
[ "$n" = 2 ] || fail "paginated list gave $n"
[ "$(aws ecs list-task-definition-families | json '",".join(d["families"])')" = web ] || fail "families"

echo "== describe-task-definition"
d=$(aws ecs describe-task-definition --task-definition web:1 --include TAGS)
[ "$(echo "$d" | json 'd["tags"][0]["value"]')" = platform ] || fail "tags"
[ "$(echo "$d" | json 'd["taskDefinition"]["containerDefinitions"][0]["healthCheck"]["retries"]')" = 3 ] || fail "healthcheck defaults"
[ "$(aws ecs describe-task-definition --task-definition web | json 'd["taskDefinition"]["revision"]')" = 2 ] || fail "latest"

echo "== deregister-task-definition"
[ "$(aws ecs deregister-task-definition --task-definition web:2 | json 'd["taskDefinition"]["status"]')" = INACTIVE ] || fail "deregister"
[ "$(aws ecs describe-task-definition --task-definition web | json 'd["taskDefinition"]["revision"]')" = 1 ] || fail "latest after deregister"

echo "== errors come back as AWS errors"
if err=$(aws ecs describe-task-definition --task-definition nope 2>&1); then fail "describe of a missing task definition succeeded"; fi
echo "$err" | grep -q "ClientException" || fail "missing task definition: $err"
if err=$(aws ecs delete-cluster --cluster nope 2>&1); then fail "delete of a missing cluster succeeded"; fi
echo "$err" | grep -q "ClusterNotFoundException" || fail "missing cluster: $err"

echo "== describe-clusters / delete-cluster"
[ "$(aws ecs describe-clusters --clusters cli-demo | json 'd["clusters"][0]["status"]')" = ACTIVE ] || fail "describe cluster"
[ "$(aws ecs delete-cluster --cluster cli-demo | json 'd["cluster"]["status"]')" = INACTIVE ] || fail "delete cluster"

echo "awscli.sh: all checks passed"
