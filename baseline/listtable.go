package baseline

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteList prints records as ListAll returns them, one line each: key,
// time, kind, branch, commit and state (pinned, or excluded for the
// records from read on; "-" otherwise).
func WriteList(w io.Writer, recs []*Record, read int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tTIME\tKIND\tBRANCH\tCOMMIT\tSTATE")
	for i, r := range recs {
		state := "-"
		switch {
		case i >= read:
			state = "excluded"
		case r.Pinned:
			state = "pinned"
		}
		commit := r.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Key, r.Time.UTC().Format(time.DateTime+"Z"), r.Kind,
			orDash(r.Branch), orDash(commit), state)
	}
	return tw.Flush()
}

// orDash shows an empty table cell as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
