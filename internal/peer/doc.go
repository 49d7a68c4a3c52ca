// Package peer gives onnxkit's tests access to the real reference
// implementations that onnxkit is checked against, as installed by
// scripts/install-peers.sh:
//
//   - onnxruntime: package internal/ort, which the onnxkit command uses
//     too; tests hand its ErrUnavailable errors to Require like the others.
//   - the ONNX model checker of Debian's python3-onnx, run as a
//     /usr/bin/python3 subprocess; see CheckModel.
//   - the shared test fixtures that live beside the checkout in
//     ../shared/fixtures; see Fixtures.
//
// Nothing here is mocked: when a peer is missing the functions return an
// error that wraps ErrUnavailable and tells how to install it. Tests hand
// such errors to Require, which skips the test on a developer machine and
// fails it under CI (CI=true), where every peer must be present.
//
// Only tests import this package (it imports testing); the shipped
// command must not.
package peer
