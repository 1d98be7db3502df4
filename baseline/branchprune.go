package baseline

import (
	"context"
	"path"
	"strings"
)

// prune deletes the records of the group directory dir beyond the store's
// retention (see groupKeep), one commit per deleted record.
func (s *BranchStore) prune(ctx context.Context, dir string) error {
	keep := groupKeep(s.keep, dir)
	if keep < 0 {
		return nil
	}
	parts := strings.Split(dir, "/")
	q := Query{Policy: parts[0], Scenario: parts[1], Kind: parts[2], Branch: parts[3]}
	snap, _, err := s.list(ctx, q)
	if err != nil {
		return err
	}
	var keys []string
	for k := range snap.files {
		if path.Dir(k) == dir {
			keys = append(keys, k)
		}
	}
	if len(keys) <= keep {
		return nil
	}
	ix, _, err := s.readIndex(ctx)
	if err != nil {
		return err
	}
	for _, k := range prunable(keys, ix.Pinned, keep) {
		if err := s.pruneFile(ctx, k, snap.files[k]); err != nil {
			return err
		}
	}
	return nil
}
