#!/usr/bin/env bash
# Builds an ALB with the AWS CLI v2 — load balancer, target group, listener,
# path rule — attaches an ECS service and curls through the listener until
# every task has answered. Run by TestELBv2ServiceAWSCLI with WHARF_ENDPOINT,
# AWS, CLUSTER, IMAGE and LISTENER_PORT set.
set -euo pipefail

aws() { "$AWS" --endpoint-url "$WHARF_ENDPOINT" --output json "$@"; }
fail() { echo "elbv2-service.sh: FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "== load balancer, target group, listener, rule"
lb=$(aws elbv2 create-load-balancer --name web --subnets subnet-a subnet-b | json 'd["LoadBalancers"][0]["LoadBalancerArn"]')
tg=$(aws elbv2 create-target-group --name web --protocol HTTP --port 8080 --vpc-id vpc-local --target-type instance \
      --health-check-path /health --health-check-interval-seconds 5 --health-check-timeout-seconds 2 \
      --healthy-threshold-count 2 | json 'd["TargetGroups"][0]["TargetGroupArn"]')
listener=$(aws elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port "$LISTENER_PORT" \
      --default-actions Type=fixed-response,FixedResponseConfig="{StatusCode=404,ContentType=text/plain,MessageBody=no route}" \
      | json 'd["Listeners"][0]["ListenerArn"]')
aws elbv2 create-rule --listener-arn "$listener" --priority 10 \
      --conditions Field=path-pattern,Values='/app/*' --actions Type=forward,TargetGroupArn="$tg" >/dev/null

echo "== service with 3 tasks behind the target group"
cat > /tmp/elbv2-td-$$.json <<JSON
{"family": "web", "containerDefinitions": [{"name": "app", "image": "$IMAGE", "memory": 64,
  "portMappings": [{"containerPort": 8080}],
  "environment": [{"name": "LISTEN", "value": ":8080"}],
  "healthCheck": {"command": ["CMD", "/testapp", "healthcheck", "http://127.0.0.1:8080/health"], "interval": 5, "timeout": 2, "retries": 1}}]}
JSON
aws ecs register-task-definition --cli-input-json "file:///tmp/elbv2-td-$$.json" >/dev/null
rm -f /tmp/elbv2-td-$$.json
aws ecs create-service --cluster "$CLUSTER" --service-name web --task-definition web --desired-count 3 \
      --load-balancers targetGroupArn="$tg",containerName=app,containerPort=8080 >/dev/null
aws ecs wait services-stable --cluster "$CLUSTER" --services web

echo "== every target healthy"
for _ in $(seq 1 60); do
  healthy=$(aws elbv2 describe-target-health --target-group-arn "$tg" | json 'sum(1 for t in d["TargetHealthDescriptions"] if t["TargetHealth"]["State"]=="healthy")')
  [ "$healthy" = 3 ] && break
  sleep 1
done
[ "$healthy" = 3 ] || fail "$healthy healthy targets, want 3"

echo "== curl through the listener: the rule routes /app/*, the default action answers 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LISTENER_PORT/elsewhere")" = 404 ] || fail "default action"
seen=$(for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$LISTENER_PORT/app/x"; echo; done | awk '{print $3}' | sort -u | grep -c .)
[ "$seen" = 3 ] || fail "answers came from $seen tasks, want 3"

echo "elbv2-service.sh: all checks passed"
