/**
 * JSON read the way Go's `encoding/json` needs it to decode into a struct: every member of an object in
 * order, repeated names included (Go decodes each in turn into the same field), and numbers as their
 * literal text (Go's int refuses `403.0` and `4e2`, which `JSON.parse` cannot tell from 403 and 400).
 */
export type JsonNode =
  | { readonly kind: 'null' }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'object'; readonly members: readonly (readonly [string, JsonNode])[] }

// Deeper than any answer a hook means to give; Go stops at 10,000, a recursive reader here needs a lower bound.
const MAX_DEPTH = 1000
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }

/** Parses one JSON text (RFC 8259, white space around it allowed). Throws SyntaxError saying where it stopped. */
export function parseJsonTree(text: string): JsonNode {
  const reader = new Reader(text)
  reader.space()
  if (reader.done()) throw new SyntaxError('unexpected end of JSON input')
  const node = reader.value(0)
  reader.space()
  if (!reader.done()) throw reader.error('after top-level value')
  return node
}

class Reader {
  #at = 0
  constructor(readonly text: string) {}

  done(): boolean {
    return this.#at >= this.text.length
  }

  space(): void {
    while (!this.done() && ' \t\n\r'.includes(this.text[this.#at] as string)) this.#at += 1
  }

  error(where: string): SyntaxError {
    if (this.done()) return new SyntaxError('unexpected end of JSON input')
    return new SyntaxError(`invalid character ${JSON.stringify(this.text[this.#at])} ${where} at offset ${this.#at}`)
  }

  value(depth: number): JsonNode {
    if (depth > MAX_DEPTH) throw new SyntaxError(`exceeded max depth of ${MAX_DEPTH}`)
    const char = this.text[this.#at]
    if (char === '{') return this.#object(depth)
    if (char === '[') return this.#array(depth)
    if (char === '"') return { kind: 'string', value: this.#string() }
    for (const [word, node] of [['true', { kind: 'boolean', value: true }], ['false', { kind: 'boolean', value: false }], ['null', { kind: 'null' }]] as const) {
      if (this.text.startsWith(word, this.#at)) {
        this.#at += word.length
        return node
      }
    }
    NUMBER.lastIndex = this.#at
    const number = NUMBER.exec(this.text)
    if (number === null) throw this.error('looking for beginning of value')
    this.#at += number[0].length
    return { kind: 'number', text: number[0] }
  }

  #object(depth: number): JsonNode {
    const members: [string, JsonNode][] = []
    this.#at += 1
    this.space()
    if (this.text[this.#at] === '}') {
      this.#at += 1
      return { kind: 'object', members }
    }
    for (;;) {
      this.space()
      if (this.text[this.#at] !== '"') throw this.error('looking for beginning of object key string')
      const name = this.#string()
      this.space()
      if (this.text[this.#at] !== ':') throw this.error('after object key')
      this.#at += 1
      this.space()
      members.push([name, this.value(depth + 1)])
      this.space()
      const next = this.text[this.#at]
      this.#at += 1
      if (next === '}') return { kind: 'object', members }
      if (next !== ',') {
        this.#at -= 1
        throw this.error('after object key:value pair')
      }
    }
  }

  #array(depth: number): JsonNode {
    const items: JsonNode[] = []
    this.#at += 1
    this.space()
    if (this.text[this.#at] === ']') {
      this.#at += 1
      return { kind: 'array', items }
    }
    for (;;) {
      this.space()
      items.push(this.value(depth + 1))
      this.space()
      const next = this.text[this.#at]
      this.#at += 1
      if (next === ']') return { kind: 'array', items }
      if (next !== ',') {
        this.#at -= 1
        throw this.error('after array element')
      }
    }
  }

  #string(): string {
    let value = ''
    this.#at += 1
    for (;;) {
      const char = this.text[this.#at]
      if (char === undefined) throw this.error('in string literal')
      if (char === '"') {
        this.#at += 1
        return value
      }
      if (char < ' ') throw this.error('in string literal')
      if (char !== '\\') {
        value += char
        this.#at += 1
        continue
      }
      const escape = this.text[this.#at + 1]
      if (escape === 'u') {
        const hex = this.text.slice(this.#at + 2, this.#at + 6)
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw this.error('in \\u hexadecimal character escape')
        value += String.fromCharCode(Number.parseInt(hex, 16))
        this.#at += 6
      } else if (escape !== undefined && Object.hasOwn(ESCAPES, escape)) {
        value += ESCAPES[escape]
        this.#at += 2
      } else {
        this.#at += 1
        throw this.error('in string escape code')
      }
    }
  }
}
