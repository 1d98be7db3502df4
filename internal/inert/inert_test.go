package inert_test

import (
	"strings"
	"testing"

	. "github.com/perfgate/perfgate/internal/inert"
	"github.com/perfgate/perfgate/internal/inert/inerttest"
)

const zwsp = "\u200b"

func TestHostileTextIsInert(t *testing.T) {
	for name, out := range map[string]string{"Markdown": Markdown(inerttest.Hostile), "Code": "`" + Code(inerttest.Hostile) + "`", "Line": Line(inerttest.Hostile)} {
		if strings.ContainsAny(out, "\n\r") {
			t.Errorf("%s: more than one line: %q", name, out)
		}
		if name == "Code" {
			// GitHub renders nothing in a code span; what matters there is
			// that the span and the cell stay closed and no marker starts.
			if strings.Count(out, "`") != 2 || strings.Contains(out, " | ") || strings.Contains(out, "<!--") {
				t.Errorf("Code: %q", out)
			}
			continue
		}
		if found := inerttest.Forbidden(out, name == "Markdown"); len(found) > 0 {
			t.Errorf("%s keeps %q:\n%s", name, found, out)
		}
	}
	want := `\- @` + zwsp + `octocat @` + zwsp + `acme/admins see #` + zwsp + `123, acme/chat#` + zwsp + `9 and GH-` + zwsp + `77 https:` + zwsp + `//evil.example/x www` + zwsp + `.evil.example [click]\(https:` + zwsp + `//evil.example) ![img]\(https:` + zwsp + `//evil.example/i.png) &lt;img src=x onerror=alert(1)&gt; &lt;b&gt;bold&lt;/b&gt; \` + "`code\\`" + ` \| a \| b \| &lt;/details&gt;&lt;/summary&gt; &lt;!-- perfgate:policy=victim --&gt; \*\*strong\*\* \_em\_ \~\~gone\~\~ \$x^2\$ &amp;#` + zwsp + `64;octocat deadbe` + zwsp + `ef1234 #` + zwsp + ` heading - item &gt; quote`
	if got := Markdown(inerttest.Hostile); got != want {
		t.Errorf("Markdown:\n got %q\nwant %q", got, want)
	}
}

func TestOrdinaryTextIsUnchanged(t *testing.T) {
	for _, s := range []string{"error_rate changed by +1.9% [-1.2%, +5.0%]: below the 10% material change.", "sim-llama-3.1-8b", "p95 1234567 ms"} {
		if got := Markdown(s); got != s {
			t.Errorf("Markdown(%q) = %q", s, got)
		}
	}
	if got := Value("9f3c2a1e4b5d6c7f8091a2b3c4d5e6f708192a3b"); got != "9f3c2a1e4b5d6c7f8091a2b3c4d5e6f708192a3b" {
		t.Errorf("Value changed a commit: %q", got)
	}
}

func TestLengthCapped(t *testing.T) {
	long := strings.Repeat("ab", 5000)
	for name, f := range map[string]func(string) string{"Markdown": Markdown, "Code": Code, "Line": Line, "Value": Value} {
		if n := len([]rune(f(long))); n > Max {
			t.Errorf("%s: %d runes, want at most %d", name, n, Max)
		}
	}
}
