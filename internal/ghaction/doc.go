// Package ghaction is perfgate's GitHub Actions integration: it reads the
// event that started a workflow (Event), keeps one sticky pull-request
// comment per policy up to date (CommentService, GitHubComments), and turns
// verdicts and policy errors into workflow annotations, outputs and the job
// summary (Annotation, Publish). Its client comes from ghclient.New, which
// retries rate limits and server errors.
//
// It never exits the process and never prints a token: the caller reads
// inputs, masks secrets and decides the exit code.
package ghaction
