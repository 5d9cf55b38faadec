#!/usr/bin/env bash
# wharf quickstart: from a fresh checkout to an app built by a pipeline,
# deployed as an ECS service and served by wharf's load balancer.
#
#   scripts/quickstart.sh           build wharf, start a server, set everything up,
#                                   push examples/hello and watch the pipeline deploy it
#   scripts/quickstart.sh --stop    stop the server (and its load balancer) started here
#   scripts/quickstart.sh --clean   stop, remove the service's containers and the data
#
# Needs: Linux, a running Docker engine, Go >= 1.26, git, curl and the AWS CLI
# (scripts/prereqs.sh installs them on Debian; as root this script installs
# the AWS CLI, git and curl itself when they are missing).
#
# Environment:
#   WHARF_DATA     where the quickstart keeps everything (default <repo>/.wharf-quickstart)
#   WHARF_PORT     API/registry port (default 7150, or the next free one)
#   WHARF_LB_PORT  load balancer listener port (default 8080, or the next free one)
#
# Re-running it is safe: what exists is reused (the server, the resources,
# the git work directory), what is missing is created.
set -eEuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${WHARF_DATA:-$ROOT/.wharf-quickstart}
case "$DATA" in /*) ;; *) DATA=$PWD/$DATA ;; esac
BIN=$ROOT/bin/wharf
SERVER_DATA=$DATA/data
PIDFILE=$DATA/server.pid
LOG=$DATA/server.log
WORK=$DATA/hello
EXAMPLE=$ROOT/examples/hello
NAME=hello
CLUSTER=default
REGION=us-east-1

STEP="starting"
say() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() {
	printf '\nquickstart: %s\n' "$*" >&2
	exit 1
}
on_error() {
	local rc=$?
	[ "$BASH_SUBSHELL" -eq 0 ] || exit "$rc" # reported once, by the main shell
	{
		printf '\nquickstart failed while %s (exit status %s, line %s).\n' "$STEP" "$rc" "$1"
		if [ -f "$LOG" ]; then
			printf 'Server log: %s (last lines below)\n' "$LOG"
			tail -n 15 "$LOG" | sed 's/^/    | /'
		fi
		printf 'Fix the cause and run scripts/quickstart.sh again: it reuses what it already set up.\n'
		printf 'scripts/quickstart.sh --stop stops the server; --clean also deletes its data.\n'
	} >&2
	exit "$rc"
}
trap 'on_error $LINENO' ERR

# --- Stopping -----------------------------------------------------------------

# is_our_process PID WORD: the process runs the wharf binary with WORD as its
# subcommand (never signal a pid that was reused by something else).
is_our_process() {
	local pid=$1 word=$2 cmdline
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	case "$cmdline" in *wharf*" $word "*) return 0 ;; esac
	return 1
}

stop_pid() {
	local pid=$1 what=$2
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || { info "stopped $what (pid $pid)"; return 0; }
		sleep 0.2
	done
	info "$what (pid $pid) did not stop in 20s: killing it"
	kill -KILL "$pid" 2>/dev/null || true
}

stop_all() {
	local pid=""
	[ -f "$PIDFILE" ] && pid=$(cat "$PIDFILE")
	if is_our_process "$pid" server; then
		stop_pid "$pid" "wharf server"
	else
		info "no quickstart server is running"
	fi
	rm -f "$PIDFILE"
	# The server starts the load balancer data plane as its own process, which
	# outlives it on purpose; it holds <data-dir>/lb/lb.lock with its pid.
	local lbpid=""
	[ -f "$SERVER_DATA/lb/lb.lock" ] && lbpid=$(tr -dc '0-9' <"$SERVER_DATA/lb/lb.lock")
	if is_our_process "$lbpid" lb; then
		stop_pid "$lbpid" "wharf lb"
	fi
}

server_running() {
	[ -f "$PIDFILE" ] && is_our_process "$(cat "$PIDFILE")" server
}

case "${1:-}" in
--stop)
	say "Stopping the quickstart's wharf server"
	stop_all
	info "the service's containers keep running; the next scripts/quickstart.sh adopts them"
	info "(scripts/quickstart.sh --clean removes them and the data in $DATA)"
	exit 0
	;;
--clean)
	say "Removing the quickstart's service, server and data"
	if server_running; then
		# Scale to 0 first so that the agent stops the containers (and the
		# load balancer drains them) before the server goes.
		export AWS_ACCESS_KEY_ID=quickstart AWS_SECRET_ACCESS_KEY=quickstart AWS_DEFAULT_REGION=$REGION AWS_PAGER=""
		E=(aws --endpoint-url "http://127.0.0.1:$(cat "$DATA/port")")
		if "${E[@]}" ecs update-service --cluster "$CLUSTER" --service "$NAME" --desired-count 0 >/dev/null 2>&1; then
			for _ in $(seq 1 60); do
				n=$("${E[@]}" ecs describe-services --cluster "$CLUSTER" --services "$NAME" \
					--query 'services[0].[runningCount,pendingCount]' --output text 2>/dev/null || echo gone)
				case "$n" in $'0\t0' | gone) break ;; esac
				sleep 1
			done
			"${E[@]}" ecs delete-service --cluster "$CLUSTER" --service "$NAME" --force >/dev/null 2>&1 || true
			info "deleted service $NAME"
		fi
	fi
	stop_all
	# Whatever the agent left behind: task and build containers are labelled
	# with the data directory of the server that ran them.
	left=$(docker ps -aq --filter "label=wharf.data-dir=$SERVER_DATA" 2>/dev/null || true)
	if [ -n "$left" ]; then
		# shellcheck disable=SC2086 # one id per word
		docker rm -f $left >/dev/null
		info "removed $(wc -w <<<"$left") container(s) of $SERVER_DATA"
	fi
	rm -rf "$DATA"
	info "removed $DATA (the hello images stay in the Docker engine: docker images --filter label=wharf.example=hello)"
	exit 0
	;;
"" | --start) ;;
-h | --help)
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	die "unknown argument $1 (use --stop, --clean or nothing)"
	;;
esac

mkdir -p "$DATA"

# --- Prerequisites ------------------------------------------------------------

STEP="checking the prerequisites"
say "Checking the prerequisites"
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH=/usr/local/go/bin:$PATH # the server's builds need go on PATH too
fi
command -v go >/dev/null 2>&1 || die "Go is not installed: install Go >= 1.26 (https://go.dev/dl/) and run this again"
command -v docker >/dev/null 2>&1 || die "Docker is not installed: apt-get install -y docker.io (or scripts/prereqs.sh as root)"
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (docker info fails): start it (sudo systemctl start docker) or add yourself to the docker group"

apt_install() {
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		return 1
	fi
	info "installing $* with apt-get"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
for tool in git:git curl:curl aws:awscli; do
	cmd=${tool%%:*} pkg=${tool#*:}
	if ! command -v "$cmd" >/dev/null 2>&1; then
		apt_install "$pkg" || die "$cmd is not installed: install it (apt-get install -y $pkg, or scripts/prereqs.sh as root) and run this again"
	fi
done
info "$(go version | cut -d' ' -f3), docker $(docker version --format '{{.Server.Version}}' 2>/dev/null), $(aws --version 2>&1 | cut -d' ' -f1), $(git --version)"

# --- The server ---------------------------------------------------------------

port_in_use() { (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

# free_port DEFAULT: DEFAULT or the next free port after it.
free_port() {
	local p=$1
	while port_in_use "$p"; do
		p=$((p + 1))
		[ "$p" -lt $(($1 + 50)) ] || die "no free port in $1-$p"
	done
	echo "$p"
}

STEP="building wharf"
say "Building wharf (go build -o bin/wharf ./cmd/wharf)"
(cd "$ROOT" && go build -o "$BIN" ./cmd/wharf)
"$BIN" pipeline --help >/dev/null 2>&1 || die "this wharf has no 'pipeline' command yet (cmd/wharf/root.go must register newPipelineCmd)"

STEP="starting the wharf server"
if server_running; then
	PORT=$(cat "$DATA/port")
	say "Reusing the running wharf server (pid $(cat "$PIDFILE"), port $PORT)"
else
	if [ -n "${WHARF_PORT:-}" ]; then
		PORT=$WHARF_PORT
		port_in_use "$PORT" && die "WHARF_PORT=$PORT is in use: choose another one"
	elif [ -f "$DATA/port" ]; then
		# The registry address (127.0.0.1:PORT) is in the task definitions
		# and the git remote: a restarted server keeps its port.
		PORT=$(cat "$DATA/port")
		port_in_use "$PORT" && die "port $PORT, which this quickstart's server used before, is in use: free it, or start over on another port with scripts/quickstart.sh --clean"
	else
		PORT=$(free_port 7150)
	fi
	say "Starting wharf server on 127.0.0.1:$PORT (data in $SERVER_DATA, log in $LOG)"
	mkdir -p "$SERVER_DATA"
	echo "$PORT" >"$DATA/port"
	# Its own session: Ctrl-C in this terminal must not stop it.
	launcher=()
	command -v setsid >/dev/null 2>&1 && launcher=(setsid)
	"${launcher[@]}" "$BIN" server --listen "127.0.0.1:$PORT" --data-dir "$SERVER_DATA" >>"$LOG" 2>&1 </dev/null &
	echo $! >"$PIDFILE"
fi
ENDPOINT=http://127.0.0.1:$PORT
REGISTRY=127.0.0.1:$PORT
export WHARF_ENDPOINT=$ENDPOINT
export AWS_ACCESS_KEY_ID=quickstart AWS_SECRET_ACCESS_KEY=quickstart AWS_DEFAULT_REGION=$REGION AWS_REGION=$REGION AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN

for i in $(seq 1 120); do
	curl -fsS "$ENDPOINT/healthz" >/dev/null 2>&1 && break
	server_running || die "wharf server exited; see $LOG"
	[ "$i" -lt 120 ] || die "wharf server did not answer $ENDPOINT/healthz within 60s; see $LOG"
	sleep 0.5
done
info "$ENDPOINT/healthz answers"

# awsw: the AWS CLI against this server. q: its answer to --query, "" for none.
awsw() { aws --endpoint-url "$ENDPOINT" --region "$REGION" "$@"; }
q() {
	local out
	out=$(awsw "$@" --output text 2>/dev/null) || return 0
	[ "$out" = None ] || echo "$out"
}

# --- Resources ----------------------------------------------------------------

STEP="creating cluster $CLUSTER"
say "Cluster $CLUSTER (the server's local agent joins it)"
awsw ecs create-cluster --cluster-name "$CLUSTER" >/dev/null
for i in $(seq 1 60); do
	n=$(q ecs list-container-instances --cluster "$CLUSTER" --query 'length(containerInstanceArns)')
	[ "${n:-0}" -gt 0 ] && break
	[ "$i" -lt 60 ] || die "no container instance joined cluster $CLUSTER within 30s; see $LOG"
	sleep 0.5
done
info "$n container instance(s) in $CLUSTER"

STEP="creating the git repository $NAME"
say "Git repository $NAME (CodeCommit)"
if awsw codecommit get-repository --repository-name "$NAME" >/dev/null 2>&1; then
	info "exists"
else
	awsw codecommit create-repository --repository-name "$NAME" --repository-description "wharf quickstart example" >/dev/null
	info "created: $ENDPOINT/git/$NAME"
fi

STEP="creating the image repository $NAME"
say "Image repository $NAME (ECR)"
if awsw ecr describe-repositories --repository-names "$NAME" >/dev/null 2>&1; then
	info "exists"
else
	awsw ecr create-repository --repository-name "$NAME" >/dev/null
	info "created: $REGISTRY/$NAME"
fi

STEP="creating the load balancer"
say "Load balancer $NAME (ELBv2: load balancer, target group, listener)"
LB_ARN=$(q elbv2 describe-load-balancers --names "$NAME" --query 'LoadBalancers[0].LoadBalancerArn')
if [ -z "$LB_ARN" ]; then
	LB_ARN=$(q elbv2 create-load-balancer --name "$NAME" --subnets subnet-a subnet-b --query 'LoadBalancers[0].LoadBalancerArn')
	[ -n "$LB_ARN" ] || die "create-load-balancer returned no ARN"
fi
TG_ARN=$(q elbv2 describe-target-groups --names "$NAME" --query 'TargetGroups[0].TargetGroupArn')
if [ -z "$TG_ARN" ]; then
	# Quick health checks and a short drain so that the quickstart is quick.
	TG_ARN=$(q elbv2 create-target-group --name "$NAME" --protocol HTTP --port 8080 --vpc-id vpc-local \
		--health-check-path /healthz --health-check-interval-seconds 5 --health-check-timeout-seconds 2 \
		--healthy-threshold-count 2 --unhealthy-threshold-count 2 --query 'TargetGroups[0].TargetGroupArn')
	[ -n "$TG_ARN" ] || die "create-target-group returned no ARN"
	awsw elbv2 modify-target-group-attributes --target-group-arn "$TG_ARN" \
		--attributes Key=deregistration_delay.timeout_seconds,Value=5 >/dev/null
fi
LB_PORT=$(q elbv2 describe-listeners --load-balancer-arn "$LB_ARN" --query 'Listeners[0].Port')
if [ -z "$LB_PORT" ]; then
	if [ -n "${WHARF_LB_PORT:-}" ]; then
		LB_PORT=$WHARF_LB_PORT
		port_in_use "$LB_PORT" && die "WHARF_LB_PORT=$LB_PORT is in use: choose another one"
	else
		LB_PORT=$(free_port 8080)
	fi
	awsw elbv2 create-listener --load-balancer-arn "$LB_ARN" --protocol HTTP --port "$LB_PORT" \
		--default-actions "Type=forward,TargetGroupArn=$TG_ARN" >/dev/null
fi
URL=http://127.0.0.1:$LB_PORT/
info "listener $URL → target group $NAME (HTTP 8080, health check /healthz)"

STEP="creating the CodeBuild project $NAME"
say "Build project $NAME (CodeBuild, LINUX_HOST, privileged, local caches)"
if [ -n "$(q codebuild batch-get-projects --names "$NAME" --query 'projects[0].name')" ]; then
	info "exists"
else
	awsw codebuild create-project --name "$NAME" \
		--description "builds examples/hello for the quickstart pipeline" \
		--source type=CODEPIPELINE --artifacts type=CODEPIPELINE \
		--environment "type=LINUX_HOST,image=wharf/host,computeType=BUILD_GENERAL1_SMALL,privilegedMode=true,environmentVariables=[{name=WHARF_GOCACHE,value=$(go env GOCACHE),type=PLAINTEXT}]" \
		--cache '{"type": "LOCAL", "modes": ["LOCAL_SOURCE_CACHE", "LOCAL_CUSTOM_CACHE"]}' \
		--service-role arn:aws:iam::000000000000:role/wharf-build >/dev/null
	info "created"
fi

STEP="creating the service $NAME"
say "Service $NAME (2 tasks behind the load balancer)"
svc_status=$(q ecs describe-services --cluster "$CLUSTER" --services "$NAME" --query 'services[0].status')
if [ "$svc_status" = ACTIVE ]; then
	info "exists"
else
	# The pipeline's ECS deploy action updates an existing service: start it
	# with an image built here (version "bootstrap"); the pipeline's first
	# run replaces it with the image built from the pushed commit.
	STEP="building the bootstrap image"
	if ! awsw ecr describe-images --repository-name "$NAME" --image-ids imageTag=bootstrap >/dev/null 2>&1; then
		ctx=$(mktemp -d)
		(cd "$EXAMPLE" && CGO_ENABLED=0 GOFLAGS=-trimpath GOTOOLCHAIN=local go build -ldflags "-s -w -X main.version=bootstrap" -o "$ctx/app" .)
		cp "$EXAMPLE/Dockerfile" "$ctx/"
		out=$(docker build --quiet --label wharf.example=hello -t "$REGISTRY/$NAME:bootstrap" "$ctx" 2>&1) || die "docker build failed: $out"
		out=$(docker push --quiet "$REGISTRY/$NAME:bootstrap" 2>&1) || die "docker push $REGISTRY/$NAME:bootstrap failed: $out"
		rm -rf "$ctx"
		info "pushed $REGISTRY/$NAME:bootstrap"
	fi
	STEP="registering the task definition"
	taskdef=$(mktemp)
	sed "s#127\.0\.0\.1:7150/#$REGISTRY/#" "$EXAMPLE/taskdef.json" >"$taskdef"
	td=$(q ecs register-task-definition --cli-input-json "file://$taskdef" --query 'taskDefinition.[family,revision]')
	rm -f "$taskdef"
	info "registered task definition ${td//$'\t'/:}"
	STEP="creating the service $NAME"
	awsw ecs create-service --cluster "$CLUSTER" --service-name "$NAME" --task-definition "$NAME" --desired-count 2 \
		--load-balancers "targetGroupArn=$TG_ARN,containerName=web,containerPort=8080" \
		--deployment-configuration 'maximumPercent=200,minimumHealthyPercent=100,deploymentCircuitBreaker={enable=true,rollback=true}' \
		--health-check-grace-period-seconds 5 >/dev/null
	info "created"
fi

STEP="waiting for $URL"
info "waiting for the load balancer to serve it"
for i in $(seq 1 240); do
	body=$(curl -fsS --max-time 2 "$URL" 2>/dev/null) && break
	[ "$i" -lt 240 ] || die "$URL did not answer within 2 minutes: see 'wharf services', 'wharf ps --service $NAME -a' and $LOG"
	sleep 0.5
done
info "$URL: $body"

# --- The pipeline -------------------------------------------------------------

STEP="creating the pipeline $NAME"
say "Pipeline $NAME (examples/hello/pipeline.yaml)"
applied=$("$BIN" pipeline apply -f "$EXAMPLE/pipeline.yaml")
while IFS= read -r line; do info "$line"; done <<<"$applied"
case "$applied" in Created*)
	info "(creating a pipeline starts it once, as on AWS: while the repository is empty"
	info " that execution fails in its Source stage; the push below starts the real one)"
	;;
esac

STEP="pushing examples/hello to $ENDPOINT/git/$NAME"
say "Pushing examples/hello to the git repository"
REMOTE=$ENDPOINT/git/$NAME
if [ ! -d "$WORK/.git" ]; then
	mkdir -p "$WORK"
	(cd "$EXAMPLE" && tar --exclude=./app --exclude=./.cache -cf - .) | (cd "$WORK" && tar -xf -)
	git -C "$WORK" init --quiet
	git -C "$WORK" symbolic-ref HEAD refs/heads/main
	git -C "$WORK" config user.name >/dev/null || git -C "$WORK" config user.name "wharf quickstart"
	git -C "$WORK" config user.email >/dev/null || git -C "$WORK" config user.email "quickstart@wharf.invalid"
	git -C "$WORK" add -A
	git -C "$WORK" commit --quiet -m "hello: first version"
	git -C "$WORK" remote add origin "$REMOTE"
fi
git -C "$WORK" remote set-url origin "$REMOTE" # the port may have changed
HEAD_SHA=$(git -C "$WORK" rev-parse HEAD)
REMOTE_SHA=$(git -C "$WORK" ls-remote origin refs/heads/main | cut -f1)

# The ids of the executions so far: the push's is the new one.
executions() {
	q codepipeline list-pipeline-executions --pipeline-name "$NAME" \
		--query "pipelineExecutionSummaries[?trigger.triggerType!='CreatePipeline'].pipelineExecutionId" | tr '\t' '\n'
}
before=$(executions)
EXEC=""
if [ "$REMOTE_SHA" = "$HEAD_SHA" ]; then
	info "the repository already has $(git -C "$WORK" log -1 --format='%h %s')"
	latest=$(q codepipeline list-pipeline-executions --pipeline-name "$NAME" \
		--query 'pipelineExecutionSummaries[0].[pipelineExecutionId,status]' | head -n 1)
	case "$latest" in
	*Succeeded) info "and the pipeline's latest execution succeeded" ;;
	*InProgress | *Stopping) EXEC=${latest%%$'\t'*} ;;
	*) EXEC=start ;;
	esac
else
	git -C "$WORK" push --quiet -u origin main
	info "pushed $(git -C "$WORK" log -1 --format='%h %s') to $REMOTE"
	STEP="waiting for the push to start the pipeline"
	for _ in $(seq 1 60); do
		for id in $(executions); do
			grep -qx "$id" <<<"$before" || { EXEC=$id; break; }
		done
		[ -n "$EXEC" ] && break
		sleep 0.5
	done
	if [ -z "$EXEC" ]; then
		info "the push did not start the pipeline within 30s: starting it by hand"
		EXEC=start
	fi
fi

STEP="running the pipeline $NAME"
if [ -n "$EXEC" ]; then
	say "Watching the pipeline (Ctrl-C stops watching; the pipeline goes on)"
	rc=0
	if [ "$EXEC" = start ]; then
		"$BIN" pipeline run "$NAME" --watch || rc=$?
	else
		"$BIN" pipeline watch "$NAME" "$EXEC" || rc=$?
	fi
	case $rc in
	0) ;;
	130) die "stopped watching: the pipeline goes on (bin/wharf pipeline watch $NAME); run scripts/quickstart.sh again to finish" ;;
	*) die "the pipeline did not succeed: see above, 'bin/wharf pipeline history $NAME', and the build log (bin/wharf logs build ID)" ;;
	esac
fi

STEP="checking $URL"
version=$(git -C "$WORK" rev-parse HEAD | cut -c 1-7)
for i in $(seq 1 120); do
	body=$(curl -fsS --max-time 2 "$URL" 2>/dev/null || true)
	case "$body" in *" from $version") break ;; esac # the greeting may have been edited
	[ "$i" -lt 120 ] || die "$URL answers \"$body\", not version $version, a minute after the pipeline succeeded: see 'bin/wharf services' and 'bin/wharf pipeline history $NAME'"
	sleep 0.5
done

rel() { case "$1" in "$PWD"/*) echo "${1#"$PWD"/}" ;; *) echo "$1" ;; esac; }
W=$(rel "$BIN")
G="git -C $(rel "$WORK")"
cat <<EOF

hello is served at $URL
    \$ curl $URL
    $body

Next: change the app and let the pipeline ship it.
EOF
[ "$PORT" = 7150 ] || echo "    export WHARF_ENDPOINT=$ENDPOINT"
cat <<EOF
    sed -i 's/hello from/hi from/' $(rel "$WORK")/main.go $(rel "$WORK")/main_test.go   # or edit main.go
    $G commit -am "Say hi" && $G push
    $W pipeline watch $NAME
    curl $URL

More: $W pipeline history $NAME · $W services · $W ps --service $NAME
      aws --endpoint-url $ENDPOINT ...   (any access key works)
Stop: scripts/quickstart.sh --stop   (--clean also deletes $(rel "$DATA"))
EOF
