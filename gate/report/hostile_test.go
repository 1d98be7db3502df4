package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/internal/inert/inerttest"
)

// hostileInput is failInput with the hostile text everywhere a string from
// the target, a dataset, the policy or the workflow reaches a report: error
// bodies, invalid-run reasons, model, labels, policy name and title,
// scenario, branch, commit, warnings, reasons and advice.
func hostileInput() Input {
	h := inerttest.Hostile
	in := failInput()
	// A fork chooses its branch's name; the commit is GitHub's SHA.
	in.Policy, in.Title, in.Branch = h, h, h
	in.Warnings = []string{h}
	in.Verdict.Reason = h
	in.Verdict.Warnings = []string{h}
	for i := range in.Verdict.Checks {
		c := &in.Verdict.Checks[i]
		c.Reason = h
		c.Advice = []gate.Advice{{Text: h}}
		if c.Scenario == "chat-steady" {
			c.Scenario = h
		}
	}
	for _, r := range in.Runs {
		if r.Scenario == "chat-steady" {
			r.Scenario = h
		}
		r.Env.Model, r.Env.Target, r.Env.Perfgate = h, h, h
		r.Env.Labels = map[string]string{h: h}
		r.Valid = false
		r.Invalid = []string{h}
		r.ErrorExamples = map[string]string{"http-5xx": h, h: h}
		if len(r.Windows) > 0 {
			r.Windows[0].Failed = 3
			r.Windows[0].Errors = map[string]int64{"http-5xx": 2, h: 1}
		}
		if r.Reference != nil {
			r.Reference.Env.Model = h
			r.Reference.ErrorExamples = map[string]string{"http-5xx": h}
		}
	}
	return in
}

// TestHostileTextGolden renders the hostile input as the comment (which is
// also the job summary) and as JUnit: nothing of it may mention,
// reference, link or format, and every <details> the comment opens is
// closed by the comment's own </details>.
// codeSpan is a code span of the comment: inert.Code leaves no backtick in
// one, and inert.Markdown escapes every backtick of its text.
var codeSpan = regexp.MustCompile("(^|[^\\\\])`[^`]*`")

func TestHostileTextGolden(t *testing.T) {
	in := hostileInput()
	md := Markdown(in, MarkdownOptions{})
	golden(t, "hostile.comment.md", []byte(md))
	marker, body, _ := strings.Cut(md, "\n")
	if marker != Marker(in.Policy) || strings.Count(marker, "-->") != 1 || !strings.HasSuffix(marker, " -->") || strings.Contains(body, "<!--") {
		t.Errorf("the comment has another marker than its own first line: %q", marker)
	}
	// GitHub renders a code span's text as it is: no mention, reference,
	// link or HTML inside one. What inert.Code makes of the text there is
	// tested in internal/inert.
	rendered := codeSpan.ReplaceAllString(body, "$1`…`")
	if found := inerttest.Forbidden(rendered, true); len(found) > 0 {
		t.Errorf("the comment keeps %q", found)
	}
	if open, closed := strings.Count(md, "<details"), strings.Count(md, "</details>"); open != closed || open == 0 {
		t.Errorf("%d <details> and %d </details>", open, closed)
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.Contains(line, "heading") && strings.HasPrefix(strings.TrimSpace(line), "# ") {
			t.Errorf("a heading from the input: %q", line)
		}
	}
	ju, err := JUnit(in)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "hostile.junit.xml", ju)
	if found := inerttest.Forbidden(string(ju), false); len(found) > 0 {
		t.Errorf("JUnit keeps %q", found)
	}
}
