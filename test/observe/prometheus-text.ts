/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line must be a
 * `# HELP`, a `# TYPE`, or a sample of a family whose TYPE came first; label values are unescaped.
 * Throws on anything else, so a scrape that parses is valid text format.
 */
export interface Scrape {
  readonly help: ReadonlyMap<string, string>
  readonly type: ReadonlyMap<string, string>
  readonly samples: readonly Sample[]
  /** The value of the sample `name` with exactly these labels (undefined when there is none). */
  value(name: string, labels?: Record<string, string>): number | undefined
  /** The sum over every sample of `name` whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number
}

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`)
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

export function parsePrometheusText(text: string): Scrape {
  const help = new Map<string, string>()
  const type = new Map<string, string>()
  const samples: Sample[] = []
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue
    const where = `line ${index + 1}: ${line.slice(0, 120)}`
    if (line.startsWith('#')) {
      const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
      if (comment === null) throw new SyntaxError(`not a HELP or TYPE line, ${where}`)
      const [, kind, name, rest] = comment as unknown as [string, string, string, string]
      if (!new RegExp(`^${NAME}$`).test(name)) throw new SyntaxError(`bad metric name, ${where}`)
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new SyntaxError(`unknown type, ${where}`)
        if (type.has(name)) throw new SyntaxError(`second TYPE for ${name}, ${where}`)
        type.set(name, rest)
      } else help.set(name, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'))
      continue
    }
    const match = SAMPLE.exec(line)
    if (match === null) throw new SyntaxError(`not a sample, ${where}`)
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string]
    const family = [...type.keys()].find((family) => name === family || ['_bucket', '_sum', '_count', '_total', '_created'].some((suffix) => name === family + suffix))
    if (family === undefined) throw new SyntaxError(`sample before its TYPE, ${where}`)
    const labels: Record<string, string> = {}
    let rest = labelText ?? ''
    while (rest !== '') {
      const label = LABEL.exec(rest)
      if (label === null) throw new SyntaxError(`bad labels, ${where}`)
      labels[label[1] as string] = (label[2] as string).replace(/\\(["\\n])/g, (_all, char: string) => (char === 'n' ? '\n' : char))
      rest = rest.slice(label[0].length)
    }
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes `Nan`).
    const special = valueText.toLowerCase().replace(/^\+/, '')
    const value = special === 'nan' ? NaN : special === 'inf' ? Infinity : special === '-inf' ? -Infinity : Number(valueText)
    if (Number.isNaN(value) && special !== 'nan') throw new SyntaxError(`bad value, ${where}`)
    samples.push({ name, labels, value })
  }
  const matches = (sample: Sample, labels: Record<string, string>): boolean => Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
  return {
    help,
    type,
    samples,
    value: (name, labels = {}) =>
      samples.find((sample) => sample.name === name && matches(sample, labels) && Object.keys(sample.labels).length === Object.keys(labels).length)?.value,
    sum: (name, labels = {}) => samples.filter((sample) => sample.name === name && matches(sample, labels)).reduce((total, sample) => total + sample.value, 0),
  }
}
