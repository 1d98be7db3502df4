package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Resolution says what a run with inconclusive gating checks could
// resolve, and how to resolve the material change.
type Resolution struct {
	// MDE is the largest MDE among the inconclusive gating checks, and
	// Check names that check ("scenario name"): worsenings below MDE may be
	// invisible to this run.
	MDE   float64 `json:"mde"`
	Check string  `json:"check"`
	// Material is the change to resolve (the policy's Δ).
	Material float64 `json:"material"`
	// Advice lists, cheapest first, the levers that would bring every
	// inconclusive check's MDE under Material, each with the largest
	// factor any of them needs.
	Advice []Advice `json:"advice"`
}

// resolve returns the resolution of the inconclusive gating checks of cs,
// or nil when there are none.
func resolve(cs []Check, material float64) *Resolution {
	var r *Resolution
	var perCheck [][]Advice
	for i := range cs {
		c := &cs[i]
		if !c.Gating || c.ReasonKind != ReasonInconclusive || c.Noise == nil {
			continue
		}
		if r == nil {
			r = &Resolution{Material: material, Advice: []Advice{}}
		}
		if c.MDE > r.MDE {
			r.MDE, r.Check = c.MDE, strings.TrimSpace(c.Scenario+" "+c.Name)
		}
		perCheck = append(perCheck, c.Advice)
	}
	if r == nil {
		return nil
	}
	for _, lever := range leverOrder {
		var worst *Advice
		for _, as := range perCheck {
			i := slices.IndexFunc(as, func(a Advice) bool { return a.Lever == lever })
			if i < 0 {
				worst = nil
				break
			}
			if worst == nil || as[i].Factor > worst.Factor || as[i].Factor == worst.Factor && as[i].MDE > worst.MDE {
				worst = &as[i]
			}
		}
		if worst != nil {
			r.Advice = append(r.Advice, *worst)
		}
	}
	sortAdvice(r.Advice)
	return r
}

// sentence is the resolution in words: what the run could not see and the
// cheapest way to see it.
func (r *Resolution) sentence() string {
	s := fmt.Sprintf("changes under %.0f%% are invisible to this run (%s)", 100*math.Abs(r.MDE), r.Check)
	if len(r.Advice) > 0 {
		s += fmt.Sprintf("; to resolve %.0f%%, %s", 100*r.Material, r.Advice[0].Text)
	} else {
		s += fmt.Sprintf("; no practical change of one run resolves %.0f%% (%s)", 100*r.Material, NoPracticalLever)
	}
	return s
}
