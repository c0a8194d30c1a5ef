package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Tier is a group of channels of one size.
type Tier struct {
	Count, Size int
}

// Shape describes a synthetic organisation.
type Shape struct {
	Users   int
	Tiers   []Tier // channel tiers; sizes above Users are capped at Users
	DMPairs int
}

// StandardShape is the organisation of docs/benchmarks.md: 10,000 users, one
// channel of everyone, 10 of 1,000, 100 of 100, 889 of 20, 1,000 of 5 (about
// 53,000 memberships) and 5,000 DM pairs.
func StandardShape() Shape {
	return Shape{Users: 10_000, Tiers: []Tier{{1, 10_000}, {10, 1_000}, {100, 100}, {889, 20}, {1_000, 5}}, DMPairs: 5_000}
}

// SmokeShape is a tiny organisation with the same structure.
func SmokeShape() Shape {
	return Shape{Users: 20, Tiers: []Tier{{1, 20}, {2, 10}, {4, 5}}, DMPairs: 10}
}

// PlanChannel is one channel of a plan; Members are user indexes in
// ascending order.
type PlanChannel struct {
	Name    string // "" for DMs
	DM      bool
	Size    int
	Members []int
}

// Plan is a deterministic organisation drawn from a Shape: users are indexes
// 0..Users-1, channels come largest first, then the DMs.
type Plan struct {
	Users    int
	Channels []PlanChannel
	// ByUser lists, per user, the indexes of the channels they are in.
	ByUser [][]int
}

// NewPlan draws memberships for s with a fixed seed.
func NewPlan(s Shape, seed uint64) Plan {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	p := Plan{Users: s.Users}
	for ti, t := range s.Tiers {
		size := min(t.Size, s.Users)
		for i := 0; i < t.Count; i++ {
			p.Channels = append(p.Channels, PlanChannel{Name: fmt.Sprintf("t%d-%d-%d", ti, size, i), Size: size,
				Members: sample(r, s.Users, size)})
		}
	}
	seen := map[[2]int]bool{}
	maxPairs := s.Users * (s.Users - 1) / 2
	for len(seen) < min(s.DMPairs, maxPairs) {
		a, b := r.IntN(s.Users), r.IntN(s.Users)
		if a == b {
			continue
		}
		if a > b {
			a, b = b, a
		}
		if seen[[2]int{a, b}] {
			continue
		}
		seen[[2]int{a, b}] = true
		p.Channels = append(p.Channels, PlanChannel{DM: true, Size: 2, Members: []int{a, b}})
	}
	p.ByUser = make([][]int, s.Users)
	for ci, c := range p.Channels {
		for _, u := range c.Members {
			p.ByUser[u] = append(p.ByUser[u], ci)
		}
	}
	return p
}

// sample returns k distinct values of [0, n) in ascending order.
func sample(r *rand.Rand, n, k int) []int {
	if k >= n {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	// Floyd's algorithm: k draws, no n-sized allocation.
	set := make(map[int]struct{}, k)
	for j := n - k; j < n; j++ {
		t := r.IntN(j + 1)
		if _, ok := set[t]; ok {
			t = j
		}
		set[t] = struct{}{}
	}
	out := make([]int, 0, k)
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Memberships is the total number of (channel, user) pairs.
func (p Plan) Memberships() int {
	n := 0
	for _, c := range p.Channels {
		n += len(c.Members)
	}
	return n
}

// Picker chooses channels for the mixed workload: 70% of messages go to
// small channels (at most 20 members, DMs excluded), 25% to ~100-member
// channels and 5% to ~1,000-member ones; the all-users channel is left to
// the broadcast workload. Empty classes fall back to the next non-empty one.
type Picker struct {
	classes [3][]int
	weights [3]float64
}

// NewPicker classifies p's channels.
func NewPicker(p Plan) Picker {
	var pk Picker
	pk.weights = [3]float64{0.70, 0.25, 0.05}
	for i, c := range p.Channels {
		switch {
		case c.DM || c.Size >= p.Users:
		case c.Size <= 20:
			pk.classes[0] = append(pk.classes[0], i)
		case c.Size <= 200:
			pk.classes[1] = append(pk.classes[1], i)
		default:
			pk.classes[2] = append(pk.classes[2], i)
		}
	}
	return pk
}

// Pick returns a channel index, or -1 when the plan has no eligible channel.
func (pk Picker) Pick(r *rand.Rand) int {
	x := r.Float64()
	cls := 2
	for i, w := range pk.weights {
		if x < w {
			cls = i
			break
		}
		x -= w
	}
	for k := 0; k < 3; k++ {
		c := pk.classes[(cls+k)%3]
		if len(c) > 0 {
			return c[r.IntN(len(c))]
		}
	}
	return -1
}

// DMs returns the indexes of the plan's DM channels.
func (p Plan) DMs() []int {
	var out []int
	for i, c := range p.Channels {
		if c.DM {
			out = append(out, i)
		}
	}
	return out
}

// Everyone returns the index of the channel of all users, or -1.
func (p Plan) Everyone() int {
	for i, c := range p.Channels {
		if !c.DM && c.Size >= p.Users {
			return i
		}
	}
	return -1
}

// SmallChannels returns the DMs and the other channels of at most maxSize
// members whose members are all connected, for the cross-node workload:
// with every member streaming, each message owes one delivery per member.
func (p Plan) SmallChannels(maxSize int, connected func(user int) bool) (dms, small []int) {
	for i, c := range p.Channels {
		if c.Size > maxSize || slices.ContainsFunc(c.Members, func(u int) bool { return !connected(u) }) {
			continue
		}
		if c.DM {
			dms = append(dms, i)
		} else {
			small = append(small, i)
		}
	}
	return dms, small
}
