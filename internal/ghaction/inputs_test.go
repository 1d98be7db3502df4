package ghaction

import (
	"io"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"
)

func TestReadInputsKeep(t *testing.T) {
	for _, tc := range []struct {
		keep    string
		want    int
		wantErr string
	}{
		{"", 0, ""},
		{"0", 0, ""},
		{"25", 25, ""},
		{"-1", 0, "keep"},
		{"all", 0, "keep"},
	} {
		env := map[string]string{"INPUT_POLICY": "perf.cue", "INPUT_KEEP": tc.keep}
		a := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(io.Discard))
		in, err := ReadInputs(a, func(k string) string { return env[k] })
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("keep %q: error %v, want one naming %q", tc.keep, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || in.Keep != tc.want):
			t.Errorf("keep %q: %d, %v; want %d", tc.keep, in.Keep, err, tc.want)
		}
	}
}

func TestMaskingGetenvMasksSecretNamesOnce(t *testing.T) {
	var log strings.Builder
	env := map[string]string{"API_TOKEN": "s3cr3t-value", "PORT": "8080"}
	a := githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(&log))
	getenv := MaskingGetenv(a, func(k string) string { return env[k] })
	for i := 0; i < 2; i++ {
		getenv("API_TOKEN")
		getenv("PORT")
	}
	if got := log.String(); strings.Count(got, "::add-mask::s3cr3t-value") != 1 || strings.Contains(got, "8080") {
		t.Errorf("masks:\n%s", got)
	}
}
