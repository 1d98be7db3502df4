package load

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestSyntheticDeterministic(t *testing.T) {
	s := Synthetic{Seed: 9, InputTokens: Dist{Kind: DistNormal, Mean: 50, Stddev: 10, Min: 10, Max: 90},
		OutputTokens: Dist{Kind: DistUniform, Min: 5, Max: 20}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s2 := s
	other := s
	other.Seed = 10
	differ := 0
	for i := uint64(0); i < 200; i++ {
		a, b, c := s.Request(i), s2.Request(i), other.Request(i)
		if a.Text != b.Text || a.MaxTokens != b.MaxTokens || a.InputTokens != b.InputTokens {
			t.Fatalf("request %d differs for the same seed", i)
		}
		if a.Text != c.Text {
			differ++
		}
		if n := len(strings.Fields(a.Text)); n != a.InputTokens || n < 10 || n > 90 {
			t.Fatalf("request %d: %d words, InputTokens %d, want within [10, 90]", i, n, a.InputTokens)
		}
		if a.MaxTokens < 5 || a.MaxTokens > 20 || a.Vars["prompt"] != a.Text {
			t.Fatalf("request %d: max_tokens %d, vars %v", i, a.MaxTokens, a.Vars["max_tokens"])
		}
	}
	if differ < 190 {
		t.Errorf("another seed changed only %d of 200 prompts", differ)
	}
	if s.Request(3).Text == s.Request(4).Text {
		t.Error("different indices gave the same prompt")
	}
	fixed := Synthetic{InputTokens: Dist{Mean: 8}, OutputTokens: Dist{Kind: DistFixed, Mean: 4}}
	if p := fixed.Request(0); p.InputTokens != 8 || p.MaxTokens != 4 {
		t.Errorf("fixed: %d/%d", p.InputTokens, p.MaxTokens)
	}
	for _, d := range []Dist{{Kind: "zipf", Mean: 3}, {Kind: DistUniform, Min: 5, Max: 2}, {Mean: 0}, {Kind: DistNormal, Mean: 5, Stddev: -1}} {
		if d.Validate("x") == nil {
			t.Errorf("%+v validated", d)
		}
	}
}

func TestSampleDatasets(t *testing.T) {
	for _, name := range []string{"sample-sharegpt.jsonl", "sample-prompts.jsonl"} {
		d, err := LoadDataset(filepath.Join("..", "..", "testdata", "datasets", name), DatasetOptions{Seed: 1, Shuffle: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Rows) < 10 {
			t.Fatalf("%s: %d rows", name, len(d.Rows))
		}
		for i := uint64(0); i < uint64(2*len(d.Rows)); i++ {
			p := d.Request(i)
			if p.Text == "" || p.MaxTokens < 1 || p.Index != i || p.Vars["prompt"] != p.Text {
				t.Fatalf("%s request %d: %+v", name, i, p)
			}
		}
		d2, _ := LoadDataset(filepath.Join("..", "..", "testdata", "datasets", name), DatasetOptions{Seed: 1, Shuffle: true})
		if d.Request(5).Text != d2.Request(5).Text {
			t.Errorf("%s: same seed, different order", name)
		}
	}
}

func TestDatasetErrorsNameTheLine(t *testing.T) {
	good := `{"prompt":"hello","max_tokens":3}`
	cases := []struct {
		body string
		line int
		want string
	}{
		{good + "\n{not json}\n", 2, "not a JSON object"},
		{good + "\n\n" + `{"max_tokens":3}` + "\n", 3, `no "prompt" (the dataset's format is prompts)`},
		{`{"prompt":""}`, 1, "non-empty"},
		{good + "\n" + `{"prompt":"x","max_tokens":"many"}`, 2, "max_tokens"},
		{good + "\n" + good + "\n" + `{"conversations":[{"from":"human","value":"hi"}]}`, 3, `no "prompt"`},
		{`{"conversations":[{"from":"gpt","value":"hi"}]}`, 1, "no non-empty human turn"},
		{`null`, 1, "not a JSON object"},
		{`{"conversations":"nope"}`, 1, "conversations"},
		{`[1,2]`, 1, "not a JSON object"},
		{good + "\n" + `{"prompt":"x"`, 2, "not a JSON object"},
	}
	for _, c := range cases {
		_, err := ReadDataset(strings.NewReader(c.body), "set.jsonl", DatasetOptions{Seed: 1})
		var de *DatasetError
		if !errors.As(err, &de) {
			t.Errorf("%q: err = %v, want a DatasetError", c.body, err)
			continue
		}
		if de.Line != c.line || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "set.jsonl:") {
			t.Errorf("%q: %v; want line %d mentioning %q", c.body, err, c.line, c.want)
		}
	}
	if _, err := ReadDataset(strings.NewReader("\n\n"), "empty.jsonl", DatasetOptions{Seed: 1}); err == nil || !strings.Contains(err.Error(), "no records") {
		t.Errorf("empty dataset: %v", err)
	}
	// CRLF endings and a last line without newline are fine.
	d, err := ReadDataset(strings.NewReader(good+"\r\n"+`{"prompt":"b"}`), "crlf.jsonl", DatasetOptions{Seed: 1})
	if err != nil || len(d.Rows) != 2 || d.Rows[1].Text != "b" {
		t.Fatalf("crlf: %v %+v", err, d)
	}
	d.MaxTokens = 7
	if p := d.Request(1); p.MaxTokens != 7 || p.Vars["max_tokens"] != "7" || d.Rows[1].Vars["max_tokens"] == "7" {
		t.Errorf("MaxTokens override: %+v", p)
	}
}

func TestDatasetFormats(t *testing.T) {
	recs := `{"id": 7, "image": "a b", "features": [1, 2.5], "ok": true}` + "\n" + `{"id": "x/y", "image": "c\"d", "features": {"k": 1}}`
	d, err := ReadDataset(strings.NewReader(recs), "recs.jsonl", DatasetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r0 := d.Rows[0]
	if r0.Text != "" || r0.Vars["id"] != "7" || string(r0.Raw["id"]) != "7" || r0.Vars["image"] != "a b" || string(r0.Raw["features"]) != "[1,2.5]" || string(r0.Raw["ok"]) != "true" {
		t.Errorf("records row: %+v", r0)
	}
	if _, isRaw := r0.Raw["image"]; isRaw {
		t.Errorf("a string field is in Raw: %+v", r0.Raw)
	}
	// An explicit format is enforced on every row.
	_, err = ReadDataset(strings.NewReader(`{"prompt":"a"}`), "p.jsonl", DatasetOptions{Format: FormatShareGPT})
	if err == nil || !strings.Contains(err.Error(), `p.jsonl:1: record has no "conversations"`) {
		t.Errorf("sharegpt on prompts: %v", err)
	}
	// The prompts format read as records keeps the prompt.
	d, err = ReadDataset(strings.NewReader(`{"prompt":"a","max_tokens":4}`), "p.jsonl", DatasetOptions{Format: FormatRecords})
	if err != nil || d.Rows[0].Text != "a" || d.Rows[0].MaxTokens != 4 {
		t.Errorf("records with a prompt: %v %+v", err, d)
	}
	if _, err := ReadDataset(strings.NewReader(`{}`), "p.jsonl", DatasetOptions{Format: "csv"}); err == nil || !strings.Contains(err.Error(), `unknown dataset format "csv"`) {
		t.Errorf("unknown format: %v", err)
	}
}
