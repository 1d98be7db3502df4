package baseline

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v62/github"
)

// This file holds the BranchStore's index.json: pins and exclusions,
// updated with the file's blob SHA as an optimistic lock.

// readIndexBlob reads the index from the blob sha of a listing ("" when
// the branch has no index).
func (s *BranchStore) readIndexBlob(ctx context.Context, sha string) (*Index, error) {
	if sha == "" {
		return decodeIndex(s.where(indexName), nil)
	}
	data, err := s.blob(ctx, sha, indexName)
	if errors.Is(err, errGone) {
		data, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeIndex(s.where(indexName), data)
}

// readIndex reads index.json from the head of the branch with its blob SHA
// ("" when it does not exist).
func (s *BranchStore) readIndex(ctx context.Context) (*Index, string, error) {
	fc, _, _, err := s.client.Repositories.GetContents(ctx, s.owner, s.repo, indexName,
		&github.RepositoryContentGetOptions{Ref: s.branch})
	if status(err) == http.StatusNotFound {
		ix, err := decodeIndex(s.where(indexName), nil)
		return ix, "", err
	}
	if err != nil {
		return nil, "", fmt.Errorf("baseline: read %s: %w", s.where(indexName), err)
	}
	if fc == nil {
		return nil, "", fmt.Errorf("baseline: read %s: a directory, not a file", s.where(indexName))
	}
	text, err := fc.GetContent()
	if err != nil {
		return nil, "", fmt.Errorf("baseline: read %s: %w", s.where(indexName), err)
	}
	ix, err := decodeIndex(s.where(indexName), []byte(text))
	return ix, fc.GetSHA(), err
}

// update changes the state of key in index.json. A conflict on the index's
// blob SHA re-reads the index and applies the change again.
func (s *BranchStore) update(ctx context.Context, key string, op state) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if op == statePinned || op == stateExcluded {
		if _, err := s.fileSHA(ctx, key); err != nil {
			if status(err) == http.StatusNotFound {
				return fmt.Errorf("baseline: %s %s: %w", op, s.where(key), ErrNotFound)
			}
			return err
		}
		if err := s.ensureBranch(ctx); err != nil {
			return err
		}
	}
	return s.retry(ctx, op.String()+" "+s.where(key), func() error {
		ix, sha, err := s.readIndex(ctx)
		if err != nil {
			return err
		}
		if !ix.apply(key, op) {
			return nil
		}
		opts := &github.RepositoryContentFileOptions{
			Message: github.String("perfgate: " + op.String() + " " + key),
			Content: ix.encode(),
			Branch:  github.String(s.branch),
		}
		if sha != "" {
			opts.SHA = github.String(sha)
		}
		_, _, err = s.client.Repositories.UpdateFile(ctx, s.owner, s.repo, indexName, opts)
		switch status(err) {
		case 0:
			if err == nil {
				return nil
			}
		case http.StatusConflict, http.StatusUnprocessableEntity:
			return &errConflict{err} // the index changed since it was read
		}
		return fmt.Errorf("baseline: write %s: %w", s.where(indexName), err)
	})
}
