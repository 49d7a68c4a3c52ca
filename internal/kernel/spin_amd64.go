//go:build amd64 && !purego

package kernel

// spinPause executes one PAUSE instruction; spinning loops call it
// between polls.
//
//go:noescape
func spinPause()

// rdpid returns IA32_TSC_AUX by RDPID (see currentCPU).
//
//go:noescape
func rdpid() int

// rdtscpAux returns IA32_TSC_AUX by RDTSCP (see currentCPU).
//
//go:noescape
func rdtscpAux() int

// cpuNumber is how currentCPU reads the CPU number: 1 by RDPID, 2 by
// RDTSCP, 0 not at all.
var cpuNumber = func() int {
	if _, _, ecx, _ := cpuid(7, 0); ecx&(1<<22) != 0 {
		return 1
	}
	if max, _, _, _ := cpuid(0x80000000, 0); max >= 0x80000001 {
		if _, _, _, edx := cpuid(0x80000001, 0); edx&(1<<27) != 0 {
			return 2
		}
	}
	return 0
}()

// currentCPU returns a number for the CPU the calling thread runs on
// (Linux keeps node<<12 | cpu in IA32_TSC_AUX), or 0 when the CPU cannot
// tell. The thread may move right after: it is a hint, for keeping
// recycled buffers with the core whose cache holds them.
func currentCPU() int {
	switch cpuNumber {
	case 1:
		return rdpid() & 0xfff
	case 2:
		return rdtscpAux() & 0xfff
	}
	return 0
}
