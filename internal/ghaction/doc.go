// Package ghaction is perfgate's GitHub Actions integration: it reads the
// action's inputs (Inputs) and the event that started a workflow (Event),
// masks secrets in the log (MaskingGetenv), keeps one sticky pull-request
// comment per policy up to date (CommentService, GitHubComments), and turns
// verdicts and policy errors into workflow annotations, outputs and the job
// summary (Annotation, Publish). A Job ties these together for one step of
// the action. Its client comes from ghclient.New, which retries rate limits
// and server errors.
//
// It never exits the process and never prints a token: the caller runs
// the gate and decides the exit code.
package ghaction
