package account

import "testing"

func TestNameKeys(t *testing.T) {
	for _, c := range []struct{ name, full, initials string }{
		{"张三", "zhangsan", "zs"},
		{"欧阳 娜娜", "ouyangnana", "oynn"},
		{"李雷 (Li Lei)", "lileililei", "llll"},
		{"Bob Smith", "bobsmith", "bs"},
		{"王2号", "wang2hao", "w2h"},
		{"", "", ""},
		{"🙂", "", ""},
	} {
		full, initials := NameKeys(c.name)
		if full != c.full || initials != c.initials {
			t.Errorf("NameKeys(%q) = %q, %q; want %q, %q", c.name, full, initials, c.full, c.initials)
		}
	}
}
