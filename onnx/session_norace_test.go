//go:build !race

package onnx_test

import "testing"

// TestSessionAllocatesNothing checks the steady state of a session: once a
// run has happened with the same input shapes, running the LeNet export
// allocates nothing, at batch 1 (where the kernels split single products
// across cores) and at batch 16 (where they split the batch). The race
// detector's instrumentation allocates, so this test is not built with it.
func TestSessionAllocatesNothing(t *testing.T) {
	m := lenetExport(t)
	for _, n := range []int{1, 16} {
		s := m.NewSession()
		in := lenetInput(t, n, 1)
		if _, err := s.Run(in); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(50, func() {
			if _, err := s.Run(in); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("batch %d: %v allocations per run, want 0", n, allocs)
		}
	}
}
