package kernel

import (
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Parallel loops run on helper goroutines that live as long as the process
// (at most GOMAXPROCS-1 of them), so that starting a loop neither creates
// goroutines nor allocates: the hot kernels hand over a loop body that is a
// recycled struct (see getLoop), not a closure.

// loop is the body of a parallel loop: run handles items [lo, hi) as worker
// w (0 ≤ w < workers), which lets a body keep per-worker scratch space.
type loop interface{ run(w, lo, hi int) }

// loopFunc adapts a function to loop, for loops where an allocation per
// call does not matter (training-only paths).
type loopFunc func(w, lo, hi int)

func (f loopFunc) run(w, lo, hi int) { f(w, lo, hi) }

// loopChunk is one part of a loop handed to a helper.
type loopChunk struct {
	body      loop
	w, lo, hi int
	done      *join
}

func (c *loopChunk) do() {
	c.body.run(c.w, c.lo, c.hi)
	c.done.pending.Add(-1)
}

// loopSplit is one parallel loop in flight: its pending count and the
// chunks handed out, recycled through loopSplits.
type loopSplit struct {
	join
	chunks []loopChunk
}

var loopSplits freeList // of *loopSplit

// parallelRun runs body over [0, n) split into at most GOMAXPROCS
// contiguous chunks and returns when all are done. The calling goroutine
// runs the first chunk and, while others are pending, any queued tasks.
func parallelRun(n int, body loop) {
	workers := workerCount(n)
	if workers <= 1 {
		if n > 0 {
			body.run(0, 0, n)
		}
		return
	}
	startHelpers()
	sp, _ := loopSplits.get().(*loopSplit)
	if sp == nil {
		sp = new(loopSplit)
	}
	if cap(sp.chunks) < workers {
		sp.chunks = make([]loopChunk, workers)
	}
	chunks := sp.chunks[:workers]
	chunk := (n + workers - 1) / workers
	for w := 1; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			break
		}
		c := &chunks[w]
		*c = loopChunk{body: body, w: w, lo: lo, hi: hi, done: &sp.join}
		sp.pending.Add(1)
		if !tasks.push(c) { // the queue is full: run it here
			c.do()
		}
	}
	body.run(0, 0, min(chunk, n))
	sp.wait()
	clear(chunks) // drop the body and its slices
	loopSplits.put(sp)
}

// Parallel work (loop chunks here, Gemm slices in gemm_packed.go) is
// handed over as tasks through one queue, served by helper goroutines
// (GOMAXPROCS-1 of them) that poll for a while before they sleep. A task
// stays in the queue until a running goroutine takes it, and the goroutine
// that split the work never sleeps waiting for it: while its parts are
// pending it takes queued tasks (its own or anyone's) and runs them
// itself (see join.wait). So a part no helper got to yet costs no more than
// running it serially, a sleeping helper never delays the caller, and
// nested parallel loops cannot deadlock.

// task is a unit of work in the queue.
type task interface{ do() }

// taskQueue is a bounded FIFO of tasks with a wake-up signal for sleeping
// helpers.
type taskQueue struct {
	mu         sync.Mutex
	ring       [256]task
	head, size int
	queued     atomic.Int32 // size, readable without the lock
	wake       chan struct{}
}

var tasks = &taskQueue{wake: make(chan struct{}, 256)}

// push queues t and wakes a sleeping helper; it returns false when the
// queue is full.
func (q *taskQueue) push(t task) bool {
	q.mu.Lock()
	if q.size == len(q.ring) {
		q.mu.Unlock()
		return false
	}
	q.ring[(q.head+q.size)%len(q.ring)] = t
	q.size++
	q.queued.Store(int32(q.size))
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default: // enough wake-ups are pending already
	}
	return true
}

// pop takes the oldest task, or returns nil. Polling an empty queue takes
// no lock.
func (q *taskQueue) pop() task {
	if q.queued.Load() == 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.size == 0 {
		return nil
	}
	t := q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.size--
	q.queued.Store(int32(q.size))
	return t
}

// join counts the parts of one split still pending.
type join struct{ pending atomic.Int32 }

// yieldEvery is how many empty polls a spinning goroutine makes before it
// lets others run on its thread: rarely enough that the goroutines
// splitting and serving work each keep a thread while they spin.
const yieldEvery = 256

// wait returns when every part is done, running queued tasks meanwhile.
func (j *join) wait() {
	for i := 0; j.pending.Load() > 0; i++ {
		if t := tasks.pop(); t != nil {
			t.do()
			continue
		}
		spinPause()
		if i%yieldEvery == yieldEvery-1 {
			runtime.Gosched()
		}
	}
}

// helperSpin is how long an idle helper polls for work before it sleeps.
// Waking a sleeping thread costs tens of microseconds on a virtual
// machine, as much as a small kernel takes; the consecutive kernels of one
// inference or training step come closer together than this, so helpers
// stay awake through a run and sleep between runs.
const helperSpin = 200 * time.Microsecond

var (
	helpersMu sync.Mutex
	helpers   int
)

// startHelpers makes sure GOMAXPROCS-1 helpers serve the queue (the most
// GOMAXPROCS seen; helpers live as long as the process).
func startHelpers() {
	want := runtime.GOMAXPROCS(0) - 1
	helpersMu.Lock()
	defer helpersMu.Unlock()
	for ; helpers < want; helpers++ {
		go serve()
	}
}

// serve runs queued tasks for ever: it polls (yielding its thread now and
// then) and sleeps after helperSpin without work until a push wakes it.
func serve() {
	for {
		if t := tasks.pop(); t != nil {
			t.do()
			continue
		}
		start, found := time.Now(), false
		for i := 0; !found; i++ {
			if t := tasks.pop(); t != nil {
				t.do()
				found = true
				continue
			}
			spinPause()
			if i%yieldEvery == yieldEvery-1 {
				if time.Since(start) > helperSpin {
					break
				}
				runtime.Gosched()
			}
		}
		if !found {
			<-tasks.wake
		}
	}
}

// parallelMinWork is the amount of work (elements touched) below which a
// memory-bound loop (pooling, im2col) runs on the calling goroutine:
// handing part of it to a helper would cost more than it saves.
const parallelMinWork = 1 << 15

// parallelRunFor is parallelRun for a loop touching work elements in all:
// serial when work < parallelMinWork.
func parallelRunFor(n, work int, body loop) {
	if work < parallelMinWork {
		if n > 0 {
			body.run(0, 0, n)
		}
		return
	}
	parallelRun(n, body)
}

// parallelFor is parallelRun for a function body.
func parallelFor(n int, body func(w, lo, hi int)) {
	parallelRun(n, loopFunc(body))
}

// workerCount is the number of workers parallelRun uses for n items.
func workerCount(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n))
}

// loopPools recycles loop bodies, one free list per type.
var loopPools sync.Map // reflect.Type -> *freeList

// getLoop returns a zeroed *L, recycled when possible. Give it back with
// putLoop once the loop is over.
func getLoop[L any]() *L {
	if p, ok := loopPools.Load(reflect.TypeFor[L]()); ok {
		if l, ok := p.(*freeList).get().(*L); ok {
			return l
		}
	}
	return new(L)
}

// putLoop clears l (dropping the slices it points to) and keeps it for
// reuse.
func putLoop[L any](l *L) {
	var zero L
	*l = zero
	t := reflect.TypeFor[L]()
	p, ok := loopPools.Load(t)
	if !ok {
		p, _ = loopPools.LoadOrStore(t, new(freeList))
	}
	p.(*freeList).put(l)
}
