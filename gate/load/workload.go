package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

// Prompt is one request of a workload.
type Prompt struct {
	Index uint64
	// Text is the user prompt (chat) or the prompt (completions).
	Text string
	// InputTokens is the approximate prompt length in tokens (one word of
	// the synthetic vocabulary is about one token; for datasets, an estimate
	// of four characters per token).
	InputTokens int
	// MaxTokens is the requested output length in tokens; 0 leaves it to
	// the server.
	MaxTokens int
	// Vars are the fields of a dataset row as text, for HTTP request
	// templates (a field whose JSON value is not a string or a number holds
	// its JSON text). The synthetic generator sets "prompt" and
	// "max_tokens".
	Vars map[string]string
	// Raw holds the JSON value of every field of Vars that is not a JSON
	// string, so a JSON body template can insert it with its type
	// ("max_tokens" is always MaxTokens, a number, and need not be here).
	Raw map[string]json.RawMessage
}

// A Workload yields the request with a given index. It is deterministic in
// its seed and i, and safe for concurrent use, so both arms of a paired run
// receive identical prompts.
type Workload interface {
	Request(i uint64) Prompt
}

// Distribution kinds of a token length.
const (
	DistFixed   = "fixed"
	DistUniform = "uniform"
	DistNormal  = "normal"
)

// Dist is a distribution of token lengths. Fixed uses Mean; uniform draws
// from [Min, Max]; normal draws from N(Mean, Stddev²) clamped to [Min, Max]
// (Max 0: no upper clamp; lengths are at least 1).
type Dist struct {
	Kind         string
	Mean, Stddev float64
	Min, Max     int
}

// Validate reports a distribution that cannot be sampled, naming the field.
func (d Dist) Validate(name string) error {
	switch d.Kind {
	case DistFixed, "":
		if d.Mean < 1 {
			return fmt.Errorf("%s: fixed length %v must be >= 1", name, d.Mean)
		}
	case DistUniform:
		if d.Min < 1 || d.Max < d.Min {
			return fmt.Errorf("%s: uniform needs 1 <= min <= max, got min %d max %d", name, d.Min, d.Max)
		}
	case DistNormal:
		if d.Mean < 1 || d.Stddev < 0 || math.IsNaN(d.Stddev) {
			return fmt.Errorf("%s: normal needs mean >= 1 and stddev >= 0, got mean %v stddev %v", name, d.Mean, d.Stddev)
		}
		if d.Max != 0 && d.Max < d.Min {
			return fmt.Errorf("%s: max %d < min %d", name, d.Max, d.Min)
		}
	default:
		return fmt.Errorf("%s: unknown distribution %q (want fixed, uniform or normal)", name, d.Kind)
	}
	return nil
}

func (d Dist) sample(r *rand.Rand) int {
	var v int
	switch d.Kind {
	case DistUniform:
		v = d.Min + r.IntN(d.Max-d.Min+1)
	case DistNormal:
		v = int(math.Round(d.Mean + d.Stddev*r.NormFloat64()))
		if v < d.Min {
			v = d.Min
		}
		if d.Max > 0 && v > d.Max {
			v = d.Max
		}
	default:
		v = int(math.Round(d.Mean))
	}
	return max(v, 1)
}

// Synthetic generates prompts of random words with input and output lengths
// drawn from the given distributions. Request i depends only on Seed and i.
type Synthetic struct {
	Seed         int64
	InputTokens  Dist
	OutputTokens Dist
}

// Validate reports a distribution that cannot be sampled.
func (s Synthetic) Validate() error {
	if err := s.InputTokens.Validate("input_tokens"); err != nil {
		return err
	}
	return s.OutputTokens.Validate("output_tokens")
}

// vocabulary holds common English words; most are one token for the usual
// tokenizers, so n words approximate n tokens.
var vocabulary = strings.Fields(`the of and to in is you that it he was for on are as with his they
at be this have from or one had by word but not what all were we when your can said there use an
each which she do how their if will up other about out many then them these so some her would make
like him into time has look two more write go see number no way could people my than first water
been call who oil its now find long down day did get come made may part over new sound take only
little work know place year live me back give most very after thing our just name good sentence man
think say great where help through much before line right too mean old any same tell boy follow came
want show also around form three small set put end does another well large must big even such because
turn here why ask went men read need land different home us move try kind hand picture again change
off play spell air away animal house point page letter mother answer found study still learn should
world high every near add food between own below country plant last school father keep tree never
start city earth eye light thought head under story saw left few while along might close something
seem next hard open example begin life always those both paper together got group often run important`)

// Request implements Workload.
func (s Synthetic) Request(i uint64) Prompt {
	r := rand.New(rand.NewPCG(uint64(s.Seed), splitmix64(i)))
	in := s.InputTokens.sample(r)
	out := s.OutputTokens.sample(r)
	var b strings.Builder
	b.Grow(in * 7)
	// A per-request prefix keeps prompts distinct, so a prefix cache on the
	// server cannot turn the workload into a cache benchmark.
	b.WriteString(strconv.FormatUint(i, 10))
	for k := 1; k < in; k++ {
		b.WriteByte(' ')
		b.WriteString(vocabulary[r.IntN(len(vocabulary))])
	}
	text := b.String()
	return Prompt{
		Index:       i,
		Text:        text,
		InputTokens: in,
		MaxTokens:   out,
		Vars:        map[string]string{"prompt": text, "max_tokens": strconv.Itoa(out)},
	}
}

// DatasetError is a malformed record of a JSONL dataset.
type DatasetError struct {
	File string
	Line int // 1-based
	Msg  string
}

func (e *DatasetError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Dataset is a workload read from a JSONL file. Each non-empty line is one
// JSON object in one of three formats:
//
//   - FormatShareGPT: {"conversations": [{"from": "human", "value": "..."},
//     {"from": "gpt", "value": "..."}, ...]}: the first human turn is the
//     prompt and the length of the reply that follows it (about four
//     characters per token) the requested output length;
//   - FormatPrompts: {"prompt": "...", "max_tokens": 128}, max_tokens
//     optional;
//   - FormatRecords: any JSON object, whose fields fill the request
//     templates of an http target ("prompt" and "max_tokens" are still
//     read when present).
//
// FormatAuto decides from the first record: "conversations" makes it
// ShareGPT, "prompt" the prompts form, anything else records. Every
// top-level field of a row is available to HTTP request templates under
// its name. Request i uses row perm(i mod n), where perm
// is a permutation fixed by Seed (none when Shuffle is false).
type Dataset struct {
	Rows []Prompt
	// MaxTokens, when > 0, overrides the output length of every row.
	MaxTokens int
	order     []int
}

// DefaultDatasetMaxLine is the longest dataset line accepted, in bytes.
const DefaultDatasetMaxLine = 4 << 20

// Dataset formats.
const (
	FormatAuto     = "auto"
	FormatShareGPT = "sharegpt"
	FormatPrompts  = "prompts"
	FormatRecords  = "records"
)

// DatasetOptions say how to read a dataset.
type DatasetOptions struct {
	// Format is one of the Format constants; "" means FormatAuto.
	Format string
	// Seed fixes the order of the rows when Shuffle is true.
	Seed    int64
	Shuffle bool
}

// LoadDataset reads a JSONL dataset file; see ReadDataset.
func LoadDataset(path string, opt DatasetOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return ReadDataset(f, path, opt)
}

// ReadDataset reads a JSONL dataset; name is used in errors (file:line).
// A malformed line is a *DatasetError naming its line.
func ReadDataset(r io.Reader, name string, opt DatasetOptions) (*Dataset, error) {
	format := opt.Format
	switch format {
	case "":
		format = FormatAuto
	case FormatAuto, FormatShareGPT, FormatPrompts, FormatRecords:
	default:
		return nil, fmt.Errorf("%s: unknown dataset format %q (want auto, sharegpt, prompts or records)", name, format)
	}
	br := bufio.NewReader(r)
	d := &Dataset{}
	line := 0
	for {
		raw, err := readLine(br, DefaultDatasetMaxLine)
		if len(raw) == 0 && err == io.EOF {
			break
		}
		line++
		if err != nil && err != io.EOF {
			if errors.Is(err, errLineTooLong) {
				return nil, &DatasetError{name, line, fmt.Sprintf("line longer than %d bytes", DefaultDatasetMaxLine)}
			}
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		s := strings.TrimSpace(string(raw))
		if s == "" {
			if err == io.EOF {
				break
			}
			continue
		}
		p, perr := parseRow(s, &format)
		if perr != "" {
			return nil, &DatasetError{name, line, perr}
		}
		p.Index = uint64(len(d.Rows))
		d.Rows = append(d.Rows, p)
		if err == io.EOF {
			break
		}
	}
	if len(d.Rows) == 0 {
		return nil, fmt.Errorf("%s: dataset has no records", name)
	}
	d.order = make([]int, len(d.Rows))
	for i := range d.order {
		d.order[i] = i
	}
	if opt.Shuffle {
		r := rand.New(rand.NewPCG(uint64(opt.Seed), 0x5eed))
		r.Shuffle(len(d.order), func(i, j int) { d.order[i], d.order[j] = d.order[j], d.order[i] })
	}
	return d, nil
}

var errLineTooLong = errors.New("line too long")

func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > limit {
			return nil, errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return out, err
	}
}

type shareGPTTurn struct {
	From  string `json:"from"`
	Value string `json:"value"`
}

// parseRow parses one record. An auto format is settled by the first
// record, so every later one must have the same form.
func parseRow(s string, format *string) (Prompt, string) {
	var row map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &row); err != nil {
		return Prompt{}, "not a JSON object: " + jsonErrText(err)
	}
	if row == nil {
		return Prompt{}, "not a JSON object: null"
	}
	p := Prompt{Vars: make(map[string]string, len(row))}
	for k, v := range row {
		var str string
		if json.Unmarshal(v, &str) == nil {
			p.Vars[k] = str
			continue
		}
		if p.Raw == nil {
			p.Raw = map[string]json.RawMessage{}
		}
		var buf bytes.Buffer
		if json.Compact(&buf, v) == nil {
			v = buf.Bytes()
		}
		p.Raw[k] = v
		p.Vars[k] = string(v)
	}
	conv, hasConv := row["conversations"]
	pr, hasPrompt := row["prompt"]
	if *format == FormatAuto {
		switch {
		case hasConv:
			*format = FormatShareGPT
		case hasPrompt:
			*format = FormatPrompts
		default:
			*format = FormatRecords
		}
	}
	switch *format {
	case FormatShareGPT:
		if !hasConv {
			return Prompt{}, `record has no "conversations" (the dataset's format is sharegpt)`
		}
		var turns []shareGPTTurn
		if err := json.Unmarshal(conv, &turns); err != nil {
			return Prompt{}, `"conversations" must be a list of {"from", "value"} turns: ` + jsonErrText(err)
		}
		first := -1
		for i, t := range turns {
			if t.From == "human" || t.From == "user" {
				first = i
				break
			}
		}
		if first < 0 || turns[first].Value == "" {
			return Prompt{}, `"conversations" has no non-empty human turn`
		}
		p.Text = turns[first].Value
		if first+1 < len(turns) {
			p.MaxTokens = max(1, estimateTokens(turns[first+1].Value))
		}
		p.Vars["prompt"] = p.Text
		delete(p.Raw, "prompt")
		// The conversation itself is not a template field: keeping it
		// would hold every dataset row twice.
		delete(p.Vars, "conversations")
		delete(p.Raw, "conversations")
	case FormatPrompts:
		if !hasPrompt {
			return Prompt{}, `record has no "prompt" (the dataset's format is prompts)`
		}
		if err := json.Unmarshal(pr, &p.Text); err != nil || p.Text == "" {
			return Prompt{}, `"prompt" must be a non-empty string`
		}
	case FormatRecords:
		if hasPrompt {
			if err := json.Unmarshal(pr, &p.Text); err != nil {
				return Prompt{}, `"prompt" must be a string`
			}
		}
	}
	if mt, ok := row["max_tokens"]; ok {
		var n int
		if err := json.Unmarshal(mt, &n); err != nil || n < 1 {
			return Prompt{}, `"max_tokens" must be an integer >= 1`
		}
		p.MaxTokens = n
	}
	if p.MaxTokens > 0 {
		p.Vars["max_tokens"] = strconv.Itoa(p.MaxTokens)
	}
	p.InputTokens = max(1, estimateTokens(p.Text))
	return p, ""
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	return err.Error()
}

// estimateTokens approximates a token count as one per four bytes.
func estimateTokens(s string) int { return (len(s) + 3) / 4 }

// Request implements Workload.
func (d *Dataset) Request(i uint64) Prompt {
	p := d.Rows[d.order[i%uint64(len(d.order))]]
	p.Index = i
	if d.MaxTokens > 0 {
		p.MaxTokens = d.MaxTokens
		vars := make(map[string]string, len(p.Vars)+1)
		for k, v := range p.Vars {
			vars[k] = v
		}
		vars["max_tokens"] = strconv.Itoa(d.MaxTokens)
		p.Vars = vars
	}
	return p
}
