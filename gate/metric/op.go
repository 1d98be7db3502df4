package metric

// Holds reports whether value v satisfies "v op limit", op being one of
// the operators of SLO limits ("<", "<=", ">", ">="); an unknown op never
// holds.
func Holds(op string, v, limit float64) bool {
	switch op {
	case "<":
		return v < limit
	case "<=":
		return v <= limit
	case ">":
		return v > limit
	case ">=":
		return v >= limit
	}
	return false
}
