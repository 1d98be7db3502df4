package ghaction

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// stage is one FROM ... of a Dockerfile and its instructions.
type stage struct {
	from, name string
	nodes      []*parser.Node
}

func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var stages []stage
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			s := stage{from: n.Next.Value}
			if a := n.Next.Next; a != nil && strings.EqualFold(a.Value, "as") && a.Next != nil {
				s.name = a.Next.Value
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if !strings.EqualFold(n.Value, "arg") {
				t.Fatalf("%s:%d: %s before FROM", path, n.StartLine, n.Value)
			}
			continue
		}
		stages[len(stages)-1].nodes = append(stages[len(stages)-1].nodes, n)
	}
	return stages
}

// args returns the words of an instruction.
func args(n *parser.Node) []string {
	var out []string
	for a := n.Next; a != nil; a = a.Next {
		out = append(out, a.Value)
	}
	return out
}

func find(s stage, instr string) []*parser.Node {
	var out []*parser.Node
	for _, n := range s.nodes {
		if strings.EqualFold(n.Value, instr) {
			out = append(out, n)
		}
	}
	return out
}

// TestDockerfile checks the action image without a Docker engine: a Go
// builder stage that builds with scripts/build.sh using the module and build
// caches, a static final stage that copies that script's output, a non-root
// USER and the action's ENTRYPOINT. Then it runs scripts/build.sh, the
// command the Dockerfile uses, and checks that the binary runs and carries
// the version.
func TestDockerfile(t *testing.T) {
	root := filepath.Join("..", "..")
	stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	if len(stages) != 2 {
		t.Fatalf("%d stages, want a builder and a final stage", len(stages))
	}
	build, final := stages[0], stages[1]
	if !strings.HasPrefix(build.from, "golang:1.") || build.name == "" {
		t.Errorf("builder stage FROM %s AS %q, want a named golang image", build.from, build.name)
	}
	if !strings.HasPrefix(final.from, "gcr.io/distroless/static") && final.from != "scratch" {
		t.Errorf("final stage FROM %s, want distroless static or scratch", final.from)
	}

	// The build runs scripts/build.sh with cache mounts, writing OUT.
	var out string
	for _, n := range find(build, "run") {
		cmd := strings.Join(args(n), " ")
		if !strings.Contains(cmd, "scripts/build.sh") {
			continue
		}
		flags := strings.Join(n.Flags, " ")
		for _, want := range []string{"--mount=type=cache,target=/go/pkg/mod", "--mount=type=cache,target=/root/.cache/go-build"} {
			if !strings.Contains(flags, want) {
				t.Errorf("build RUN lacks %s (flags %v)", want, n.Flags)
			}
		}
		fields := strings.Fields(cmd)
		for i, f := range fields {
			if strings.HasSuffix(f, "scripts/build.sh") && i+1 < len(fields) {
				out = fields[i+1]
			}
		}
	}
	if out == "" {
		t.Fatal("no RUN of scripts/build.sh OUTPUT in the builder stage")
	}
	if strings.Contains(strings.Join(func() []string {
		var all []string
		for _, n := range build.nodes {
			all = append(all, n.Original)
		}
		return all
	}(), "\n"), "go build") {
		t.Error("the Dockerfile has its own go build command; it must use scripts/build.sh")
	}

	copied := false
	for _, n := range find(final, "copy") {
		a := args(n)
		if len(a) == 2 && a[0] == out && strings.Contains(strings.Join(n.Flags, " "), "--from="+build.name) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("the final stage does not COPY --from=%s %s", build.name, out)
	}
	users := find(final, "user")
	if len(users) == 0 {
		t.Fatal("no USER in the final stage")
	}
	user := args(users[len(users)-1])[0]
	if name, _, _ := strings.Cut(user, ":"); name == "root" || name == "0" || name == "" {
		t.Errorf("USER %s is root", user)
	}
	eps := find(final, "entrypoint")
	if len(eps) != 1 || !eps[0].Attributes["json"] || strings.Join(args(eps[0]), " ") != "perfgate action" {
		t.Errorf("ENTRYPOINT must be [\"perfgate\", \"action\"] in JSON form")
	}

	// The script itself: static, trimmed, stripped, version stamped.
	script, err := os.ReadFile(filepath.Join(root, "scripts", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=", "./cmd/perfgate"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("scripts/build.sh lacks %s", want)
		}
	}

	if testing.Short() {
		t.Skip("building the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("scripts/build.sh is a POSIX shell script")
	}
	bin := filepath.Join(t.TempDir(), "perfgate")
	cmd := exec.Command("sh", filepath.Join(root, "scripts", "build.sh"), bin, "v9.8.7-test")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build.sh: %v\n%s", err, msg)
	}
	got, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(got), "perfgate v9.8.7-test ") {
		t.Fatalf("perfgate version: %q, %v", got, err)
	}
	if fi, err := os.Stat(bin); err != nil || fi.Size() > 28<<20 {
		t.Errorf("binary size %d bytes: the image would pass 30 MB", fi.Size())
	}
	help, err := exec.Command(bin, "action", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "INPUT_") {
		t.Errorf("perfgate action --help: %v\n%s", err, help)
	}
}
