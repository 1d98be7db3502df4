package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/perfgate/perfgate/internal/errmsg"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxSSELine is the longest SSE line accepted, in bytes.
const DefaultMaxSSELine = 1 << 20

// sseReader reads Server-Sent Events from a stream and returns the data of
// each event. It accepts LF, CRLF and lone CR line endings, partial reads,
// comment lines (":..."), multi-line data fields (joined with "\n") and the
// fields event, id and retry (ignored). Any other line is not SSE: the
// stream is garbage and Next returns an error.
type sseReader struct {
	sc      *bufio.Scanner
	maxLine int
	data    []byte
	has     bool // a data field was seen since the last dispatch
}

// newSSEReader reads lines of up to maxLine bytes, line ending excluded.
func newSSEReader(r io.Reader, maxLine int) *sseReader {
	sc := bufio.NewScanner(r)
	// The scanner's buffer also holds the line ending (up to CRLF) and must
	// see one byte past a CR, hence the margin.
	// It starts small (a token's chunk is a few hundred bytes) and grows
	// as longer lines need, so thousands of open streams stay cheap.
	sc.Buffer(make([]byte, 0, min(512, maxLine+2)), maxLine+2)
	sc.Split(new(lineSplitter).split)
	return &sseReader{sc: sc, maxLine: maxLine}
}

var errSSELineTooLong = errors.New("SSE line longer than the limit")

// errSSEGarbage wraps a line that is not part of the SSE format.
var errSSEGarbage = errors.New("not an SSE stream")

// Next returns the data of the next event. The returned slice is valid
// until the next call. At the end of the stream it returns io.EOF; a
// pending event without its closing blank line is still returned first.
func (r *sseReader) Next() ([]byte, error) {
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if len(line) > r.maxLine {
			return nil, fmt.Errorf("%w of %d bytes", errSSELineTooLong, r.maxLine)
		}
		if len(line) == 0 {
			if r.has {
				r.has = false
				return r.data, nil
			}
			continue
		}
		if line[0] == ':' {
			continue // comment, e.g. a keep-alive
		}
		name, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			name, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(name) {
		case "data":
			if !r.has {
				r.data = r.data[:0]
				r.has = true
			} else {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
		case "event", "id", "retry":
		default:
			return nil, fmt.Errorf("%w: unexpected line %s", errSSEGarbage, quoteShort(string(line), 60))
		}
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w of %d bytes", errSSELineTooLong, r.maxLine)
		}
		return nil, err
	}
	if r.has {
		r.has = false
		return r.data, nil
	}
	return nil, io.EOF
}

// lineSplitter splits LF, CRLF and CR terminated lines for a
// bufio.Scanner. The scanner hands the split function the whole pending
// line again after every read, so a line that arrives a byte at a time would
// be searched in quadratic time (minutes of CPU for a 1 MiB line); seen
// remembers how much of the pending line has no line ending.
type lineSplitter struct {
	seen int
}

func (l *lineSplitter) split(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	from := min(l.seen, len(data))
	if i := bytes.IndexAny(data[from:], "\r\n"); i >= 0 {
		i += from
		switch {
		case data[i] == '\n':
			l.seen = 0
			return i + 1, data[:i], nil
		case i+1 < len(data) && data[i+1] == '\n':
			l.seen = 0
			return i + 2, data[:i], nil
		case i+1 < len(data) || atEOF:
			l.seen = 0
			return i + 1, data[:i], nil
		}
		l.seen = i // a CR at the end of the buffer: CRLF or CR? Look again.
		return 0, nil, nil
	}
	if atEOF {
		l.seen = 0
		return len(data), data, nil
	}
	l.seen = len(data)
	return 0, nil, nil
}

// truncate is errmsg.Truncate: s cut to at most n bytes on a character
// boundary, the cut marked with "...".
var truncate = errmsg.Truncate

// quoteShort quotes s as a Go string literal holding at most n bytes of
// quoted text, marking a cut with "..." inside the quotes. Binary input,
// whose every byte quotes to four, stays as short as text.
func quoteShort(s string, n int) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		_, w := utf8.DecodeRuneInString(s[i:])
		q := strconv.Quote(s[i : i+w])
		q = q[1 : len(q)-1]
		if b.Len()-1+len(q) > n {
			b.WriteString("...")
			break
		}
		b.WriteString(q)
		i += w
	}
	b.WriteByte('"')
	return b.String()
}
