import { describe, expect, it } from 'vitest'
import { AppendCommits } from './append-commits.js'
import type { BodySource } from './s3-calls.js'
import type { ListedPart } from './s3-multipart.js'

const part = (number: number): ListedPart => ({ number, size: 10, etag: `"${number}"` })
const tail = (size: number): BodySource => ({ size, open: () => new Uint8Array(size) })

describe('AppendCommits', () => {
  it('writes interim commits at most once per interval, then the final one after them, in order', async () => {
    const written: string[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    const commits = new AppendCommits(async (parts, body) => {
      if (written.length === 0) await gate
      written.push(`${parts.length}+${body.size}`)
    }, 0)
    commits.interim([part(1)])
    commits.interim([part(1)])
    commits.interim([part(1), part(2)])
    const final = commits.final([part(1), part(2), part(3)], tail(5))
    release()
    await final
    expect(written).toEqual(['1+0', '2+0', '3+5'])
    expect(commits.committed?.length).toBe(3)
  })

  it('skips interim commits within the interval', async () => {
    const written: number[] = []
    const commits = new AppendCommits(async (parts) => void written.push(parts.length), 60_000)
    commits.interim([part(1)])
    await commits.final([part(1), part(2)], tail(0))
    expect(written).toEqual([2])
  })

  it('ignores a failed interim commit but reports a failed final one, keeping the last that succeeded', async () => {
    let calls = 0
    const commits = new AppendCommits(async () => {
      calls++
      if (calls !== 2) throw new Error(`write ${calls} failed`)
    }, 0)
    commits.interim([part(1)])
    commits.interim([part(1), part(2)])
    await expect(commits.final([part(1), part(2), part(3)], tail(1))).rejects.toThrow('write 3 failed')
    expect(commits.committed?.length).toBe(2)
  })
})
