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
)

const testToken = "ghs_s3cr3tT0ken"

func newBranchStore(t *testing.T, opts ...BranchOption) (*fakegithub.Server, *BranchStore) {
	t.Helper()
	fake := fakegithub.New()
	fake.RequireToken(testToken)
	client := fake.Client(t)
	if err := fake.CreateRepo("o", "r", "main"); err != nil {
		t.Fatal(err)
	}
	opts = append([]BranchOption{WithRetry(0, time.Millisecond, 20*time.Millisecond)}, opts...)
	s, err := NewBranchStore(client, "o", "r", "", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return fake, s
}

func TestBranchStoreSaveList(t *testing.T) {
	fake, s := newBranchStore(t)
	ctx := context.Background()
	// A missing branch has no records, and listing it writes nothing.
	recs, skipped, err := s.List(ctx, Query{})
	if err != nil || recs != nil || skipped != nil {
		t.Fatalf("List on a missing branch: %v %v %v", recs, skipped, err)
	}
	if _, ok := fake.Head("o", "r", DefaultBranch); ok {
		t.Fatal("List created the branch")
	}
	want := testRecord(t, 1, "p", "s", KindRun, "main")
	k1, err := s.Save(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	head, ok := fake.Head("o", "r", DefaultBranch)
	if !ok {
		t.Fatal("Save did not create the branch")
	}
	// The branch is an orphan: its first commit has no parent.
	for range 10 {
		parents, _ := fake.Parents("o", "r", head)
		if len(parents) == 0 {
			break
		}
		head = parents[0]
	}
	if msg, _ := fake.Parents("o", "r", head); msg != nil {
		t.Error("branch history does not end in an orphan commit")
	}
	if got := fake.Paths("o", "r", DefaultBranch); !slices.Equal(got, []string{"README.md", k1}) {
		t.Errorf("branch files = %v", got)
	}
	if got := fake.Paths("o", "r", "main"); !slices.Equal(got, []string{"README.md"}) {
		t.Errorf("default branch changed: %v", got)
	}
	k2, err := s.Save(ctx, testRecord(t, 2, "p", "s", KindRun, "main"))
	if err != nil {
		t.Fatal(err)
	}
	// Saving the same record again is a no-op.
	if k, err := s.Save(ctx, want); err != nil || k != k1 {
		t.Errorf("second save: %q %v", k, err)
	}
	recs, skipped, err = s.List(ctx, Query{Policy: "p", Scenario: "s", Kind: KindRun, Branch: "main"})
	if err != nil || skipped != nil {
		t.Fatal(err, skipped)
	}
	if got := keysOf(recs); !slices.Equal(got, []string{k2, k1}) {
		t.Fatalf("List = %v", got)
	}
	recs[1].Key = ""
	if data1, _ := Encode(recs[1]); data1 == nil || string(data1) != string(mustEncode(t, want)) {
		t.Error("listed record differs from the saved one")
	}
	// A corrupt file is skipped and named; the others are returned.
	bad := "p/s/run/main/20250301T130000.000000000Z-abc-00000000.json"
	if err := fake.PutFile("o", "r", DefaultBranch, bad, []byte(`{"schema": "perfgate/record/v1", "kind": `)); err != nil {
		t.Fatal(err)
	}
	recs, skipped, err = s.List(ctx, Query{Policy: "p"})
	if err != nil || len(recs) != 2 || len(skipped) != 1 {
		t.Fatalf("with a corrupt file: %d records, skipped %v, %v", len(recs), skipped, err)
	}
	if msg := skipped[0].Error(); !strings.Contains(msg, "o/r@perfgate-baselines:"+bad) || !strings.Contains(msg, "truncated") {
		t.Errorf("skipped error %q does not name the branch path", msg)
	}
	// Blobs are immutable: listing again reads no blob twice.
	before := fake.Calls(fakegithub.OpGetBlob)
	if _, _, err := s.List(ctx, Query{Policy: "p"}); err != nil {
		t.Fatal(err)
	}
	if after := fake.Calls(fakegithub.OpGetBlob); after != before {
		t.Errorf("second List fetched %d blobs again", after-before)
	}
}

func mustEncode(t *testing.T, r *Record) []byte {
	t.Helper()
	data, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestBranchStoreConcurrent(t *testing.T) {
	fake, s := newBranchStore(t, WithKeep(100))
	ctx := context.Background()
	const n = 20
	pinKeys := make([]string, n)
	for i := range n {
		k, err := s.Save(ctx, testRecord(t, 1000+i, "p", "s", KindCalibration, "main"))
		if err != nil {
			t.Fatal(err)
		}
		pinKeys[i] = k
	}
	// Separate stores share nothing but the repository, like separate jobs.
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	start := make(chan struct{})
	for i := range n {
		other, err := NewBranchStore(s.client, "o", "r", "", WithKeep(100), WithSeed(uint64(i)),
			WithRetry(0, time.Millisecond, 20*time.Millisecond))
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

func TestBranchStoreRetries(t *testing.T) {
	fake, s := newBranchStore(t)
	ctx := context.Background()
	k, err := s.Save(ctx, testRecord(t, 1, "p", "s", KindRun, "main"))
	if err != nil {
		t.Fatal(err)
	}
	// The branch moved under the writer twice, then a gateway error.
	fake.FailNext(fakegithub.OpPutContents, http.StatusConflict, 2)
	fake.FailNext(fakegithub.OpPutContents, http.StatusBadGateway, 1)
	fake.ResetCalls()
	if _, err := s.Save(ctx, testRecord(t, 2, "p", "s", KindRun, "main")); err != nil {
		t.Fatalf("Save after conflicts: %v", err)
	}
	if got := fake.Calls(fakegithub.OpPutContents); got != 4 {
		t.Errorf("PUT calls = %d, want 4 (3 failures, 1 success)", got)
	}
	fake.FailNext(fakegithub.OpPutContents, http.StatusConflict, 3)
	if err := s.Pin(ctx, k); err != nil {
		t.Fatalf("Pin after conflicts: %v", err)
	}
	// Retries are bounded.
	few, _ := NewBranchStore(s.client, "o", "r", "", WithRetry(3, time.Millisecond, time.Millisecond))
	fake.FailNext(fakegithub.OpPutContents, http.StatusConflict, 5)
	err = few.Exclude(ctx, k)
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("Exclude with 5 conflicts and 3 attempts: %v", err)
	}
	fake.FailNext(fakegithub.OpPutContents, 0, 0)
}

func TestBranchStorePinExcludePrune(t *testing.T) {
	fake, s := newBranchStore(t, WithKeep(3))
	ctx := context.Background()
	q := Query{Policy: "p", Scenario: "s", Kind: KindRun, Branch: "main"}
	var keys []string
	for i := range 3 {
		k, err := s.Save(ctx, testRecord(t, i, "p", "s", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := s.Pin(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Exclude(ctx, keys[2]); err != nil {
		t.Fatal(err)
	}
	recs, _, _ := s.List(ctx, q)
	if got := keysOf(recs); !slices.Equal(got, []string{keys[0], keys[1]}) || !recs[0].Pinned {
		t.Errorf("pinned first, excluded gone: %v", got)
	}
	for i := 3; i < 7; i++ {
		k, err := s.Save(ctx, testRecord(t, i, "p", "s", KindRun, "main"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	var files []string
	for _, p := range fake.Paths("o", "r", DefaultBranch) {
		if strings.HasSuffix(p, ".json") && p != "index.json" {
			files = append(files, p)
		}
	}
	if want := []string{keys[0], keys[4], keys[5], keys[6]}; !slices.Equal(files, want) {
		t.Errorf("after pruning: %v, want %v", files, want)
	}
	if fake.Statuses(fakegithub.OpDeleteContents)[http.StatusOK] != 3 {
		t.Errorf("deletes: %v", fake.Statuses(fakegithub.OpDeleteContents))
	}
	recs, _, _ = s.List(ctx, Query{Policy: "p", Limit: 2})
	if got := keysOf(recs); !slices.Equal(got, []string{keys[0], keys[6]}) {
		t.Errorf("limit 2: %v, want the pinned and the newest", got)
	}
	if err := s.Unpin(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	recs, _, _ = s.List(ctx, Query{Policy: "p", Limit: 2})
	if got := keysOf(recs); !slices.Equal(got, []string{keys[6], keys[5]}) {
		t.Errorf("after unpin: %v", got)
	}
	if err := s.Pin(ctx, keys[1]); !errors.Is(err, ErrNotFound) {
		t.Errorf("pin of a pruned record: %v", err)
	}
	index, _ := fake.File("o", "r", DefaultBranch, "index.json")
	if !strings.Contains(string(index), `"schema": "perfgate/index/v1"`) {
		t.Errorf("index.json = %s", index)
	}
}

func TestBranchStoreManyRecords(t *testing.T) {
	fake, s := newBranchStore(t)
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
	fake, s := newBranchStore(t)
	ctx := context.Background()
	k, err := s.Save(ctx, testRecord(t, 1, "p", "s", KindRun, "main"))
	if err != nil {
		t.Fatal(err)
	}
	fake.SetReadOnly(true)
	_, err = s.Save(ctx, testRecord(t, 2, "p", "s", KindRun, "main"))
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
