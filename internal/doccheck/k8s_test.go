package doccheck

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/perfgate/perfgate/policies"
)

// yamlBlocks returns the ```yaml blocks of a Markdown file that hold
// Kubernetes objects, split into documents.
func yamlBlocks(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	parts := strings.Split(string(b), "```yaml\n")
	for _, p := range parts[1:] {
		block, _, ok := strings.Cut(p, "```")
		if !ok {
			t.Fatalf("%s: an unclosed yaml block", path)
		}
		if !strings.Contains(block, "apiVersion:") {
			continue
		}
		for _, d := range strings.Split(block, "\n---\n") {
			docs = append(docs, d)
		}
	}
	return docs
}

// TestShardingManifests decodes the Kubernetes manifests of
// docs/sharding.md strictly with the API types and checks what perfgate
// needs of them.
func TestShardingManifests(t *testing.T) {
	docs := yamlBlocks(t, filepath.Join("..", "..", "docs", "sharding.md"))
	var jobs []batchv1.Job
	var policy string
	kinds := map[string]int{}
	for i, d := range docs {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(d), &meta); err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
		kinds[meta.Kind]++
		var err error
		switch meta.Kind {
		case "Job":
			var j batchv1.Job
			err = yaml.UnmarshalStrict([]byte(d), &j)
			jobs = append(jobs, j)
		case "ConfigMap":
			var cm corev1.ConfigMap
			err = yaml.UnmarshalStrict([]byte(d), &cm)
			policy = cm.Data["chat.cue"]
		case "PersistentVolumeClaim":
			var pvc corev1.PersistentVolumeClaim
			err = yaml.UnmarshalStrict([]byte(d), &pvc)
		default:
			t.Fatalf("document %d: unexpected kind %q", i+1, meta.Kind)
		}
		if err != nil {
			t.Errorf("document %d (%s): %v", i+1, meta.Kind, err)
		}
	}
	if kinds["Job"] != 2 || kinds["ConfigMap"] != 1 || kinds["PersistentVolumeClaim"] != 1 {
		t.Fatalf("kinds %v: want a ConfigMap, a PersistentVolumeClaim and two Jobs", kinds)
	}
	if _, err := policies.Parse("chat.cue", []byte(policy)); err != nil {
		t.Errorf("the ConfigMap's policy: %v", err)
	}
	load, merge := jobs[0], jobs[1]
	args := load.Spec.Template.Spec.Containers[0].Args
	i := slices.Index(args, "--shard")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("load Job args %v: no --shard", args)
	}
	n, err := strconv.Atoi(args[i+1])
	if err != nil || load.Spec.CompletionMode == nil || *load.Spec.CompletionMode != batchv1.IndexedCompletion ||
		load.Spec.Completions == nil || int(*load.Spec.Completions) != n {
		t.Errorf("load Job: --shard %s with completion mode %v and %v completions; want Indexed with as many completions as shards", args[i+1], load.Spec.CompletionMode, load.Spec.Completions)
	}
	if margs := merge.Spec.Template.Spec.Containers[0].Args; len(margs) == 0 || margs[0] != "merge" {
		t.Errorf("merge Job args %v: want perfgate merge", margs)
	}
}
