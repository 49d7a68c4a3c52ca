// Package tensorboard writes and reads TensorBoard event files, so that a
// training run of onnxkit shows up in TensorBoard exactly like a Keras run.
//
// An event file is a TFRecord file: a sequence of records, each framed as
//
//	uint64 length, little endian
//	uint32 masked CRC-32C of the 8 length bytes, little endian
//	length bytes of data: one serialized Event protocol buffer
//	uint32 masked CRC-32C of the data, little endian
//
// where masking a CRC-32C (Castagnoli) value c gives
// ((c >> 15) | (c << 17)) + 0xa282ead8. The first Event of a file carries
// the file version "brain.Event:2"; the following ones carry summaries.
// Files are named events.out.tfevents.<unix seconds>.<host>.<pid>.<n>.v2 as
// TensorFlow names them. The messages are in package tbpb.
//
// Writer appends scalar summaries to one new event file in a run folder.
// Logger mirrors the Keras TensorBoard callback: it keeps the run folders
// train and validation under a log directory and writes the series
// epoch_loss and epoch_accuracy to both at step = epoch index, counting
// from 0. ReadEvents reads the scalars back from any event file, including
// those written by TensorFlow 2 (which stores scalars as rank-0 tensors),
// and verifies every checksum on the way.
package tensorboard
