package scheduler

import "strings"

// strategyKind is a strategy after validation.
type strategyKind int

const (
	rankRandom strategyKind = iota
	rankBinpackCPU
	rankBinpackMemory
	rankSpreadInstance
	rankSpreadAttribute
)

type rankKey struct {
	kind strategyKind
	attr string // rankSpreadAttribute
}

// compileStrategies validates strategies and returns the ranking chain. A
// random strategy ends the chain: nothing after it can break a tie.
func compileStrategies(strategies []Strategy) ([]rankKey, error) {
	if len(strategies) > MaxStrategies {
		return nil, invalidf("The number of placement strategies must not exceed %d.", MaxStrategies)
	}
	var keys []rankKey
	done := false
	for _, s := range strategies {
		var k rankKey
		switch strings.ToLower(s.Type) {
		case "random":
			if s.Field != "" {
				return nil, invalidf("Field is not allowed for placement strategy of type random.")
			}
			k.kind = rankRandom
		case "binpack":
			switch strings.ToLower(s.Field) {
			case "cpu":
				k.kind = rankBinpackCPU
			case "memory":
				k.kind = rankBinpackMemory
			case "":
				return nil, invalidf("Field is required for placement strategy of type binpack.")
			default:
				return nil, invalidf("Invalid field %s for placement strategy of type binpack. Valid values are cpu and memory.", s.Field)
			}
		case "spread":
			f := s.Field
			switch {
			case strings.EqualFold(f, "instanceId"), strings.EqualFold(f, "host"):
				k.kind = rankSpreadInstance
			case len(f) > len("attribute:") && strings.EqualFold(f[:len("attribute:")], "attribute:"):
				k.kind, k.attr = rankSpreadAttribute, f[len("attribute:"):]
			case f == "":
				return nil, invalidf("Field is required for placement strategy of type spread.")
			default:
				return nil, invalidf("Invalid field %s for placement strategy of type spread. Valid values are instanceId, host and attribute:<name>.", f)
			}
		default:
			return nil, invalidf("Invalid placement strategy type %s. Valid values are random, spread and binpack.", s.Type)
		}
		if done {
			continue // still validated, but cannot change the outcome
		}
		if k.kind == rankRandom {
			done = true
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}
