package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// The charts of report.html are inline SVG drawn here: no script, no
// external file, the same picture in every browser and in a PDF print.

// svgSeries is one line of a chart.
type svgSeries struct {
	Name   string
	X, Y   []float64
	Dashed bool
	Color  string
	// Mark is the index of a point drawn larger (this run in a trend); -1
	// for none.
	Mark int
}

// svgChart is a line chart. XLabels, when set, name the x positions
// 0..n-1 (a categorical axis) instead of numeric ticks.
type svgChart struct {
	Title, XTitle, YTitle string
	Series                []svgSeries
	XLabels               []string
	// Fit scales y to the values instead of starting at 0: a trend's small
	// changes stay visible.
	Fit bool
	// Limit draws a horizontal line at this y (an SLO), when not nil.
	Limit      *float64
	LimitLabel string
}

const (
	svgW, svgH                     = 640, 280
	padL, padR, padT, padB float64 = 64, 16, 28, 48
)

// palette: candidate, reference arm, then others. Colour-blind safe pairs.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}

func svgNum(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string { return html.EscapeString(s) }

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		lo, hi = lo-1, hi+1
		if lo < 0 && hi > 0 && lo > -1 {
			lo = 0
		}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for v := math.Floor(lo/step) * step; v <= hi+step*1e-9; v += step {
		ticks = append(ticks, math.Round(v/step)*step)
	}
	if ticks[len(ticks)-1] < hi {
		ticks = append(ticks, ticks[len(ticks)-1]+step)
	}
	return ticks
}

func tickText(v float64) string {
	if v != 0 && (math.Abs(v) >= 1e6 || math.Abs(v) < 1e-3) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// render draws the chart; a chart without a finite point says so.
func (c svgChart) render() string {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), 0.0, math.Inf(-1)
	if c.Fit {
		ylo = math.Inf(1)
	}
	for _, s := range c.Series {
		for i := range s.X {
			if finite(s.X[i]) && finite(s.Y[i]) {
				xlo, xhi = math.Min(xlo, s.X[i]), math.Max(xhi, s.X[i])
				ylo, yhi = math.Min(ylo, s.Y[i]), math.Max(yhi, s.Y[i])
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, svgW, svgH, esc(c.Title))
	fmt.Fprintf(&b, `<text x="%s" y="18" class="ct">%s</text>`, svgNum(padL), esc(c.Title))
	if math.IsInf(xlo, 0) {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">nothing measured</text></svg>`, svgW/2, svgH/2)
		return b.String()
	}
	if c.Limit != nil && finite(*c.Limit) {
		yhi = math.Max(yhi, *c.Limit)
	}
	pad := 0.05 * yhi
	if c.Fit {
		pad = 0.1 * (yhi - ylo)
		// Values that cannot be negative keep a floor of 0.
		if ylo >= 0 {
			ylo = math.Max(0, ylo-pad)
		} else {
			ylo -= pad
		}
	}
	yt := niceTicks(ylo, yhi+pad, 5)
	ylo, yhi = yt[0], yt[len(yt)-1]
	if c.XLabels != nil {
		xlo, xhi = -0.5, float64(len(c.XLabels))-0.5
	} else if xlo == xhi {
		xlo, xhi = xlo-1, xhi+1
	}
	pw, ph := float64(svgW)-padL-padR, float64(svgH)-padT-padB
	px := func(x float64) float64 { return padL + (x-xlo)/(xhi-xlo)*pw }
	py := func(y float64) float64 { return padT + ph - (y-ylo)/(yhi-ylo)*ph }

	// Grid and y ticks.
	for _, t := range yt {
		y := svgNum(py(t))
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" class="grid"/>`, svgNum(padL), svgNum(padL+pw), y, y)
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="yt">%s</text>`, svgNum(padL-6), svgNum(py(t)+4), tickText(t))
	}
	// x ticks.
	if c.XLabels != nil {
		every := max(1, (len(c.XLabels)+9)/10)
		for i, l := range c.XLabels {
			if i%every == 0 || i == len(c.XLabels)-1 {
				fmt.Fprintf(&b, `<text x="%s" y="%s" class="xt">%s</text>`, svgNum(px(float64(i))), svgNum(padT+ph+16), esc(l))
			}
		}
	} else {
		for _, t := range niceTicks(xlo, xhi, 6) {
			if t < xlo-1e-9 || t > xhi+1e-9 {
				continue
			}
			fmt.Fprintf(&b, `<text x="%s" y="%s" class="xt">%s</text>`, svgNum(px(t)), svgNum(padT+ph+16), tickText(t))
		}
	}
	fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" class="axis"/>`, svgNum(padL), svgNum(padL+pw), svgNum(padT+ph), svgNum(padT+ph))
	fmt.Fprintf(&b, `<text x="%s" y="%d" class="xtitle">%s</text>`, svgNum(padL+pw/2), svgH-8, esc(c.XTitle))
	fmt.Fprintf(&b, `<text x="14" y="%s" class="ytitle" transform="rotate(-90 14 %s)">%s</text>`, svgNum(padT+ph/2), svgNum(padT+ph/2), esc(c.YTitle))

	if c.Limit != nil && finite(*c.Limit) {
		y := svgNum(py(*c.Limit))
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" class="limit"/>`, svgNum(padL), svgNum(padL+pw), y, y)
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="limitt">%s</text>`, svgNum(padL+pw-4), svgNum(py(*c.Limit)-4), esc(c.LimitLabel))
	}
	// Lines, points, legend.
	lx := padL + 8
	for i, s := range c.Series {
		color := s.Color
		if color == "" {
			color = palette[i%len(palette)]
		}
		var pts []string
		for j := range s.X {
			if finite(s.X[j]) && finite(s.Y[j]) {
				pts = append(pts, svgNum(px(s.X[j]))+","+svgNum(py(s.Y[j])))
			}
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, color, dash, strings.Join(pts, " "))
		for j := range s.X {
			if finite(s.X[j]) && finite(s.Y[j]) {
				r := "2.5"
				if j == s.Mark {
					r = "5"
				}
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="%s" fill="%s"><title>%s: %s</title></circle>`, svgNum(px(s.X[j])), svgNum(py(s.Y[j])), r, color, esc(s.Name), tickText(roundSig(s.Y[j])))
			}
		}
		if s.Name != "" {
			fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`, svgNum(lx), svgNum(lx+18), svgNum(padT+4), svgNum(padT+4), color, dash)
			fmt.Fprintf(&b, `<text x="%s" y="%s" class="lg">%s</text>`, svgNum(lx+22), svgNum(padT+8), esc(s.Name))
			lx += 36 + 6.5*float64(len([]rune(s.Name)))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// roundSig rounds v to 4 significant digits, for point titles.
func roundSig(v float64) float64 {
	if v == 0 || !finite(v) {
		return v
	}
	p := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// svgBars is a horizontal bar chart: one bar per label, with its value
// printed after it.
func svgBars(title string, labels []string, values []float64, texts []string) string {
	h := 36 + 24*len(labels)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart bars" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, svgW, h, esc(title))
	fmt.Fprintf(&b, `<text x="8" y="18" class="ct">%s</text>`, esc(title))
	hi := 0.0
	for _, v := range values {
		hi = math.Max(hi, v)
	}
	const left, right = 180.0, 140.0
	for i, l := range labels {
		y := 30 + 24*float64(i)
		w := 0.0
		if hi > 0 {
			w = values[i] / hi * (svgW - left - right)
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="bl">%s</text>`, svgNum(left-8), svgNum(y+13), esc(l))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="16" fill="%s"/>`, svgNum(left), svgNum(y), svgNum(math.Max(w, 1)), palette[1])
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="bv">%s</text>`, svgNum(left+w+6), svgNum(y+13), esc(texts[i]))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
