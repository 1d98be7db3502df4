package load

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/tidwall/gjson"

	"github.com/perfgate/perfgate/internal/reqtmpl"
)

// prepareHTTPReqs compiles the templates of an http target and the share
// of the requests each gets. base and query are the target's URL split at
// its query, which stays at the end of every request URL.
func prepareHTTPReqs(specs []HTTPSpec, base, query string) ([]httpReq, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("target: api http needs a request spec")
	}
	reqs := make([]httpReq, 0, len(specs))
	total := 0.0
	for i := range specs {
		r, err := prepareHTTP(&specs[i], i, base, query)
		if err != nil {
			return nil, err
		}
		total += r.weight
		reqs = append(reqs, r)
	}
	cum := 0.0
	for i := range reqs {
		cum += reqs[i].weight / total
		reqs[i].cum = cum
	}
	reqs[len(reqs)-1].cum = 1
	return reqs, nil
}

// usesPrompt reports whether requests sent with r depend on the prompt.
func (r *httpReq) usesPrompt() bool { return r.tmpl != nil || r.jbody != nil || r.pathT != nil }

// httpReq is one prepared request template of an http target.
type httpReq struct {
	spec   *HTTPSpec
	name   string
	url    string             // the request URL, when the path is static
	base   string             // base URL, for a path template
	query  string             // the base URL's query, kept at the end
	pathT  *template.Template // nil when the path is static
	tmpl   *template.Template // a text body template, or nil
	jbody  *jsonBody          // a JSON body template, or nil
	body   []byte             // the static body
	method string
	res    []*regexp.Regexp // per check, for CheckMatches
	weight float64
	cum    float64 // upper end of this template's share of [0, 1)
}

// prepareHTTP checks and compiles template i of an http target.
func prepareHTTP(s *HTTPSpec, i int, base, query string) (httpReq, error) {
	r := httpReq{spec: s, name: s.Name, base: base, query: query, weight: s.Weight}
	if r.name == "" {
		r.name = fmt.Sprintf("request %d", i+1)
	}
	if r.weight <= 0 || math.IsNaN(r.weight) || math.IsInf(r.weight, 0) {
		r.weight = 1
	}
	where := "target"
	if i > 0 || s.Name != "" {
		where = "target: " + r.name
	}
	if strings.Contains(s.Path, "{{") {
		tm, err := reqtmpl.Parse("path", s.Path)
		if err != nil {
			return r, fmt.Errorf("%s: path template: %w", where, err)
		}
		r.pathT = tm
	} else {
		r.url = withQuery(base+s.Path, query)
	}
	body := s.Body
	if s.BodyFile != "" {
		b, err := os.ReadFile(s.BodyFile)
		if err != nil {
			return r, fmt.Errorf("%s: body file: %w", where, err)
		}
		body = string(b)
	}
	switch {
	case len(s.JSONBody) > 0 && s.BodyFile == "":
		jb, compact, err := compileJSONBody(s.JSONBody)
		if err != nil {
			return r, fmt.Errorf("%s: %w", where, err)
		}
		r.jbody, r.body = jb, compact
		body = "{}" // for the default method
	case strings.Contains(body, "{{"):
		tm, err := reqtmpl.Parse("body", body)
		if err != nil {
			return r, fmt.Errorf("%s: body template: %w", where, err)
		}
		r.tmpl = tm
	default:
		r.body = []byte(body)
	}
	r.method = s.Method
	if r.method == "" {
		r.method = http.MethodGet
		if body != "" {
			r.method = http.MethodPost
		}
	}
	r.res = make([]*regexp.Regexp, len(s.Checks))
	for k, ch := range s.Checks {
		if ch.Path == "" {
			return r, fmt.Errorf("%s: check %d: empty JSON path", where, k+1)
		}
		switch ch.Op {
		case CheckExists, CheckAbsent, CheckEquals:
		case CheckMatches:
			re, err := regexp.Compile(ch.Value)
			if err != nil {
				return r, fmt.Errorf("%s: check %d (%s): %w", where, k+1, ch.Path, err)
			}
			r.res[k] = re
		default:
			return r, fmt.Errorf("%s: check %d (%s): unknown op %q (want exists, equals or matches)", where, k+1, ch.Path, ch.Op)
		}
	}
	return r, nil
}

// pick returns the template of request i: a fixed function of i, so both
// arms of a paired run send the same template for the same request.
func (c *client) pick(i uint64) *httpReq {
	return &c.reqs[pickWeighted(c.reqs, func(r httpReq) float64 { return r.cum }, i, 0x7e3a1f)]
}

// pickWeighted returns the index of item i's choice among items, whose
// cumulative weights (ending at 1) cum gives: a fixed function of i and
// salt, so both arms of a paired run choose alike.
func pickWeighted[T any](items []T, cum func(T) float64, i, salt uint64) int {
	if len(items) == 1 {
		return 0
	}
	u := unitFloat(splitmix64(i ^ salt))
	k, _ := slices.BinarySearchFunc(items, u, func(x T, u float64) int {
		if cum(x) <= u {
			return -1
		}
		return 1
	})
	return min(k, len(items)-1)
}

// requestURL returns the URL of prompt p sent with template r.
func (r *httpReq) requestURL(p *Prompt) (string, error) {
	if r.pathT == nil {
		return r.url, nil
	}
	var b strings.Builder
	if err := r.pathT.Execute(&b, p.Vars); err != nil {
		return "", fmt.Errorf("path template, request %d: %w", p.Index, err)
	}
	return withQuery(r.base+b.String(), r.query), nil
}

// render returns the request body of prompt p sent with template r.
func (r *httpReq) render(p *Prompt) ([]byte, error) {
	if r.jbody != nil {
		b, err := r.jbody.render(p)
		if err != nil {
			return nil, fmt.Errorf("body template, request %d: %w", p.Index, err)
		}
		return b, nil
	}
	if r.tmpl == nil {
		return r.body, nil
	}
	var buf bytes.Buffer
	if err := r.tmpl.Execute(&buf, p.Vars); err != nil {
		return nil, fmt.Errorf("body template, request %d: %w", p.Index, err)
	}
	return buf.Bytes(), nil
}

// check applies the response checks of r to a body and returns what
// failed, or "" when every check held.
func (r *httpReq) check(body []byte) string {
	for i, ch := range r.spec.Checks {
		if !gjson.ValidBytes(body) {
			return "response body is not JSON"
		}
		v := gjson.GetBytes(body, ch.Path)
		ok := v.Exists()
		switch ch.Op {
		case CheckAbsent:
			ok = !ok
		case CheckEquals:
			ok = ok && (v.String() == ch.Value || v.Raw == ch.Value)
		case CheckMatches:
			ok = ok && r.res[i].MatchString(v.String())
		}
		if !ok {
			return fmt.Sprintf("check %d failed: %s %s %q", i+1, ch.Path, ch.Op, ch.Value)
		}
	}
	return ""
}

// statusAccepted reports whether template r (nil: an OpenAI request)
// accepts status code.
func (r *httpReq) statusAccepted(code int) bool {
	if r == nil || len(r.spec.Status) == 0 {
		return code/100 == 2
	}
	for _, s := range r.spec.Status {
		if s == code {
			return true
		}
	}
	return false
}
