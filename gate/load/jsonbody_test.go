package load

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONBodyRendering(t *testing.T) {
	p := &Prompt{
		Vars: map[string]string{"x": `say "hi"`, "n": "3", "list": "[1,2]"},
		Raw:  map[string]json.RawMessage{"n": json.RawMessage("3"), "list": json.RawMessage("[1,2]")},
	}
	for doc, want := range map[string]string{
		// {{json .x}} alone is the field's value, not encoded twice.
		`{"a": "{{json .x}}", "b": "{{ .x }}", "n": "{{json .n}}"}`: `{"a":"say \"hi\"","b":"say \"hi\"","n":3}`,
		// Inside a longer string a template's output is one JSON string.
		`{"s": "n={{.n}} x={{.x}}", "l": "{{.list}}", "k\u00e9": [true, null]}`: `{"s":"n=3 x=say \"hi\"","l":[1,2],"ké":[true,null]}`,
		`"{{.x}}"`: `"say \"hi\""`,
	} {
		b, _, err := compileJSONBody([]byte(doc))
		if err != nil || b == nil {
			t.Fatalf("%s: %v", doc, err)
		}
		got, err := b.render(p)
		if err != nil || string(got) != want {
			t.Errorf("%s\n got %s (%v)\nwant %s", doc, got, err, want)
		}
	}
}

// TestJSONBodyMaxTokens: "{{.max_tokens}}" is the prompt's requested output
// length as a number, for synthetic prompts and overridden dataset rows.
func TestJSONBodyMaxTokens(t *testing.T) {
	b, _, err := compileJSONBody([]byte(`{"n": "{{.max_tokens}}", "s": "n={{.max_tokens}}"}`))
	if err != nil {
		t.Fatal(err)
	}
	syn := Synthetic{Seed: 1, InputTokens: Dist{Mean: 4}, OutputTokens: Dist{Mean: 9}}.Request(3)
	if got, err := b.render(&syn); err != nil || string(got) != `{"n":9,"s":"n=9"}` {
		t.Errorf("synthetic: %s %v", got, err)
	}
	d, err := ReadDataset(strings.NewReader(`{"prompt":"a","max_tokens":4}`), "d.jsonl", DatasetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.MaxTokens = 7
	row := d.Request(0)
	if got, err := b.render(&row); err != nil || string(got) != `{"n":7,"s":"n=7"}` {
		t.Errorf("overridden row: %s %v", got, err)
	}
}
