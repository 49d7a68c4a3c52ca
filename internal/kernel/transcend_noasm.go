//go:build !amd64 || purego

package kernel

// transcendSet is "go": Sigmoid and Tanh run the Go loops.
var transcendSet = "go"

// transcendSets lists the loop sets this CPU can run.
func transcendSets() []string { return []string{"go"} }

func sigmoidVec32(x, y []float32) int { return 0 }
func tanhVec32(x, y []float32) int    { return 0 }
