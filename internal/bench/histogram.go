package bench

import (
	"encoding/json"
	"math/bits"
	"time"
)

// Histogram is a small HDR-style histogram of durations: values below 128 ns
// are counted exactly, larger ones in buckets 1/64 of a power of two wide
// (under 1.6% relative error) up to the full int64 range. It is mergeable,
// so that worker processes can send theirs to the coordinator as JSON.
// (A hand-written one instead of a dependency: it is 100 lines and the
// bench needs only Record, Merge and Quantile.)
type Histogram struct {
	counts []uint64
	n      uint64
	max    int64
	sum    float64
}

const (
	subBits    = 6 // 64 sub-buckets per power of two
	subCount   = 1 << subBits
	linearTop  = 2 * subCount // values below this are exact
	numBuckets = linearTop + (64-subBits-1)*subCount
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{counts: make([]uint64, numBuckets)} }

func bucketOf(v int64) int {
	if v < linearTop {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits - 1 // v>>e is in [64, 128)
	return linearTop + (e-1)*subCount + int(uint64(v)>>e) - subCount
}

// bucketTop is the largest value counted in bucket i.
func bucketTop(i int) int64 {
	if i < linearTop {
		return int64(i)
	}
	e := (i-linearTop)/subCount + 1
	m := int64((i-linearTop)%subCount + subCount)
	return (m+1)<<e - 1
}

// Record adds one duration; negative ones count as 0.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	if v > h.max {
		h.max = v
	}
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the average recorded value.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the value at or below which a fraction q of the values
// lie (an upper bound within the bucket precision, never above Max).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketTop(i), h.max))
		}
	}
	return time.Duration(h.max)
}

type histJSON struct {
	Buckets [][2]uint64 `json:"buckets"` // [index, count] of the non-empty buckets
	Max     int64       `json:"max"`
	Sum     float64     `json:"sum"`
}

// MarshalJSON writes the non-empty buckets.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{Max: h.max, Sum: h.sum, Buckets: [][2]uint64{}}
	for i, c := range h.counts {
		if c > 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*h = *NewHistogram()
	for _, bc := range j.Buckets {
		if bc[0] < numBuckets {
			h.counts[bc[0]] += bc[1]
			h.n += bc[1]
		}
	}
	h.max, h.sum = j.Max, j.Sum
	return nil
}
