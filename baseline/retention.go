package baseline

import (
	"path"
	"slices"
	"strings"
)

// DefaultKeep is how many unpinned records of a group a store keeps when it
// is given a keep of 0: a group is one (policy, scenario, kind, branch), the
// directory of a key. Fifty runs cover the gate's history (regression.history,
// 10 by default) several times over, and bound a baselines branch that a
// push to the default branch writes to on every merge.
const DefaultKeep = 50

// CalibrationRecords is how many calibration (A/A) records of a scenario the
// gate reads to estimate the between-deployment variance. Retention never
// keeps fewer of them per group, whatever the keep: an A/A run costs two
// deployments side by side, and thinning them would widen every paired
// interval. Pinned calibration records are kept on top, as in every group.
const CalibrationRecords = 30

// groupKeep returns how many unpinned records of the group directory dir a
// store with the given keep retains, or -1 for all of them: keep 0 means
// DefaultKeep, a negative keep keeps everything, and a calibration group
// keeps at least CalibrationRecords. Excluded records count as unpinned:
// they age out like the others.
func groupKeep(keep int, dir string) int {
	switch {
	case keep < 0:
		return -1
	case keep == 0:
		keep = DefaultKeep
	}
	if parts := strings.Split(dir, "/"); len(parts) == 4 && parts[2] == KindCalibration {
		keep = max(keep, CalibrationRecords)
	}
	return keep
}

// prunable returns the keys of one group that exceed keep: all keys of the
// group sorted newest first, minus the first keep unpinned ones and every
// pinned one. A negative keep prunes nothing.
func prunable(keys []string, pinned []string, keep int) []string {
	if keep < 0 || len(keys) <= keep {
		return nil
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b string) int { return strings.Compare(path.Base(b), path.Base(a)) })
	var out []string
	n := 0
	for _, k := range sorted {
		if slices.Contains(pinned, k) {
			continue
		}
		n++
		if n > keep {
			out = append(out, k)
		}
	}
	return out
}
