package policies

import (
	"slices"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/perfgate/perfgate/gate/metric"
)

// TestCatalogMatchesSchema ties package metric, the catalog perfgate reads,
// to the schema's #Catalog, which validates policies: same metrics, units,
// directions, statistics and requirements, and the same statistic lists.
func TestCatalogMatchesSchema(t *testing.T) {
	inSchema := map[string]bool{}
	for _, m := range Metrics() {
		inSchema[m.Name] = true
		d, ok := metric.Lookup(m.Name)
		switch {
		case !ok:
			t.Errorf("schema metric %s is not in package metric", m.Name)
			continue
		case !d.Policy:
			t.Errorf("%s: in the schema, but package metric says a policy cannot name it", m.Name)
		}
		if d.Unit != m.Unit {
			t.Errorf("%s: unit %q in package metric, %q in the schema", m.Name, d.Unit, m.Unit)
		}
		if d.HigherIsBetter != m.HigherIsBetter() {
			t.Errorf("%s: higher is better %v in package metric, better: %q in the schema", m.Name, d.HigherIsBetter, m.Better)
		}
		if string(d.Kind) != m.Stats {
			t.Errorf("%s: statistics %q in package metric, %q in the schema", m.Name, d.Kind, m.Stats)
		}
		if d.Needs != m.Needs {
			t.Errorf("%s: needs %q in package metric, %q in the schema", m.Name, d.Needs, m.Needs)
		}
	}
	for _, d := range metric.All() {
		if d.Policy && !inSchema[d.Name] {
			t.Errorf("package metric lets a policy name %s, the schema does not know it", d.Name)
		}
	}
	root := cuecontext.New().CompileBytes(SchemaSource, cue.Filename(schemaFile))
	for _, c := range []struct {
		def  string
		want []string
	}{{"#Stats", metric.Stats}, {"#ServerStats", metric.ServerStats}} {
		var got []string
		if err := root.LookupPath(cue.ParsePath(c.def)).Decode(&got); err != nil {
			t.Fatalf("%s: %v", c.def, err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s is %v in the schema, %v in package metric", c.def, got, c.want)
		}
	}
}
