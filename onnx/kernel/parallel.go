package kernel

import (
	"runtime"
	"sync"
)

// parallelFor runs body(lo, hi) over [0, n) split into at most
// GOMAXPROCS contiguous chunks, one goroutine each, and waits. The worker
// index w (0 ≤ w < workers) lets a body keep per-worker scratch space.
func parallelFor(n int, body func(w, lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		if n > 0 {
			body(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			body(w, lo, hi)
		}(w, lo, hi)
	}
	wg.Wait()
}

// workerCount is the number of workers parallelFor uses for n items.
func workerCount(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n))
}
