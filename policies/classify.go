package policies

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// Classifying CUE's errors. What a message says follows from where an error
// is, never from how CUE words it: CUE's messages are English sentences that
// a new release may rephrase, while an error's path, its positions and the
// values at that path are data. So each error is sorted by its path, looked
// up in the policy as written, in the policy unified with #Policy and in the
// schema tree, and by CUE's error code where the API exposes it
// (cue.IsIncomplete). CUE's own words appear only when nothing else can be
// said (see errGroup.generic).

type errCategory int

const (
	catMismatch   errCategory = iota // a value of the wrong type or out of range
	catUnknown                       // a field the schema does not have
	catMissing                       // a required field not given
	catIncomplete                    // a value that is not concrete
	catOther                         // none of these can be told from the structure
)

type errGroup struct {
	cat  errCategory
	path []string
	pos  token.Pos // in the user's file, when CUE gave one
	msgs []string  // CUE's messages, for the generic fallback only
}

// generic is the group's problem in CUE's words, for when the schema has
// nothing to say at its path.
func (g errGroup) generic() string { return strings.Join(g.msgs, "; ") }

// pass is the state of one validation pass: the user's policy, edited by
// the passes before, and that policy unified with #Policy.
type pass struct {
	user, unified cue.Value
}

// group turns CUE's errors into one group per path and kind of problem.
func (c *checker) group(errs []cueerrors.Error, p pass) []errGroup {
	var out []errGroup
	index := map[string]int{}
	for _, e := range errs {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		var pos token.Pos
		for _, p := range cueerrors.Positions(e) {
			if p.Filename() == c.filename {
				pos = p
				break
			}
		}
		cat, paths := c.classify(unquotePath(e.Path()), p)
		for _, path := range paths {
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
				g.pos = pos
			}
		}
	}
	return out
}

// classify says what kind of problem CUE found at path, and the paths it
// concerns: usually path itself, but the required fields missing from a
// struct when CUE reports them on the struct.
func (c *checker) classify(path []string, p pass) (errCategory, [][]string) {
	at := c.cuePath(path)
	user, unified := p.user.LookupPath(at), p.unified.LookupPath(at)
	err := unified.Err()
	conflict := err != nil && !cue.IsIncomplete(err)
	one := [][]string{path}
	n := c.tree.lookup(path)
	switch {
	case !user.Exists() && n != nil && conflict:
		return catMismatch, one // a default or a derived value conflicts
	case !user.Exists() && n != nil && len(path) > 0:
		return catMissing, one
	case !user.Exists():
		return catOther, one
	case len(path) > 0 && !c.allowsLabel(path):
		return catUnknown, one
	case err != nil && !conflict && user.IncompleteKind()&cue.StructKind != 0:
		// An incomplete struct (or _ where the schema has one): CUE names
		// the struct, not the required field it misses.
		if missing := c.missingIn(path); len(missing) > 0 {
			return catMissing, missing
		}
		return catOther, one
	case n != nil && (conflict || c.conflictAbove(path, p.unified)):
		if fits, known := schema().typeAccepts(n, user); known && fits && user.IsConcrete() {
			// The value is of its type: what failed is elsewhere (a
			// field of a scenario whose kind is wrong, say).
			return catOther, one
		}
		return catMismatch, one
	case !user.IsConcrete():
		return catIncomplete, one
	}
	return catOther, one
}

// missingIn returns the paths of the required fields missing from the
// struct at path, or else those the first pass found missing below it: a
// comprehension of the schema (if target.api == "http") makes the struct
// holding it incomplete when the field it reads is missing.
func (c *checker) missingIn(path []string) [][]string {
	var out [][]string
	if n := asStruct(c.tree.lookup(path)); n != nil {
		for _, f := range c.missingFields(n, path) {
			out = append(out, append(slices.Clip(path), f.name))
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, m := range c.missing {
		if hasPrefix(m, path) {
			out = append(out, m)
		}
	}
	return out
}

// conflictAbove reports whether a struct or list that holds path failed to
// unify: CUE then reports what failed inside it at a path whose own value
// means nothing (the element of a failed list disjunction such as
// *[defaults] | [...#MetricRef] can look fine or look incomplete). The
// policy itself is left out: it fails when a comprehension of the schema
// (if target.api == "http") reads a wrong value, which CUE reports at that
// value too.
func (c *checker) conflictAbove(path []string, unified cue.Value) bool {
	for i := len(path) - 1; i >= 1; i-- {
		err := unified.LookupPath(c.cuePath(path[:i])).Err()
		if err != nil && !cue.IsIncomplete(err) {
			return true
		}
	}
	return false
}

// allowsLabel reports whether the schema lets the struct holding path have
// a field of path's last name: a field it declares whose condition holds
// (or cannot be told), a name its pattern ([#MetricRef]: ...) accepts, or
// any name in an open value (_ or {...}).
func (c *checker) allowsLabel(path []string) bool {
	within, name := path[:len(path)-1], path[len(path)-1]
	n := c.tree.lookup(within)
	if n == nil || n.kind == listNode || isOpen(n) {
		return true
	}
	s := asStruct(n)
	if s == nil {
		return false // a field inside a scalar
	}
	if f := s.field(name); f != nil {
		return f.always || slices.ContainsFunc(f.conds, c.allowedIn(within))
	}
	return s.elem != nil && schema().keyAllows(s.key, name)
}

// missingFields returns the fields of the struct node n at path that are
// required (always, or under a condition known to hold) and that neither
// the policy nor the schema's defaults give.
func (c *checker) missingFields(n *node, path []string) []*field {
	needed := c.requiredIn(path)
	var out []*field
	for _, fd := range n.fields {
		if !slices.Contains(fd.reqConds, "") && !slices.ContainsFunc(fd.reqConds, needed) {
			continue
		}
		fp := append(slices.Clip(path), fd.name)
		if c.lookupUser(fp).Exists() || c.unified.LookupPath(c.cuePath(fp)).Exists() {
			continue
		}
		out = append(out, fd)
	}
	return out
}

// unquotePath turns CUE's error path into a policy path: field names
// unquoted, without the #Policy the user's value was unified with.
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
