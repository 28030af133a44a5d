/** The size limits of the command line, in bytes; 0 means no limit. */
export interface SizeLimits {
  readonly maxSize: number
  readonly minSize: number
  readonly maxAppendSize: number
  readonly minAppendSize: number
}

/**
 * Pairs of limits that contradict each other: a minimum above a maximum. Each one leaves no upload that could be
 * resumed, though the flags are valid one by one, so the command line refuses it rather than advertise it.
 */
const CONTRADICTIONS: ReadonlyArray<{ lower: keyof SizeLimits; upper: keyof SizeLimits; why: string }> = [
  // The draft's min-size: a smaller upload gets no upload resource; every upload would be smaller.
  { lower: 'minSize', upper: 'maxSize', why: 'every upload small enough to be accepted is too small to be resumed' },
  // min-append-size holds for every append that does not complete the upload.
  { lower: 'minAppendSize', upper: 'maxAppendSize', why: 'no append could leave the upload incomplete' },
  { lower: 'minAppendSize', upper: 'maxSize', why: 'no append could leave the upload incomplete' },
]

const FLAGS: Record<keyof SizeLimits, string> = {
  maxSize: '--max-size',
  minSize: '--min-size',
  maxAppendSize: '--max-append-size',
  minAppendSize: '--min-append-size',
}

/** A message naming both flags of the first contradiction among `limits`, or undefined when there is none. */
export function contradictoryLimits(limits: SizeLimits): string | undefined {
  for (const { lower, upper, why } of CONTRADICTIONS) {
    if (limits[upper] > 0 && limits[lower] > limits[upper]) {
      return `${FLAGS[lower]} (${limits[lower]} bytes) is above ${FLAGS[upper]} (${limits[upper]} bytes): ${why}`
    }
  }
  return undefined
}
