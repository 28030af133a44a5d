import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawnGateway, type GatewayProcess } from '../resilience/gateway-process.js'

/** A gateway process with a probe preloaded into it, for tests that look inside the process. */
export interface ProbedGateway {
  readonly gateway: GatewayProcess
  /** Sends the process SIGUSR2 (the probe's cue) and resolves with what follows `tag ` on the probe's stderr line. */
  ask(tag: string): Promise<string>
  /** Stops the process and removes its directory. */
  stop(): Promise<void>
}

/**
 * Starts the CLI with `args` on a fresh upload directory and `probe` (CommonJS source, which answers SIGUSR2
 * with a stderr line `<tag> <answer>`) preloaded through `NODE_OPTIONS=--require`; `nodeArguments` go to node.
 */
export async function spawnProbedGateway(probe: string, args: string[] = [], nodeArguments: string[] = []): Promise<ProbedGateway> {
  const directory = await mkdtemp(path.join(tmpdir(), 'probed-gateway-'))
  const probeFile = path.join(directory, 'probe.cjs')
  await writeFile(probeFile, probe)
  const stopAll = async (gateway?: GatewayProcess): Promise<void> => {
    await gateway?.stop()
    await rm(directory, { recursive: true, force: true })
  }
  let gateway: GatewayProcess
  try {
    gateway = await spawnGateway(['--upload-dir', path.join(directory, 'data'), ...args], {
      env: { NODE_OPTIONS: `--require ${probeFile}` },
      nodeArguments,
    })
  } catch (error) {
    await stopAll()
    throw error
  }
  return {
    gateway,
    async ask(tag) {
      const line = gateway.waitForStderr(new RegExp(`^${tag} `))
      process.kill(gateway.pid, 'SIGUSR2')
      return (await line).slice(tag.length + 1)
    },
    stop: () => stopAll(gateway),
  }
}
