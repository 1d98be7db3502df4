package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// DefaultPerPage and MaxPerPage are GitHub's page sizes for list endpoints.
const (
	DefaultPerPage = 30
	MaxPerPage     = 100
)

// paginate returns the bounds [lo, hi) of the requested page of n items and
// sets the Link header (first, prev, next, last) as GitHub does, from the
// per_page (default 30, at most 100) and page (default 1) parameters.
func paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = DefaultPerPage
	}
	per = min(per, MaxPerPage)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max(1, (n+per-1)/per)
	lo = min((page-1)*per, n)
	hi = min(lo+per, n)

	link := func(p int, rel string) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		v := r.URL.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(per))
		u.RawQuery = v.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(min(page-1, last), "prev"))
	}
	for i, l := range links {
		if i == 0 {
			w.Header().Set("Link", l)
		} else {
			w.Header().Set("Link", w.Header().Get("Link")+", "+l)
		}
	}
	return lo, hi
}
