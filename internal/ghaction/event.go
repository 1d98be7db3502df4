package ghaction

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// Event names perfgate understands.
const (
	EventPullRequest       = "pull_request"
	EventPullRequestTarget = "pull_request_target"
	EventPush              = "push"
	EventWorkflowDispatch  = "workflow_dispatch"
	EventRelease           = "release"
	EventWorkflowRun       = "workflow_run"
)

// Event is what perfgate needs to know about the event that started a
// workflow run.
type Event struct {
	// Name is the event name (GITHUB_EVENT_NAME), e.g. "pull_request".
	Name string
	// Owner and Repo name the repository the workflow runs in.
	Owner, Repo string
	// DefaultBranch is the repository's default branch, when the payload
	// says.
	DefaultBranch string

	// PR is the pull-request number, 0 when the event is not about one.
	PR int
	// BaseBranch and BaseSHA are the pull request's base; HeadBranch and
	// HeadSHA its head.
	BaseBranch, BaseSHA string
	HeadBranch, HeadSHA string
	// HeadRepo is the full name of the repository the head lives in.
	HeadRepo string
	// Fork is true when the head lives in another repository than the base
	// (or the head repository was deleted): the workflow token is then
	// read-only on pull_request events and the code is untrusted.
	Fork bool

	// Ref is the full git ref of the run (GITHUB_REF or the payload's).
	Ref string
	// Branch is the branch this run belongs to: the PR's head branch, or
	// the pushed or dispatched branch; "" for tags.
	Branch string
	// SHA is the commit under test: the PR head, the pushed commit, the
	// release's commit or GITHUB_SHA.
	SHA string
	// Tag is the release tag, or the pushed tag.
	Tag string
}

// IsPullRequest reports whether the event is about a pull request.
func (e *Event) IsPullRequest() bool { return e.PR > 0 }

// IsPushToDefault reports whether the event is a push to the default
// branch, where baselines are saved.
func (e *Event) IsPushToDefault() bool {
	return e.Name == EventPush && e.Branch != "" && e.DefaultBranch != "" && e.Branch == e.DefaultBranch
}

// ForkCodeWithWriteToken reports whether the event runs with the base
// repository's write token and secrets on behalf of code from a fork:
// pull_request_target, or workflow_run, for a head in another repository.
// A workspace that checked out the head then holds the fork's policy.
func (e *Event) ForkCodeWithWriteToken() bool {
	return e.Fork && (e.Name == EventPullRequestTarget || e.Name == EventWorkflowRun)
}

// ForkPolicyRefusal is why the action does not run a policy on such an
// event unless the workflow opts in with allow-fork-policy.
func (e *Event) ForkPolicyRefusal() string {
	head := e.HeadRepo
	if head == "" {
		head = "a deleted fork"
	}
	return fmt.Sprintf("not running the policy: this %s run is for code from a fork (%s) and has the repository's write token and secrets; "+
		"a policy from the fork's head decides what perfgate requests and sends, and its target is the fork's. "+
		"Use the workflow_run pattern instead (docs/github-action.md, \"Pull requests from forks\"): run perfgate on pull_request, "+
		"where a fork gets a read-only token and no secrets, and publish its report from a workflow_run workflow with report-dir. "+
		"If this workflow checks out only trusted code (the base branch's policy), set the input allow-fork-policy: true", e.Name, head)
}

// CompareBranch is the branch whose stored history this run compares with:
// the pull request's base branch, else the run's own branch.
func (e *Event) CompareBranch() string {
	if e.BaseBranch != "" {
		return e.BaseBranch
	}
	return e.Branch
}

// payload holds the fields of the event payloads that perfgate reads.
type payload struct {
	Number      int `json:"number"`
	PullRequest *struct {
		Number int      `json:"number"`
		Head   prBranch `json:"head"`
		Base   prBranch `json:"base"`
	} `json:"pull_request"`
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Deleted    bool   `json:"deleted"`
	Repository *struct {
		Name          string `json:"name"`
		FullName      string `json:"full_name"`
		DefaultBranch string `json:"default_branch"`
		Owner         struct {
			Login string `json:"login"`
		} `json:"owner"`
	} `json:"repository"`
	Release *struct {
		TagName         string `json:"tag_name"`
		TargetCommitish string `json:"target_commitish"`
	} `json:"release"`
	WorkflowRun *struct {
		HeadBranch     string   `json:"head_branch"`
		HeadSHA        string   `json:"head_sha"`
		HeadRepository *repoRef `json:"head_repository"`
		Repository     *repoRef `json:"repository"`
		PullRequests   []struct {
			Number int `json:"number"`
			Head   struct {
				Ref string `json:"ref"`
				SHA string `json:"sha"`
			} `json:"head"`
			Base struct {
				Ref string `json:"ref"`
				SHA string `json:"sha"`
			} `json:"base"`
		} `json:"pull_requests"`
	} `json:"workflow_run"`
}

type prBranch struct {
	Ref  string   `json:"ref"`
	SHA  string   `json:"sha"`
	Repo *repoRef `json:"repo"`
}

type repoRef struct {
	FullName string `json:"full_name"`
}

// ParseEvent reads the payload of event name. An empty payload gives an
// event with only its name; a payload that is not a JSON object is an
// error, and so is a pull-request event without a pull request.
func ParseEvent(name string, data []byte) (*Event, error) {
	e := &Event{Name: name}
	if len(strings.TrimSpace(string(data))) == 0 {
		return e, nil
	}
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("event payload of %s: %w", name, err)
	}
	if p.Repository != nil {
		e.Owner, e.Repo = splitRepo(p.Repository.FullName)
		if e.Owner == "" {
			e.Owner = p.Repository.Owner.Login
		}
		if e.Repo == "" {
			e.Repo = p.Repository.Name
		}
		e.DefaultBranch = p.Repository.DefaultBranch
	}
	switch name {
	case EventPullRequest, EventPullRequestTarget:
		pr := p.PullRequest
		if pr == nil {
			return nil, fmt.Errorf("event payload of %s has no pull_request", name)
		}
		e.PR = pr.Number
		if e.PR == 0 {
			e.PR = p.Number
		}
		if e.PR <= 0 {
			return nil, fmt.Errorf("event payload of %s: pull request number %d is not positive", name, e.PR)
		}
		e.BaseBranch, e.BaseSHA = pr.Base.Ref, pr.Base.SHA
		e.HeadBranch, e.HeadSHA = pr.Head.Ref, pr.Head.SHA
		base := ""
		if pr.Base.Repo != nil {
			base = pr.Base.Repo.FullName
		}
		if pr.Head.Repo != nil {
			e.HeadRepo = pr.Head.Repo.FullName
		}
		// A deleted head repository can only have been a fork.
		e.Fork = e.HeadRepo == "" || !strings.EqualFold(e.HeadRepo, base)
		e.Branch, e.SHA = e.HeadBranch, e.HeadSHA
		e.Ref = fmt.Sprintf("refs/pull/%d/merge", e.PR)
	case EventPush:
		e.Ref = p.Ref
		e.Branch, e.Tag = refName(p.Ref)
		if !p.Deleted {
			e.SHA = p.After
		}
	case EventRelease:
		if p.Release != nil {
			e.Tag = p.Release.TagName
			e.Ref = "refs/tags/" + p.Release.TagName
		}
	case EventWorkflowDispatch:
		e.Ref = p.Ref
		e.Branch, e.Tag = refName(p.Ref)
	case EventWorkflowRun:
		if wr := p.WorkflowRun; wr != nil {
			e.Branch, e.SHA = wr.HeadBranch, wr.HeadSHA
			if wr.HeadRepository != nil {
				e.HeadRepo = wr.HeadRepository.FullName
			}
			if wr.Repository != nil && e.HeadRepo != "" {
				e.Fork = !strings.EqualFold(e.HeadRepo, wr.Repository.FullName)
			}
			// GitHub lists the pull requests of a run only when the head
			// is in the same repository; fork runs carry none.
			if len(wr.PullRequests) > 0 {
				pr := wr.PullRequests[0]
				e.PR = pr.Number
				e.BaseBranch, e.BaseSHA = pr.Base.Ref, pr.Base.SHA
				e.HeadBranch, e.HeadSHA = pr.Head.Ref, pr.Head.SHA
			}
		}
	}
	if err := checkControl(e); err != nil {
		return nil, fmt.Errorf("event payload of %s: %w", name, err)
	}
	return e, nil
}

// checkControl rejects names, refs and SHAs with control characters: git
// forbids them, and they would reach step outputs, log lines and API paths
// (a newline in an output value could forge another output).
func checkControl(e *Event) error {
	for _, f := range []struct{ name, v string }{
		{"repository", e.Owner + "/" + e.Repo}, {"default branch", e.DefaultBranch},
		{"base ref", e.BaseBranch}, {"base sha", e.BaseSHA}, {"head ref", e.HeadBranch}, {"head sha", e.HeadSHA},
		{"head repository", e.HeadRepo}, {"ref", e.Ref}, {"branch", e.Branch}, {"sha", e.SHA}, {"tag", e.Tag},
	} {
		if strings.IndexFunc(f.v, unicode.IsControl) >= 0 {
			return fmt.Errorf("%s %q contains a control character", f.name, f.v)
		}
	}
	return nil
}

// ReadEvent reads the event of the current workflow run from the
// environment: GITHUB_EVENT_NAME, the payload at GITHUB_EVENT_PATH, and
// GITHUB_REPOSITORY, GITHUB_REF and GITHUB_SHA for what the payload does
// not say.
func ReadEvent(getenv func(string) string) (*Event, error) {
	name := getenv("GITHUB_EVENT_NAME")
	var data []byte
	if p := getenv("GITHUB_EVENT_PATH"); p != "" {
		var err error
		if data, err = os.ReadFile(p); err != nil {
			return nil, fmt.Errorf("reading the event payload: %w", err)
		}
	}
	e, err := ParseEvent(name, data)
	if err != nil {
		return nil, err
	}
	if e.Owner == "" || e.Repo == "" {
		e.Owner, e.Repo = splitRepo(getenv("GITHUB_REPOSITORY"))
	}
	if e.Ref == "" {
		e.Ref = getenv("GITHUB_REF")
		if e.Branch == "" && e.Tag == "" {
			e.Branch, e.Tag = refName(e.Ref)
		}
	}
	if e.SHA == "" {
		e.SHA = getenv("GITHUB_SHA")
	}
	return e, nil
}

// RunURL links to the workflow run from the environment, or "" outside
// Actions.
func RunURL(getenv func(string) string) string {
	server, repo, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || id == "" {
		return ""
	}
	return server + "/" + repo + "/actions/runs/" + id
}

func splitRepo(full string) (owner, repo string) {
	owner, repo, ok := strings.Cut(full, "/")
	if !ok {
		return "", ""
	}
	return owner, repo
}

// refName splits a full ref into a branch or a tag name.
func refName(ref string) (branch, tag string) {
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return b, ""
	}
	if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return "", t
	}
	return "", ""
}
