import { InvalidArgumentError } from 'commander'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseBasePath, parseBoolean, parseCount, parseDuration, parseOrigins, parsePositiveDuration, parsePort, parseSize } from './parse-values.js'

describe('parsePort', () => {
  it('accepts 0 to 65535', () => {
    expect(parsePort('0')).toBe(0)
    expect(parsePort('1080')).toBe(1080)
    expect(parsePort('65535')).toBe(65535)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (port) => {
        expect(parsePort(String(port))).toBe(port)
      }),
    )
  })

  it('refuses anything else with an InvalidArgumentError', () => {
    for (const value of ['x', '', '-1', '65536', '99999', '80.5', '0x50', '1e3', '8080a', ' ']) {
      expect(() => parsePort(value), value).toThrow(InvalidArgumentError)
    }
  })
})

describe('parseCount', () => {
  it('accepts whole numbers within its range', () => {
    const count = parseCount(0, 1000)
    expect(count('0')).toBe(0)
    expect(count('500')).toBe(500)
    expect(count(' 12 ')).toBe(12)
    expect(parseCount(1, 10)('10')).toBe(10)
  })

  it('refuses anything else with an InvalidArgumentError', () => {
    const count = parseCount(1, 1000)
    for (const value of ['x', '', '-1', '1.5', '1e3', '0x10', '12a', '1234567890', '0', '1001']) {
      expect(() => count(value), value).toThrow(InvalidArgumentError)
    }
  })
})

describe('parseSize', () => {
  it('reads plain byte counts', () => {
    expect(parseSize('0')).toBe(0)
    expect(parseSize('1073741824')).toBe(1073741824)
  })

  it('reads decimal (kB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB) units, case-insensitively', () => {
    expect(parseSize('500MB')).toBe(500_000_000)
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3)
    expect(parseSize('2gib')).toBe(2 * 1024 ** 3)
    expect(parseSize('1kb')).toBe(1000)
    expect(parseSize('1KiB')).toBe(1024)
    expect(parseSize('3 TB')).toBe(3e12)
    expect(parseSize('10b')).toBe(10)
  })

  it('reads single-letter units as binary (10k = 10 KiB), as tusd and most tools do', () => {
    expect(parseSize('10k')).toBe(10 * 1024)
    expect(parseSize('5m')).toBe(5 * 1024 ** 2)
    expect(parseSize('1g')).toBe(1024 ** 3)
    expect(parseSize('1t')).toBe(1024 ** 4)
  })

  it('refuses words, negative and fractional sizes, unknown units and sizes beyond 2^53', () => {
    for (const value of ['lots', '', '-1', '1.5GB', '10 pb', 'GB', '1e9', '999999999999999 TiB']) {
      expect(() => parseSize(value), value).toThrow(InvalidArgumentError)
    }
  })
})

describe('parseDuration', () => {
  it('reads ms, s, m and h', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('60s')).toBe(60_000)
    expect(parseDuration('2m')).toBe(120_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('1.5s')).toBe(1500)
  })

  it('reads a plain number as seconds', () => {
    expect(parseDuration('30')).toBe(30_000)
    expect(parseDuration('0')).toBe(0)
  })

  it('refuses words, negative durations and unknown units', () => {
    for (const value of ['soon', '', '-1s', '1d', '1 minute', 's', '1e3', '1,5s']) {
      expect(() => parseDuration(value), value).toThrow(InvalidArgumentError)
    }
  })
})

describe('parsePositiveDuration', () => {
  it('reads a duration of at least 1 ms, and refuses 0 and what rounds to it', () => {
    expect(parsePositiveDuration('1ms')).toBe(1)
    expect(parsePositiveDuration('20s')).toBe(20_000)
    for (const value of ['0', '0s', '0ms', '0.4ms', '-1s', 'soon']) {
      expect(() => parsePositiveDuration(value), value).toThrow(InvalidArgumentError)
    }
  })
})

describe('parseOrigins', () => {
  it('reads * as any origin', () => {
    expect(parseOrigins('*')).toBe('*')
    expect(parseOrigins(' * ')).toBe('*')
  })

  it('reads a comma-separated list of origins', () => {
    expect(parseOrigins('https://app.example.com, http://localhost:3000')).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ])
  })

  it('refuses what is not an origin: paths, other schemes, an empty list', () => {
    for (const value of ['example.com', 'https://example.com/path', 'ftp://example.com', '', ',', 'https://a.com,*']) {
      expect(() => parseOrigins(value), value).toThrow(InvalidArgumentError)
    }
  })
})

describe('parseBasePath', () => {
  it('accepts URL paths', () => {
    for (const value of ['/files/', '/up', 'up/', '/api/v1/uploads/', '/']) expect(parseBasePath(value)).toBe(value)
  })

  it('refuses spaces, queries, fragments, percent signs, full URLs and dot segments', () => {
    for (const value of ['/a b/', '/files?x=1', '/files#x', '/%2e%2e/', 'http://host/files/', '/a/../files/', './files']) {
      expect(() => parseBasePath(value), value).toThrow(InvalidArgumentError)
    }
  })
})

describe('parseBoolean', () => {
  it('reads the usual spellings of true and false', () => {
    for (const value of ['1', 'true', 'TRUE', 'yes', 'on', true]) expect(parseBoolean(value)).toBe(true)
    for (const value of ['0', 'false', 'no', 'off', '', false]) expect(parseBoolean(value)).toBe(false)
  })

  it('refuses anything else', () => {
    expect(() => parseBoolean('maybe')).toThrow(InvalidArgumentError)
  })
})
