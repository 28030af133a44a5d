/** What the first bytes of a connection say it speaks. */
export type Sniffed = 'http1' | 'h2c' | 'tls' | 'need-more'

// RFC 9113 §3.4: a prior-knowledge HTTP/2 client starts with this preface. No HTTP/1.1 method is
// "PRI", so four bytes decide; fewer that still match could be either.
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')
const DECIDING_BYTES = 4
// A TLS record of type handshake (RFC 8446 §5.1).
const TLS_HANDSHAKE = 0x16

/** Decides a connection's protocol from the bytes seen so far. Pure. */
export function sniff(head: Uint8Array): Sniffed {
  if (head.length === 0) return 'need-more'
  if (head[0] === TLS_HANDSHAKE) return 'tls'
  const n = Math.min(head.length, DECIDING_BYTES)
  for (let i = 0; i < n; i++) if (head[i] !== H2_PREFACE[i]) return 'http1'
  return head.length >= DECIDING_BYTES ? 'h2c' : 'need-more'
}
