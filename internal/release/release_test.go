package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func skipWithoutShell(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the release scripts are POSIX shell scripts")
	}
}

// actionImage reads runs.image of an action.yml and setup's version default.
func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// copyActions copies action.yml and setup/action.yml into a new directory.
func copyActions(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"action.yml", filepath.Join("setup", "action.yml")} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestReleaseActionRewrite runs the release step that turns main's action
// into the release's: main's action.yml builds the Dockerfile and the setup
// action installs the latest release; the release's action.yml runs the
// pushed image of its own version and nothing else changes; setup installs
// that version. Bad versions and an action.yml that no longer has the line
// to rewrite are refused, leaving the files as they were.
func TestReleaseActionRewrite(t *testing.T) {
	skipWithoutShell(t)
	main := readYAML(t, filepath.Join(root, "action.yml"))
	if img := get(main, "runs", "image"); img != "Dockerfile" {
		t.Fatalf("main's action.yml runs.image = %v, want Dockerfile (the self-test builds this commit)", img)
	}
	if v := get(readYAML(t, filepath.Join(root, "setup", "action.yml")), "inputs", "version", "default"); v != "latest" {
		t.Fatalf("main's setup/action.yml version default = %v, want latest", v)
	}

	dir := copyActions(t)
	script := filepath.Join(root, "scripts", "release-action.sh")
	if out, err := exec.Command("sh", script, "v1.4.2", dir).CombinedOutput(); err != nil {
		t.Fatalf("release-action.sh v1.4.2: %v\n%s", err, out)
	}
	rel := readYAML(t, filepath.Join(dir, "action.yml"))
	if img := get(rel, "runs", "image"); img != "docker://ghcr.io/perfgate/perfgate:v1.4.2" {
		t.Errorf("release action.yml runs.image = %v", img)
	}
	if get(rel, "runs", "using") != "docker" {
		t.Errorf("release action.yml runs.using = %v", get(rel, "runs", "using"))
	}
	// Only the image line differs.
	before, _ := os.ReadFile(filepath.Join(root, "action.yml"))
	after, _ := os.ReadFile(filepath.Join(dir, "action.yml"))
	bl, al := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	diff := 0
	for i := range bl {
		if i >= len(al) || bl[i] != al[i] {
			diff++
		}
	}
	if len(bl) != len(al) || diff != 1 {
		t.Errorf("the rewrite changed %d lines (of %d, now %d), want only runs.image", diff, len(bl), len(al))
	}
	if v := get(readYAML(t, filepath.Join(dir, "setup", "action.yml")), "inputs", "version", "default"); v != "v1.4.2" {
		t.Errorf("release setup/action.yml version default = %v, want v1.4.2", v)
	}
	// Inputs are the same in both: a release changes no interface.
	if fmt.Sprint(get(rel, "inputs")) != fmt.Sprint(get(main, "inputs")) {
		t.Error("the rewrite changed the inputs")
	}

	// A second rewrite finds no Dockerfile line: refused, files unchanged.
	if out, err := exec.Command("sh", script, "v1.4.3", dir).CombinedOutput(); err == nil || !strings.Contains(string(out), "want exactly one line") {
		t.Errorf("rewriting a released action.yml: %v\n%s", err, out)
	}
	for _, bad := range []string{"1.2.3", "v1.2", "main", "v1.2.3; rm -rf /", "v1.2.3-"} {
		dir := copyActions(t)
		out, err := exec.Command("sh", script, bad, dir).CombinedOutput()
		if code := exitCode(err); code != 2 {
			t.Errorf("version %q: exit %d, want 2\n%s", bad, code, out)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "action.yml")); string(got) != string(before) {
			t.Errorf("version %q changed action.yml", bad)
		}
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// platforms are the release's: every one must have a binary.
var platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// TestDist runs scripts/dist.sh, the release's build of the binaries: the
// host's platform always (cached by the Go build cache, seconds), and every
// platform of the release with PERFGATE_TEST_DIST=1 (a cold cross-build of
// each is minutes on 2 cores, too long for .ci/run). Each binary is checked
// for its platform by its header (ELF, Mach-O, PE and machine), the host's
// by running it, and SHA256SUMS lists exactly the binaries with their sums.
func TestDist(t *testing.T) {
	skipWithoutShell(t)
	if testing.Short() {
		t.Skip("builds binaries")
	}
	script, _ := os.ReadFile(filepath.Join(root, "scripts", "dist.sh"))
	for _, p := range platforms {
		if !strings.Contains(string(script), p) {
			t.Errorf("scripts/dist.sh does not build %s", p)
		}
	}
	want := []string{runtime.GOOS + "/" + runtime.GOARCH}
	if os.Getenv("PERFGATE_TEST_DIST") == "1" {
		want = platforms
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", filepath.Join(root, "scripts", "dist.sh"), "v0.9.1", dir)
	cmd.Env = append(os.Environ(), "PERFGATE_PLATFORMS="+strings.Join(want, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/dist.sh: %v\n%s", err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != len(want) {
		t.Errorf("SHA256SUMS has %d lines, want %d:\n%s", len(lines), len(want), sums)
	}
	for _, p := range want {
		goos, goarch, _ := strings.Cut(p, "/")
		name := "perfgate-v0.9.1-" + goos + "-" + goarch
		if goos == "windows" {
			name += ".exe"
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := binaryPlatform(b); got != p {
			t.Errorf("%s is a %s binary, want %s", name, got, p)
		}
		sum := sha256.Sum256(b)
		if !strings.Contains(string(sums), hex.EncodeToString(sum[:])+"  "+name+"\n") {
			t.Errorf("SHA256SUMS lacks %s with its sum", name)
		}
		if p == runtime.GOOS+"/"+runtime.GOARCH {
			out, err := exec.Command(filepath.Join(dir, name), "version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "perfgate v0.9.1 ") {
				t.Errorf("%s version: %q %v", name, out, err)
			}
		}
	}
}

// binaryPlatform reads OS/ARCH from an executable's header.
func binaryPlatform(b []byte) string {
	switch {
	case len(b) > 20 && string(b[:4]) == "\x7fELF":
		switch b[18] {
		case 0x3e:
			return "linux/amd64"
		case 0xb7:
			return "linux/arm64"
		}
	case len(b) > 8 && string(b[:4]) == "\xcf\xfa\xed\xfe":
		switch int(b[4]) | int(b[5])<<8 {
		case 0x07:
			return "darwin/amd64"
		case 0x0c:
			return "darwin/arm64"
		}
	case len(b) > 0x40 && string(b[:2]) == "MZ":
		pe := int(b[0x3c]) | int(b[0x3d])<<8
		if pe+6 < len(b) && string(b[pe:pe+4]) == "PE\x00\x00" {
			switch int(b[pe+4]) | int(b[pe+5])<<8 {
			case 0x8664:
				return "windows/amd64"
			case 0xaa64:
				return "windows/arm64"
			}
		}
	}
	return "unknown"
}

// fakeRelease serves a release of version on 127.0.0.1 as GitHub does:
// BASE/latest redirects to BASE/tag/VERSION, BASE/download/VERSION/ASSET
// are the files. The "binary" of each platform is a shell script that
// prints what perfgate version prints; sums maps an asset to the checksum
// SHA256SUMS lists (the real one unless the test overrides it).
func fakeRelease(t *testing.T, version string, tamper string) (base string, hits *[]string) {
	t.Helper()
	files := map[string][]byte{}
	var sums strings.Builder
	for _, p := range platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		name := "perfgate-" + version + "-" + goos + "-" + goarch
		if goos == "windows" {
			name += ".exe"
		}
		bin := []byte(fmt.Sprintf("#!/bin/sh\necho \"perfgate %s go1.26 %s\"\n", version, p))
		files[name] = bin
		s := sha256.Sum256(bin)
		if name == tamper {
			files[name] = append(bin, "# tampered\n"...)
		}
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(s[:]), name)
	}
	files["SHA256SUMS"] = []byte(sums.String())
	var seen []string
	mux := http.NewServeMux()
	mux.HandleFunc("/releases/latest", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path)
		http.Redirect(w, r, "/releases/tag/"+version, http.StatusFound)
	})
	mux.HandleFunc("/releases/download/", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path)
		v, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/releases/download/"), "/")
		b, ok := files[name]
		if v != version || !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/releases", &seen
}

type install struct {
	out      string
	err      error
	path     string // lines appended to GITHUB_PATH
	outputs  string // GITHUB_OUTPUT
	temp     string
	binaries []string
}

func runInstall(t *testing.T, base, version, osName, arch string) install {
	t.Helper()
	tmp := t.TempDir()
	ghPath, ghOut := filepath.Join(tmp, "path"), filepath.Join(tmp, "output")
	cmd := exec.Command("bash", filepath.Join(root, "setup", "install.sh"))
	cmd.Env = append(os.Environ(), "PERFGATE_VERSION="+version, "PERFGATE_DOWNLOAD_URL="+base,
		"RUNNER_OS="+osName, "RUNNER_ARCH="+arch, "RUNNER_TEMP="+tmp, "GITHUB_PATH="+ghPath, "GITHUB_OUTPUT="+ghOut,
		"http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=", "ALL_PROXY=", "NO_PROXY=127.0.0.1")
	out, err := cmd.CombinedOutput()
	p, _ := os.ReadFile(ghPath)
	o, _ := os.ReadFile(ghOut)
	bins, _ := filepath.Glob(filepath.Join(tmp, "perfgate-*", "perfgate*"))
	return install{out: string(out), err: err, path: string(p), outputs: string(o), temp: tmp, binaries: bins}
}

// TestInstallScript runs the setup action's script against a fake release
// on 127.0.0.1: "latest" follows the redirect to the version, a pinned
// version is fetched as is, each runner platform gets its asset, the binary
// lands on GITHUB_PATH and in the outputs; a checksum that does not match,
// a version that does not exist and an unknown platform fail with a message
// and install nothing.
func TestInstallScript(t *testing.T) {
	skipWithoutShell(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("setup/install.sh needs curl (every GitHub runner has it)")
	}
	base, hits := fakeRelease(t, "v1.3.0", "perfgate-v1.3.0-darwin-arm64")

	r := runInstall(t, base, "latest", "Linux", "X64")
	if r.err != nil {
		t.Fatalf("install latest: %v\n%s", r.err, r.out)
	}
	dir := filepath.Join(r.temp, "perfgate-v1.3.0")
	if strings.TrimSpace(r.path) != dir {
		t.Errorf("GITHUB_PATH got %q, want %q", r.path, dir)
	}
	if want := "version=v1.3.0\npath=" + filepath.Join(dir, "perfgate") + "\n"; r.outputs != want {
		t.Errorf("GITHUB_OUTPUT = %q, want %q", r.outputs, want)
	}
	if out, err := exec.Command(filepath.Join(dir, "perfgate"), "version").Output(); err != nil || !strings.Contains(string(out), "linux/amd64") {
		t.Errorf("installed binary: %q %v", out, err)
	}
	if !strings.Contains(strings.Join(*hits, " "), "/releases/latest") {
		t.Errorf("latest was not resolved through BASE/latest: %v", *hits)
	}

	// Windows gets the .exe; arm64 Linux its own asset. (The fake binaries
	// are shell scripts, so they run here whatever their name.)
	for _, c := range []struct{ os, arch, want string }{
		{"Linux", "ARM64", "perfgate-v1.3.0-linux-arm64"},
		{"macOS", "X64", "perfgate-v1.3.0-darwin-amd64"},
		{"Windows", "X64", "perfgate-v1.3.0-windows-amd64.exe"},
		{"Windows", "ARM64", "perfgate-v1.3.0-windows-arm64.exe"},
	} {
		*hits = nil
		r := runInstall(t, base, "v1.3.0", c.os, c.arch)
		if r.err != nil {
			t.Errorf("%s %s: %v\n%s", c.os, c.arch, r.err, r.out)
			continue
		}
		if got := strings.Join(*hits, " "); !strings.Contains(got, "/"+c.want) || strings.Contains(got, "latest") {
			t.Errorf("%s %s fetched %s, want %s", c.os, c.arch, got, c.want)
		}
		if c.os == "Windows" && (len(r.binaries) != 1 || filepath.Base(r.binaries[0]) != "perfgate.exe") {
			t.Errorf("windows install: %v", r.binaries)
		}
	}

	for _, c := range []struct{ version, os, arch, want string }{
		{"v1.3.0", "macOS", "ARM64", "checksum"},          // tampered asset
		{"v1.2.9", "Linux", "X64", "cannot download"},     // no such release
		{"v1.3.0", "FreeBSD", "X64", "operating system"},  // no such platform
		{"v1.3.0", "Linux", "S390X", "architecture"},      // no such platform
		{"1.3; curl evil", "Linux", "X64", "want vMAJOR"}, // bad version input
	} {
		r := runInstall(t, base, c.version, c.os, c.arch)
		if r.err == nil || !strings.Contains(r.out, c.want) {
			t.Errorf("%s %s %s: err %v, output %q, want a failure saying %q", c.version, c.os, c.arch, r.err, r.out, c.want)
		}
		if len(r.binaries) > 0 || r.path != "" {
			t.Errorf("%s %s %s: installed %v, PATH %q after a failure", c.version, c.os, c.arch, r.binaries, r.path)
		}
	}
}

// TestActionInputsEverywhere: every input of action.yml is read by the
// action (internal/ghaction) and has a row in docs/github-action.md's
// table; every input of the setup action is passed to its script and named
// in the docs.
func TestActionInputsEverywhere(t *testing.T) {
	docs, _ := os.ReadFile(filepath.Join(root, "docs", "github-action.md"))
	var code strings.Builder
	files, _ := filepath.Glob(filepath.Join(root, "internal", "ghaction", "*.go"))
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			b, _ := os.ReadFile(f)
			code.Write(b)
		}
	}
	inputs, _ := get(readYAML(t, filepath.Join(root, "action.yml")), "inputs").(map[string]any)
	if len(inputs) < 19 {
		t.Fatalf("action.yml has %d inputs", len(inputs))
	}
	for name := range inputs {
		if !strings.Contains(code.String(), `GetInput("`+name+`")`) {
			t.Errorf("input %s is not read by internal/ghaction", name)
		}
		if !strings.Contains(string(docs), "`"+name+"`") {
			t.Errorf("input %s is not in docs/github-action.md", name)
		}
	}
	setup := readYAML(t, filepath.Join(root, "setup", "action.yml"))
	steps, _ := get(setup, "runs", "steps").([]any)
	if len(steps) != 1 {
		t.Fatalf("setup action steps: %v", steps)
	}
	env := fmt.Sprint(steps[0].(map[string]any)["env"])
	for name := range get(setup, "inputs").(map[string]any) {
		if !strings.Contains(env, "inputs."+name) || !strings.Contains(string(docs), "`"+name+"`") {
			t.Errorf("setup input %s: not passed to install.sh (env %s) or not documented", name, env)
		}
	}
}
