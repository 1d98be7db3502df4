//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMHelperProcess runs main with the arguments in
// PERFGATE_MAIN_ARGS; TestSIGTERMWritesPartialReport signals it.
func TestSIGTERMHelperProcess(t *testing.T) {
	args := os.Getenv("PERFGATE_MAIN_ARGS")
	if args == "" {
		t.Skip("helper process only")
	}
	os.Args = append([]string{"perfgate"}, strings.Split(args, "\x1f")...)
	main()
}

// startPerfgate starts perfgate with args in a process of its own (this
// test binary, through TestSIGTERMHelperProcess) and returns it with the
// buffer that receives its stderr.
func startPerfgate(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGTERMHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PERFGATE_MAIN_ARGS="+strings.Join(args, "\x1f"))
	stderr := new(bytes.Buffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stderr
}

// TestSIGTERMWritesPartialReport sends SIGTERM to a perfgate process while
// it measures: the process exits 3 within 5 s and leaves a partial report.
func TestSIGTERMWritesPartialReport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	url := startSim(t, nil)
	out := t.TempDir()
	pol := writePolicy(t, strings.Replace(testPolicy, `duration: "6s"`, `duration: "20s"`, 1))
	cmd, stderr := startPerfgate(t, "run", "--policy", pol, "--target", url, "--out", out, "--quiet", "--max-lag", "60ms")
	time.Sleep(2 * time.Second) // past the 1 s warm-up
	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running 10 s after SIGTERM\n%s", stderr.String())
	}
	took := time.Since(signalled)
	t.Logf("exited %v after SIGTERM", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("exited %v after SIGTERM, want within 5 s", took)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitNoTrust {
		t.Errorf("exit %v, want 3\n%s", err, stderr.String())
	}
	noCrash(t, stderr.String())
	r := readRunReport(t, out)
	if r.Verdict != "invalid" || !r.Partial {
		t.Errorf("report verdict %s, partial %v; want a partial invalid report", r.Verdict, r.Partial)
	}
}
