package kernel

import (
	"runtime"
	"syscall"
	"testing"
)

// threadCPU returns the CPU time the calling thread has used, in
// nanoseconds.
func threadCPU() int64 {
	var u syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &u) != nil {
		return 0
	}
	return u.Utime.Nano() + u.Stime.Nano()
}

// loopCPU runs f b.N times on one locked thread and reports the thread's
// CPU time per call as cpu-ns/op, a figure that other processes sharing
// the machine disturb far less than the wall time.
func loopCPU(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
}
