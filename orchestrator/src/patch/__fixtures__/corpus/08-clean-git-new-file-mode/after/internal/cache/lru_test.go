package cache

import "testing"

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New(2)
	c.Put("a", []byte("1"))
	c.Put("b", []byte("2"))
	c.Get("a")
	c.Put("c", []byte("3"))
	if _, ok := c.Get("b"); ok {
		t.Fatal("expected b to be evicted")
	}
	if v, ok := c.Get("a"); !ok || string(v) != "1" {
		t.Fatalf("expected a=1, got %q %v", v, ok)
	}
}
