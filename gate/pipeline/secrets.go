package pipeline

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/perfgate/perfgate/gate/load"
	"github.com/perfgate/perfgate/internal/redact"
	"github.com/perfgate/perfgate/policies"
)

// The secrets of a policy's target.headers go only where the invoker sent
// the gate: the load engine sends them to the origin of each arm's URL and
// nowhere else (a metrics endpoint or readiness URL on another origin gets
// none). In CI the arm URLs must be the invoker's too.

// secretDestinations refuses, in CI, a policy that reads secrets and takes
// its target or baseline URL from the policy file (o before resolve): a
// pull request could point them anywhere.
func (o Options) secretDestinations(p *policies.Policy) error {
	if err := o.prometheusDestination(p); err != nil {
		return err
	}
	if !o.EnvRule.CI || len(p.Target.Headers) == 0 {
		return nil
	}
	var missing []string
	if o.TargetURL == "" {
		missing = append(missing, "the target (--target, the action's target input)")
	}
	if o.BaselineURL == "" && p.Target.BaselineURL != "" {
		missing = append(missing, "the live baseline (--baseline-url, the action's baseline-url input)")
	}
	if len(missing) == 0 {
		return nil
	}
	return &InvalidError{File: p.File, What: fmt.Sprintf("in CI the secrets of target.headers (%s) go only to URLs the workflow gives, not to the policy's own; give %s",
		strings.Join(p.EnvVars(), ", "), strings.Join(missing, " and "))}
}

// prometheusDestination refuses, in CI, a policy that sends a Prometheus
// token to a URL only the policy names: a pull request could point
// target.prometheus.url anywhere and receive the token. The workflow names
// the URL it trusts in PERFGATE_PROMETHEUS_URL, which must be the policy's.
func (o Options) prometheusDestination(p *policies.Policy) error {
	pr := p.Target.Prometheus
	if !o.EnvRule.CI || pr == nil || pr.Token == nil {
		return nil
	}
	trusted := ""
	if o.Getenv != nil {
		trusted = o.Getenv("PERFGATE_PROMETHEUS_URL")
	}
	if trusted != "" && strings.TrimRight(trusted, "/") == strings.TrimRight(pr.URL, "/") {
		return nil
	}
	return &InvalidError{File: p.File, What: fmt.Sprintf("in CI the Prometheus token (%s) goes only to a URL the workflow names: set PERFGATE_PROMETHEUS_URL to target.prometheus.url (%s) in the workflow (docs/security.md)",
		pr.Token.Env, redact.URL(pr.URL))}
}

// unsentSecrets returns a report warning for each arm whose metrics
// endpoint is on another origin than the arm itself, so it was scraped
// without the policy's headers.
func unsentSecrets(p *policies.Policy, o Options) []string {
	if len(p.Target.Headers) == 0 || p.Target.Metrics == nil {
		return nil
	}
	var out []string
	for _, arm := range []struct{ name, url string }{{"target", o.TargetURL}, {"baseline", o.BaselineURL}} {
		if arm.url == "" {
			continue
		}
		base, err := url.Parse(arm.url)
		ref, err2 := url.Parse(p.Target.Metrics.URL)
		if err != nil || err2 != nil {
			continue
		}
		m := base.ResolveReference(ref).String()
		if !load.SameOrigin(m, arm.url) {
			out = append(out, fmt.Sprintf("the metrics endpoint %s is not on the %s's origin (%s): it was scraped without the headers of target.headers, whose secrets go only to the target and baseline URLs",
				redact.URL(m), arm.name, hostOf(arm.url)))
		}
	}
	return out
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Host
}
