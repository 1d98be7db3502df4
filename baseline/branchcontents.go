package baseline

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-github/v62/github"
)

// This file holds the BranchStore's writes and reads of single files
// through the contents API: every write is a commit of the branch.

// createFile commits data at key. A file already at key is left alone when
// it holds the same bytes (the record was saved before) and replaced when
// it does not (a damaged file).
func (s *BranchStore) createFile(ctx context.Context, key string, data []byte) error {
	want := gitBlobSHA(data)
	var sha *string // set when a different file already holds the key
	return s.retry(ctx, "save "+s.where(key), func() error {
		_, _, err := s.client.Repositories.CreateFile(ctx, s.owner, s.repo, key, &github.RepositoryContentFileOptions{
			Message: github.String("perfgate: save " + key),
			Content: data,
			SHA:     sha,
			Branch:  github.String(s.branch),
		})
		switch {
		case err == nil:
			return nil
		case status(err) == http.StatusConflict:
			return &errConflict{err} // the branch moved
		case status(err) == http.StatusUnprocessableEntity && sha == nil:
			// The key exists: the same record (done) or a damaged file (replace it).
			cur, err2 := s.fileSHA(ctx, key)
			if err2 != nil {
				return err2
			}
			if cur == want {
				return nil
			}
			sha = &cur
			return &errConflict{err}
		}
		return fmt.Errorf("baseline: save %s: %w", s.where(key), err)
	})
}

// pruneFile removes the file at key, whose blob SHA is sha. A file already
// gone (pruned by a concurrent writer) is not an error.
func (s *BranchStore) pruneFile(ctx context.Context, key, sha string) error {
	return s.retry(ctx, "prune "+s.where(key), func() error {
		_, _, err := s.client.Repositories.DeleteFile(ctx, s.owner, s.repo, key, &github.RepositoryContentFileOptions{
			Message: github.String("perfgate: prune " + key),
			SHA:     github.String(sha),
			Branch:  github.String(s.branch),
		})
		switch status(err) {
		case 0:
			if err == nil {
				return nil
			}
		case http.StatusNotFound:
			return nil
		case http.StatusConflict:
			return &errConflict{err}
		}
		return fmt.Errorf("baseline: prune %s: %w", s.where(key), err)
	})
}

// fileSHA returns the blob SHA of the file at p in the branch.
func (s *BranchStore) fileSHA(ctx context.Context, p string) (string, error) {
	fc, _, _, err := s.client.Repositories.GetContents(ctx, s.owner, s.repo, p,
		&github.RepositoryContentGetOptions{Ref: s.branch})
	if err != nil {
		return "", fmt.Errorf("baseline: read %s: %w", s.where(p), err)
	}
	if fc == nil {
		return "", fmt.Errorf("baseline: read %s: a directory, not a file", s.where(p))
	}
	return fc.GetSHA(), nil
}
