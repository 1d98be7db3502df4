package load

import "testing"

// Journeys share the arrivals by weight, the same journey for the same
// arrival index in every run and arm.
func TestPickJourneyByWeight(t *testing.T) {
	step := func(name string) []JourneyStep {
		return []JourneyStep{{Name: name, API: APIOpenAIEmbeddings}}
	}
	tg := Target{URL: "http://127.0.0.1:1", API: APIOpenAIChat, Model: "m",
		Journeys: []Journey{{Name: "a", Weight: 3, Steps: step("x")}, {Name: "b", Weight: 1, Steps: step("y")}}}
	c1, err := prepareClient(tg, 4)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := prepareClient(tg, 4)
	if err != nil {
		t.Fatal(err)
	}
	a := 0
	for i := range uint64(10000) {
		j := c1.pickJourney(i)
		if j.name != c2.pickJourney(i).name {
			t.Fatalf("arrival %d: another client picks another journey", i)
		}
		if j.name == "a" {
			a++
		}
	}
	if a < 7200 || a > 7800 {
		t.Errorf("journey a got %d of 10000 arrivals, want about 7500", a)
	}
}
