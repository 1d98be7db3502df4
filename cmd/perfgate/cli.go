package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"github.com/perfgate/perfgate/gate/pipeline"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/perfgate/perfgate/policies"
)

// Exit codes of the CLI contract (README, "Exit codes").
const (
	exitPass    = pipeline.ExitPass // pass, or warn unless --fail-on warn
	exitFail    = pipeline.ExitFail
	exitInvalid = pipeline.ExitInvalid
	exitNoTrust = pipeline.ExitNoTrust
)

// env is what a command may touch of the outside world. Commands never read
// os.Getenv or write os.Stdout directly, so tests can run them in process.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// command is one perfgate subcommand. Each lives in its own file and
// registers itself in an init function.
type command struct {
	name    string
	summary string // one line for the command list
	usage   string // full help text, printed by "perfgate NAME --help"; "" = help/NAME.txt
	run     func(ctx context.Context, e *env, args []string) int
}

var commands = map[string]*command{}

// help holds the commands' help texts: documentation, kept out of the code.
//
//go:embed help/*.txt
var help embed.FS

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("perfgate: command registered twice: " + c.name)
	}
	if b, err := help.ReadFile("help/" + c.name + ".txt"); c.usage == "" && err == nil {
		c.usage = strings.TrimRight(string(b), "\n") + "\n"
	}
	commands[c.name] = c
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printTopUsage(stderr)
		return exitInvalid
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprint(stdout, c.usage)
				return exitPass
			}
		}
		printTopUsage(stdout)
		return exitPass
	case "-v", "--version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "perfgate: unknown command %q\n\n", name)
		printTopUsage(stderr)
		return exitInvalid
	}
	return runCommand(ctx, c, e, args[1:])
}

// runCommand runs c and turns a panic of its goroutine into one line on
// stderr and exit 3: a bug must not print a stack trace into a CI log or a
// pull request (PERFGATE_DEBUG=1 adds the stack, for a bug report).
func runCommand(ctx context.Context, c *command, e *env, args []string) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(e.stderr, "perfgate %s: internal error: %v; nothing was decided (please report this with PERFGATE_DEBUG=1 set)\n", c.name, p)
			if e.getenv("PERFGATE_DEBUG") != "" {
				e.stderr.Write(debug.Stack())
			}
			code = exitNoTrust
		}
	}()
	return c.run(ctx, e, args)
}

func printTopUsage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprint(w, "perfgate: a performance gate for pull requests and release pipelines.\n\nUsage:\n  perfgate COMMAND [flags] [args]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, "\nRun \"perfgate COMMAND --help\" for a command's flags and an example.\nExit codes: 0 pass (or warn), 1 fail, 2 invalid input, 3 measurement not possible or not trusted.\n")
}

// newFlagSet returns a flag set for command c that prints c's usage on
// --help and reports errors without exiting the process.
func newFlagSet(c *command, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs. It returns done=true with the exit code to
// use when parsing should end the command: help was asked for (0) or the
// flags were wrong (2, with a message that says which flag).
func parseFlags(c *command, fs *flag.FlagSet, e *env, args []string) (done bool, code int) {
	err := fs.Parse(args)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, c.usage)
		if len(names) > 0 {
			fmt.Fprintln(e.stdout, "\nFlags:")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
		}
		return true, exitPass
	}
	if name, ok := strings.CutPrefix(fmt.Sprint(err), "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		msg := fmt.Sprintf("unknown flag --%s", name)
		if near := policies.Closest(name, names); near != "" {
			msg += fmt.Sprintf("; did you mean --%s?", near)
		}
		if len(names) == 0 {
			return true, usageError(c, e, "%s (it takes no flags)", msg)
		}
		return true, usageError(c, e, "%s (its flags: --%s)", msg, strings.Join(names, ", --"))
	}
	if err != nil {
		return true, usageError(c, e, "%v", err)
	}
	return false, 0
}

// parseMixed parses args into fs where flags may come before, between or
// after the positional arguments, and returns those in order; done as
// parseFlags.
func parseMixed(c *command, fs *flag.FlagSet, e *env, args []string) (pos []string, done bool, code int) {
	for {
		if done, code := parseFlags(c, fs, e, args); done {
			return nil, true, code
		}
		if fs.NArg() == 0 {
			return pos, false, 0
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}

// usageError prints a message about wrong arguments and returns exitInvalid.
func usageError(c *command, e *env, format string, a ...any) int {
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintf(e.stderr, "perfgate %s: %s\nRun \"perfgate %s --help\" for usage.\n", c.name, strings.TrimSpace(msg), c.name)
	return exitInvalid
}

// policyArg takes the policy from the first argument when --policy is not
// given ("perfgate run chat.cue --target URL"); with none, or more
// arguments, it says how to give one and returns false.
func policyArg(c *command, e *env, fs *flag.FlagSet, policy *string) (int, bool) {
	if *policy == "" && fs.NArg() > 0 {
		*policy = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return usageError(c, e, "%v", err), false
		}
	}
	switch {
	case *policy == "":
		return usageError(c, e, "--policy is required: perfgate %s --policy chat.cue (or perfgate %s chat.cue)", c.name, c.name), false
	case fs.NArg() > 0:
		return usageError(c, e, "unexpected argument %q", fs.Arg(0)), false
	}
	return 0, true
}
