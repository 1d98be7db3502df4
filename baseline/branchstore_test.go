package baseline

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/perfgate/perfgate/internal/fakegithub"
	"github.com/perfgate/perfgate/internal/ghclient"
)

const testToken = "ghs_s3cr3tT0ken"

// fakeClient returns a client of fake, retrying through the transport
// perfgate uses; the transport's waits are recorded in *slept, not slept.
func fakeClient(t *testing.T, fake *fakegithub.Server) (*github.Client, *[]time.Duration) {
	t.Helper()
	var (
		mu    sync.Mutex
		slept []time.Duration
	)
	rt := &ghclient.RetryTransport{Sleep: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		slept = append(slept, d)
		return nil
	}}
	c, err := ghclient.New(fake.URL, testToken, rt)
	if err != nil {
		t.Fatal(err)
	}
	return c, &slept
}

// newFake starts a fake GitHub API with the repository o/r.
func newFake(t *testing.T) *fakegithub.Server {
	t.Helper()
	fake := fakegithub.New()
	t.Cleanup(fake.Close)
	fake.RequireToken(testToken)
	if err := fake.CreateRepo("o", "r", "main"); err != nil {
		t.Fatal(err)
	}
	return fake
}

// testRetry makes conflict backoffs short.
var testRetry = WithRetry(0, time.Millisecond, 20*time.Millisecond)

func newBranchStore(t *testing.T, opts ...BranchOption) (*fakegithub.Server, *BranchStore, *[]time.Duration) {
	t.Helper()
	fake := newFake(t)
	client, slept := fakeClient(t, fake)
	s, err := NewBranchStore(client, "o", "r", "", append([]BranchOption{testRetry}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return fake, s, slept
}

// openBranchStore opens a BranchStore in a new fake repository.
func openBranchStore(t *testing.T, keep int) (Store, writeRaw) {
	fake, s, _ := newBranchStore(t, WithKeep(keep))
	return s, func(t *testing.T, name string, data []byte) {
		t.Helper()
		if err := fake.PutFile("o", "r", DefaultBranch, name, data); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBranchStoreContract(t *testing.T) { testStoreContract(t, openBranchStore) }

// TestBranchStoreOrphanBranch checks that List leaves a missing branch
// alone and the first Save creates it with no history in common with the
// code, and that blobs are read once.
func TestBranchStoreOrphanBranch(t *testing.T) {
	fake, s, _ := newBranchStore(t)
	ctx := context.Background()
	if got := list(t, s, Query{}); got != nil {
		t.Fatalf("List on a missing branch: %v", got)
	}
	if _, ok := fake.Head("o", "r", DefaultBranch); ok {
		t.Fatal("List created the branch")
	}
	k1 := saveAll(t, s, KindRun, 1)[0]
	head, ok := fake.Head("o", "r", DefaultBranch)
	if !ok {
		t.Fatal("Save did not create the branch")
	}
	for range 10 {
		parents, _ := fake.Parents("o", "r", head)
		if len(parents) == 0 {
			break
		}
		head = parents[0]
	}
	if parents, _ := fake.Parents("o", "r", head); parents != nil {
		t.Error("branch history does not end in an orphan commit")
	}
	if got := fake.Paths("o", "r", DefaultBranch); !slices.Equal(got, []string{"README.md", k1}) {
		t.Errorf("branch files = %v", got)
	}
	if got := fake.Paths("o", "r", "main"); !slices.Equal(got, []string{"README.md"}) {
		t.Errorf("default branch changed: %v", got)
	}
	saveAll(t, s, KindRun, 2)
	if _, _, err := s.List(ctx, Query{}); err != nil {
		t.Fatal(err)
	}
	// Blobs are immutable: listing again reads no blob twice.
	before := fake.Calls(fakegithub.OpGetBlob)
	list(t, s, Query{})
	if after := fake.Calls(fakegithub.OpGetBlob); after != before {
		t.Errorf("second List fetched %d blobs again", after-before)
	}
	if err := s.Pin(ctx, k1); err != nil {
		t.Fatal(err)
	}
	index, _ := fake.File("o", "r", DefaultBranch, indexName)
	if !strings.Contains(string(index), `"schema": "perfgate/index/v1"`) || !strings.Contains(string(index), k1) {
		t.Errorf("index.json = %s", index)
	}
}

func TestBranchStoreConcurrent(t *testing.T) {
	fake, s, _ := newBranchStore(t, WithKeep(100))
	ctx := context.Background()
	const n = 20
	pinKeys := saveAll(t, s, KindCalibration, span(1000, 1000+n)...)
	// Separate stores share nothing but the repository, like separate jobs.
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	start := make(chan struct{})
	for i := range n {
		other, err := NewBranchStore(s.client, "o", "r", "", WithKeep(100), WithSeed(uint64(i)), testRetry)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			if _, err := other.Save(ctx, testRecord(t, i, "p", "s", KindRun, "main")); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			if err := other.Pin(ctx, pinKeys[i]); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	recs, skipped, err := s.List(ctx, Query{Policy: "p"})
	if err != nil || skipped != nil {
		t.Fatal(err, skipped)
	}
	var runs, pinned int
	for _, r := range recs {
		if r.Kind == KindRun {
			runs++
		}
		if r.Pinned {
			pinned++
		}
	}
	if runs != n || pinned != n {
		t.Errorf("%d runs and %d pinned records landed, want %d each", runs, pinned, n)
	}
	conflicts := fake.Statuses(fakegithub.OpPutContents)[http.StatusConflict] +
		fake.Statuses(fakegithub.OpPutContents)[http.StatusUnprocessableEntity]
	t.Logf("index conflicts retried: %d; PUT statuses %v", conflicts, fake.Statuses(fakegithub.OpPutContents))
	if conflicts == 0 {
		t.Error("20 concurrent pins never conflicted: the test did not exercise the lock")
	}
}

// TestBranchStoreRetryLayers checks that each error is retried by one
// layer: conflicts by the store, server errors and rate limits by the
// client's transport, never by both.
func TestBranchStoreRetryLayers(t *testing.T) {
	fake, s, slept := newBranchStore(t)
	ctx := context.Background()
	k := saveAll(t, s, KindRun, 1)[0]

	// The branch moved under the writer twice: the store re-tries the write.
	fake.FailNext(fakegithub.OpPutContents, http.StatusConflict, 2)
	fake.ResetCalls()
	saveAll(t, s, KindRun, 2)
	if got := fake.Calls(fakegithub.OpPutContents); got != 3 || len(*slept) != 0 {
		t.Errorf("conflicts: %d PUTs, transport waits %v; want 3 and none", got, *slept)
	}
	// The index changed under Pin three times: re-read and re-applied.
	fake.FailNext(fakegithub.OpPutContents, http.StatusConflict, 3)
	fake.ResetCalls()
	if err := s.Pin(ctx, k); err != nil {
		t.Fatalf("Pin after conflicts: %v", err)
	}
	if got := fake.Calls(fakegithub.OpGetContents); got < 4 {
		t.Errorf("Pin read the index %d times over 4 attempts", got)
	}
	// A gateway error: the transport retries the PUT once after a wait.
	fake.FailNext(fakegithub.OpPutContents, http.StatusBadGateway, 1)
	fake.ResetCalls()
	saveAll(t, s, KindRun, 3)
	if got := fake.Calls(fakegithub.OpPutContents); got != 2 || len(*slept) != 1 {
		t.Errorf("502: %d PUTs, transport waits %v; want 2 and one", got, *slept)
	}
	// Conflict retries are bounded.
	few, _ := NewBranchStore(s.client, "o", "r", "", WithRetry(3, time.Millisecond, time.Millisecond))
	fake.FailNext(fakegithub.OpPutContents, http.StatusConflict, 5)
	if err := few.Exclude(ctx, k); err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("Exclude with 5 conflicts and 3 attempts: %v", err)
	}
	fake.FailNext(fakegithub.OpPutContents, 0, 0)

	// A rate limit that outlasts the transport's retries reaches the caller
	// after DefaultRetries+1 requests, not DefaultAttempts times as many.
	fake.SecondaryRateLimitNext(fakegithub.OpPutContents, time.Second, 10*ghclient.DefaultRetries)
	fake.ResetCalls()
	*slept = nil
	_, err := s.Save(ctx, testRecord(t, 4, "p", "s", KindRun, "main"))
	if err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("Save under a lasting rate limit: %v", err)
	}
	if got := fake.Calls(fakegithub.OpPutContents); got != ghclient.DefaultRetries+1 || len(*slept) != ghclient.DefaultRetries {
		t.Errorf("rate limit: %d PUTs and %d waits, want %d and %d", got, len(*slept), ghclient.DefaultRetries+1, ghclient.DefaultRetries)
	}
}

func TestBranchStorePruneDeletes(t *testing.T) {
	fake, s, _ := newBranchStore(t, WithKeep(2))
	saveAll(t, s, KindRun, span(0, 5)...)
	if got := fake.Statuses(fakegithub.OpDeleteContents); got[http.StatusOK] != 3 || len(got) != 1 {
		t.Errorf("delete statuses %v, want 3 × 200", got)
	}
	var records []string
	for _, p := range fake.Paths("o", "r", DefaultBranch) {
		if isRecordPath(p) {
			records = append(records, p)
		}
	}
	if len(records) != 2 {
		t.Errorf("files left on the branch: %v", records)
	}
}

func TestBranchStoreManyRecords(t *testing.T) {
	fake, s, _ := newBranchStore(t)
	ctx := context.Background()
	const n = 150
	for i := range n {
		r := testRecord(t, i, "p", "s", KindRun, "main")
		data, key, err := encodeForStore(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := fake.PutFile("o", "r", "main", key, data); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := NewBranchStore(s.client, "o", "r", "main")
	other.Save(ctx, testRecord(t, n, "other", "s", KindRun, "main"))
	for _, limit := range []int{100000, 40} { // GitHub's limit, then truncated answers
		fake.SetTreeLimit(limit)
		fake.ResetCalls()
		recs, skipped, err := other.List(ctx, Query{Policy: "p"})
		if err != nil || skipped != nil {
			t.Fatal(err, skipped)
		}
		newestFirst := slices.IsSortedFunc(recs, func(a, b *Record) int { return b.Time.Compare(a.Time) })
		if len(recs) != n || !newestFirst || !recs[0].Time.Equal(t0.Add((n-1)*time.Minute)) {
			t.Errorf("tree limit %d: %d records, want %d newest first", limit, len(recs), n)
		}
		trees := fake.Calls(fakegithub.OpGetTree)
		if limit == 40 && trees != 1+5 { // the truncated answer, then root, p, s, run, main
			t.Errorf("truncated listing made %d tree calls, want 6", trees)
		}
	}
}

func TestBranchStoreReadOnlyAndSecrets(t *testing.T) {
	fake, s, _ := newBranchStore(t)
	ctx := context.Background()
	k := saveAll(t, s, KindRun, 1)[0]
	fake.SetReadOnly(true)
	_, err := s.Save(ctx, testRecord(t, 2, "p", "s", KindRun, "main"))
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusForbidden {
		t.Errorf("read-only save: %v, want a 403 *github.ErrorResponse", err)
	}
	errs := []error{err, s.Pin(ctx, k)}
	if recs, _, err := s.List(ctx, Query{}); err != nil || len(recs) != 1 {
		t.Errorf("read-only list: %d records, %v", len(recs), err)
	}
	fake.SetReadOnly(false)
	errs = append(errs, s.Pin(ctx, strings.Replace(k, "-", "-9", 1)))
	for _, err := range errs {
		if err == nil {
			t.Error("expected an error")
		} else if strings.Contains(err.Error(), testToken) {
			t.Errorf("error leaks the token: %v", err)
		}
	}
}
