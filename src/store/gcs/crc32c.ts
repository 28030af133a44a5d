// CRC32C (Castagnoli), reflected polynomial: what GCS reports as an object's `crc32c`.
const POLYNOMIAL = 0x82f63b78

/** Parses GCS's `crc32c` field (base64 of the big-endian 4 bytes). Throws `RangeError` for anything else. */
export function parseCrc32c(base64: string): number {
  const bytes = Buffer.from(base64, 'base64')
  if (bytes.length !== 4) throw new RangeError(`not a base64 crc32c: ${JSON.stringify(base64)}`)
  return bytes.readUInt32BE(0)
}

/**
 * The CRC32C of `a` followed by `b`, from the CRC32C of each and the length of `b` (zlib's crc32_combine,
 * for the Castagnoli polynomial): how a compose is checked without reading a byte of its sources.
 * `lengthB` may exceed 2^32 (objects of up to 5 TiB).
 */
export function combineCrc32c(crcA: number, crcB: number, lengthB: number): number {
  if (!(Number.isSafeInteger(lengthB) && lengthB >= 0)) throw new RangeError(`not a byte count: ${lengthB}`)
  if (lengthB === 0) return crcA >>> 0
  // `odd` is the operator that feeds one zero bit through the CRC register; squaring it twice gives the
  // operator for one zero byte, and repeated squaring the ones for 2^k zero bytes.
  const odd = new Uint32Array(32)
  const even = new Uint32Array(32)
  odd[0] = POLYNOMIAL
  for (let n = 1, row = 1; n < 32; n++, row = (row << 1) >>> 0) odd[n] = row
  square(even, odd)
  square(odd, even)
  let crc = crcA >>> 0
  let length = lengthB
  for (;;) {
    square(even, odd)
    if (length % 2 === 1) crc = times(even, crc)
    length = Math.floor(length / 2)
    if (length === 0) break
    square(odd, even)
    if (length % 2 === 1) crc = times(odd, crc)
    length = Math.floor(length / 2)
    if (length === 0) break
  }
  return (crc ^ crcB) >>> 0
}

/** Multiplies a 32x32 matrix over GF(2) by a vector. */
function times(matrix: Uint32Array, vector: number): number {
  let sum = 0
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) if ((v & 1) === 1) sum ^= matrix[i] ?? 0
  return sum >>> 0
}

function square(result: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) result[n] = times(matrix, matrix[n] ?? 0)
}
