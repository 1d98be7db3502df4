package policies

import (
	"fmt"
	"strconv"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

type errCategory int

const (
	catMismatch   errCategory = iota // a value of the wrong type or out of range
	catUnknown                       // a field the schema does not have
	catMissing                       // a required field not given
	catIncomplete                    // a value that is not concrete
)

type errGroup struct {
	cat  errCategory
	path []string
	pos  token.Pos // in the user's file, when CUE gave one
	msgs []string
}

// group turns CUE's errors into one group per path and kind of problem.
func (c *checker) group(err error) []errGroup {
	var out []errGroup
	index := map[string]int{}
	for _, e := range cueerrors.Errors(err) {
		path := unquotePath(e.Path())
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		cat := catMismatch
		switch {
		case strings.HasSuffix(msg, "errors in empty disjunction:"):
			continue
		case msg == "field not allowed":
			cat = catUnknown
		case strings.HasPrefix(msg, "required field missing: "):
			cat = catMissing
			path = append(path, strings.TrimPrefix(msg, "required field missing: "))
		case strings.HasPrefix(msg, "field is required but not present"):
			cat = catMissing
		case strings.Contains(msg, "incomplete value") || strings.Contains(msg, "non-concrete value"):
			cat = catIncomplete
		}
		key := fmt.Sprint(cat, path)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, errGroup{cat: cat, path: path})
		}
		g := &out[i]
		g.msgs = append(g.msgs, msg)
		if !g.pos.IsValid() {
			for _, p := range cueerrors.Positions(e) {
				if p.Filename() == c.filename {
					g.pos = p
					break
				}
			}
		}
	}
	return out
}

func unquotePath(p []string) []string {
	out := make([]string, 0, len(p))
	for i, s := range p {
		if i == 0 && s == "#Policy" {
			continue
		}
		if u, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
			s = u
		}
		out = append(out, s)
	}
	return out
}
