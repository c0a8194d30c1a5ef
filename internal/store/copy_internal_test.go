package store

import "testing"

// The checksum must tell apart rows that a naive concatenation would not.
func TestRowHashIsUnambiguous(t *testing.T) {
	cols := []column{{name: "a", class: classText}, {name: "b", class: classText}}
	sum := func(vals ...any) string {
		h := newRowHash()
		h.add(cols, vals)
		return h.sum()
	}
	pairs := [][2][]any{
		{{"ab", ""}, {"a", "b"}},
		{{nil, "x"}, {"", "x"}},
		{{"a;b", "c"}, {"a", "b;c"}},
	}
	for _, p := range pairs {
		if sum(p[0]...) == sum(p[1]...) {
			t.Errorf("rows %q and %q hash alike", p[0], p[1])
		}
	}
	ints := []column{{name: "n", class: classInt}, {name: "f", class: classBool}}
	h1, h2 := newRowHash(), newRowHash()
	h1.add(ints, []any{int64(1), true})
	h2.add(ints, []any{int64(1), false})
	if h1.sum() == h2.sum() {
		t.Error("a flipped boolean does not change the checksum")
	}
}

// Values that do not fit their column are errors, never silently changed.
func TestCanonRejectsMisfits(t *testing.T) {
	for _, tc := range []struct {
		class colClass
		v     any
	}{
		{classBool, int64(2)},
		{classInt, "12"},
		{classText, "nul\x00byte"},
		{classText, string([]byte{0xff, 0xfe})},
		{classBytes, int64(1)},
	} {
		if got, err := canon(tc.class, tc.v); err == nil {
			t.Errorf("canon(%c, %#v) = %#v, want an error", tc.class, tc.v, got)
		}
	}
	if v, err := canon(classBool, int64(1)); err != nil || v != true {
		t.Errorf("SQLite's 1 in a boolean column: %v, %v", v, err)
	}
	if v, err := canon(classInt, int32(7)); err != nil || v != int64(7) {
		t.Errorf("int32: %v, %v", v, err)
	}
}
