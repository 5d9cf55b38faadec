package buildrun

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/wharfhq/wharf/internal/build/buildspec"
	"github.com/wharfhq/wharf/internal/fsutil"
	"github.com/wharfhq/wharf/internal/model"
	"github.com/wharfhq/wharf/internal/runtime"
)

// dockerSocket is the host's Docker socket, mounted into build containers
// in privileged mode (wharf's stand-in for CodeBuild's Docker-in-Docker).
const dockerSocket = "/var/run/docker.sock"

// environment is a provisioned build environment.
type environment struct {
	src     string   // CODEBUILD_SRC_DIR, the same path on the host and in the container
	base    []string // base environment of the shell
	shell   func(buildspec.ShellProcess) *exec.Cmd
	cleanup func()
}

// provision creates the workspace and, for container environments, the
// build container. The returned environment's cleanup is always safe to
// call.
func (r *Runner) provision(ctx context.Context, b *model.Build, ws string, out *output) (environment, error) {
	env := environment{src: filepath.Join(ws, "src"), cleanup: func() {}}
	for _, d := range []string{ws, filepath.Join(ws, "home"), filepath.Join(ws, "docker")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return env, fmt.Errorf("create the build workspace: %w", err)
		}
	}
	// The shell's scratch directories under tmp are opened to every user
	// for run-as in containers; tmp itself only lets them be traversed.
	if err := os.MkdirAll(filepath.Join(ws, "tmp"), 0o711); err != nil {
		return env, fmt.Errorf("create the build workspace: %w", err)
	}
	if err := r.writeDockerConfig(filepath.Join(ws, "docker")); err != nil {
		return env, err
	}
	extra := r.buildEnv(ws)
	if b.Environment.Type == model.EnvLinuxHost {
		out.agent("Provisioning a LINUX_HOST workspace at " + ws)
		env.base = append(hostBase(ws), extra...)
		return env, nil
	}
	id, imageEnv, err := r.startContainer(ctx, b, ws, out)
	if id != "" {
		env.cleanup = func() { _ = r.cfg.Runtime.Remove(context.WithoutCancel(ctx), id) }
	}
	if err != nil {
		return env, err
	}
	env.base = append(imageEnv, extra...)
	bash := r.hasBash(ctx, id)
	if !bash {
		out.agent("bash is not in image " + b.Environment.Image + "; commands run in sh")
	}
	env.shell = r.execIn(id, bash)
	return env, nil
}

// buildEnv is what every build gets besides the CODEBUILD_* variables:
// the AWS CLI and SDKs talk to wharf, docker to wharf's registry.
func (r *Runner) buildEnv(ws string) []string {
	env := []string{
		"AWS_ENDPOINT_URL=" + r.cfg.ServerURL,
		"AWS_ACCESS_KEY_ID=wharf-build",
		"AWS_SECRET_ACCESS_KEY=" + r.cfg.Token,
		"DOCKER_CONFIG=" + filepath.Join(ws, "docker"),
		// Marks every process of the build, so that a restarted agent
		// finds what an earlier one left running (see killOrphans).
		envWorkspace + "=" + ws,
	}
	if r.cfg.Registry != "" {
		env = append(env, "WHARF_REGISTRY="+r.cfg.Registry)
	}
	return env
}

// hostBase is a LINUX_HOST build's clean environment: the agent's PATH
// (so the host's tools are found) and a private HOME.
func hostBase(ws string) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	return []string{"PATH=" + path, "HOME=" + filepath.Join(ws, "home"), "LANG=C.UTF-8"}
}

// writeDockerConfig gives the build a Docker login for wharf's registry.
func (r *Runner) writeDockerConfig(dir string) error {
	cfg := map[string]any{"auths": map[string]any{}}
	if r.cfg.Registry != "" && r.cfg.RegistryAuth != nil {
		if user, pass, ok := r.cfg.RegistryAuth(); ok {
			cfg["auths"] = map[string]any{r.cfg.Registry: map[string]string{
				"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
			}}
		}
	}
	buf, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, "config.json"), buf, 0o600)
}

// keepAlive is the build container's main process: the commands run
// through `docker exec`, so it only has to stay up (and stop on SIGTERM).
var keepAlive = []string{"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"}

// startContainer pulls the image if needed and starts the build container.
func (r *Runner) startContainer(ctx context.Context, b *model.Build, ws string, out *output) (string, []string, error) {
	rt := r.cfg.Runtime
	image := b.Environment.Image
	ok, err := rt.ImageExists(ctx, image)
	if err != nil {
		return "", nil, fmt.Errorf("inspect image %s: %w", image, err)
	}
	if !ok {
		out.agent("Pulling image " + image)
		if err := rt.Pull(ctx, image, func(line string) { out.agent(line) }); err != nil {
			if errors.Is(err, runtime.ErrImageNotFound) {
				return "", nil, fmt.Errorf("BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE: Unable to pull customer's container image %s: %v", image, err)
			}
			return "", nil, fmt.Errorf("pull %s: %w", image, err)
		}
	}
	spec := runtime.ContainerSpec{
		Name:        "wharf-build-" + workspaceName(b.ID),
		Image:       image,
		Entrypoint:  keepAlive[:1],
		Cmd:         keepAlive[1:],
		Labels:      map[string]string{LabelBuild: b.ID, LabelInstance: r.cfg.Instance, LabelDataDir: r.cfg.DataDir},
		NetworkMode: "host", // builds reach wharf's API and registry on loopback
		Init:        true,
		// privilegedMode gives the build the host's Docker engine through
		// its socket, not a privileged container: CodeBuild needs the
		// privilege to run its own dockerd inside, wharf does not, and
		// many hosts (rootless Docker, nested containers) refuse it.
		Mounts: []runtime.Mount{{Type: runtime.MountBind, Source: ws, Target: ws}},
	}
	if hasMode(b.Cache, cacheCustom) {
		dir := r.cacheDir(b, "custom")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, err
		}
		spec.Mounts = append(spec.Mounts, runtime.Mount{Type: runtime.MountBind, Source: dir, Target: dir})
	}
	if b.Environment.PrivilegedMode {
		spec.Mounts = append(spec.Mounts, runtime.Mount{Type: runtime.MountBind, Source: dockerSocket, Target: dockerSocket})
	}
	out.agent("Starting build container from " + image)
	id, err := rt.Create(ctx, spec)
	if err != nil {
		return "", nil, fmt.Errorf("create the build container: %w", err)
	}
	if err := rt.Start(ctx, id); err != nil {
		return id, nil, fmt.Errorf("start the build container: %w", err)
	}
	return id, r.imageEnv(ctx, image), nil
}

// imageEnv is the image's own environment (its PATH above all), which the
// shell gets as its base; `docker exec -e` would otherwise replace it.
func (r *Runner) imageEnv(ctx context.Context, image string) []string {
	out, err := exec.CommandContext(ctx, r.cfg.DockerCLI, "image", "inspect", "--format", "{{json .Config.Env}}", image).Output()
	var env []string
	if err != nil || json.Unmarshal(out, &env) != nil {
		return nil
	}
	return env
}

// hasBash reports whether the build container has bash on its PATH.
func (r *Runner) hasBash(ctx context.Context, container string) bool {
	cmd := exec.CommandContext(ctx, r.cfg.DockerCLI, "exec", container, "sh", "-c", "command -v bash")
	cmd.Env = append(os.Environ(), clientEnv()...)
	return cmd.Run() == nil
}

// clientEnv is the docker CLI's own environment, as the agent has it.
func clientEnv() []string {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = "unix://" + dockerSocket
	}
	return []string{"DOCKER_HOST=" + host, "DOCKER_CONTEXT=default", "DOCKER_TLS_VERIFY="}
}

// execIn returns the ShellCommand that runs the build's shell in the
// container: names in argv, values in the docker CLI's environment.
func (r *Runner) execIn(container string, bash bool) func(buildspec.ShellProcess) *exec.Cmd {
	return func(p buildspec.ShellProcess) *exec.Cmd {
		if p.Name == "bash" && !bash {
			// CodeBuild's images all have bash; a minimal image gets sh.
			p.Name, p.Args = "sh", nil
		}
		args := []string{"exec", "-i", "-w", p.Dir}
		for _, kv := range p.Env {
			if name, _, ok := strings.Cut(kv, "="); ok && name != "" {
				args = append(args, "-e", name)
			}
		}
		if p.User != "" {
			args = append(args, "-u", p.User)
		}
		args = append(args, container, p.Name)
		args = append(args, p.Args...)
		cmd := exec.Command(r.cfg.DockerCLI, args...)
		// The client's own settings come last, so that a build variable
		// named DOCKER_HOST cannot point the agent's docker exec elsewhere.
		cmd.Env = append(append([]string(nil), p.Env...), clientEnv()...)
		return cmd
	}
}
