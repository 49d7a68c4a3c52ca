package tensorboard

import (
	"encoding/binary"
	"hash/crc32"
	"io"
)

// crcMaskDelta is the constant added when masking a CRC, as TFRecord does.
const crcMaskDelta = 0xa282ead8

// recordOverhead is the framing around the data of a record: length,
// length CRC and data CRC.
const recordOverhead = 8 + 4 + 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// mask rotates a CRC right by 15 bits and adds crcMaskDelta, so that the
// CRC of data that itself contains CRCs is not trivially related to them.
func mask(crc uint32) uint32 {
	return (crc>>15 | crc<<17) + crcMaskDelta
}

// maskedCRC returns the masked CRC-32C of b.
func maskedCRC(b []byte) uint32 {
	return mask(crc32.Checksum(b, castagnoli))
}

// appendRecord appends data to dst framed as one TFRecord.
func appendRecord(dst, data []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, maskedCRC(dst[start:start+8]))
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, maskedCRC(data))
}

// writeRecord writes data to w framed as one TFRecord.
func writeRecord(w io.Writer, data []byte) error {
	_, err := w.Write(appendRecord(make([]byte, 0, len(data)+recordOverhead), data))
	return err
}
