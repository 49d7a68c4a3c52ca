package kernel

// Tasks is a set of n independent tasks for ParallelTasks: Task(i) runs
// task i. Implementations are usually pointers to recycled structs, so
// that handing them over allocates nothing.
type Tasks interface{ Task(i int) }

// taskLoop adapts Tasks to the parallel loop body.
type taskLoop struct{ t Tasks }

func (l *taskLoop) run(_, lo, hi int) {
	for i := lo; i < hi; i++ {
		l.t.Task(i)
	}
}

// ParallelTasks runs t.Task(i) for i in [0, n) split across the helper
// goroutines, and returns when all are done; it allocates nothing. While
// the tasks run, the products they compute (Gemm, PackedB.Mul) count as
// running side by side, so each runs on its own goroutine instead of
// splitting again: the tasks themselves are the parallelism, as for the
// two directions of a bidirectional recurrent layer.
func ParallelTasks(n int, t Tasks) {
	if n <= 1 {
		if n == 1 {
			t.Task(0)
		}
		return
	}
	sgemmActive.Add(1)
	defer sgemmActive.Add(-1)
	l := getLoop[taskLoop]()
	l.t = t
	parallelRun(n, l)
	putLoop(l)
}
