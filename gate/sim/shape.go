package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseShape parses a request shape written PROMPT:OUTPUT, two positive
// token counts such as 512:128 (perfgate sim --saturation).
func ParseShape(s string) (prompt, output int, err error) {
	a, b, _ := strings.Cut(s, ":")
	prompt, err = strconv.Atoi(a)
	output, err2 := strconv.Atoi(b)
	if err != nil || err2 != nil || prompt < 1 || output < 1 {
		return 0, 0, fmt.Errorf("%q: want PROMPT:OUTPUT, two positive token counts such as 512:128", s)
	}
	return prompt, output, nil
}
