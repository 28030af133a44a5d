import { CommanderError } from 'commander'
import { afterEach, expect } from 'vitest'
import { buildCommand, givenFlags, type CliOptions } from './options.js'

// For the flag tests: the command line parsed as the CLI parses it, without exiting the process.

/** Parses `args` as the command line would; commander's errors are thrown, not exits. */
export function parseFlags(args: string[]): CliOptions {
  return parseCommandLine(args).options
}

/** `parseFlags`, and the flags `args` or the environment set (`givenFlags`). */
export function parseCommandLine(args: string[]): { options: CliOptions; given: ReadonlySet<string> } {
  const command = buildCommand('0.0.0-test').exitOverride()
  command.parse(args, { from: 'user' })
  return { options: command.opts<CliOptions>(), given: givenFlags(command) }
}

/** The message commander prints for a bad command line (asserting that it is refused). */
export function flagFailure(args: string[]): string {
  let errors = ''
  const command = buildCommand('0.0.0-test')
    .exitOverride()
    .configureOutput({ writeErr: (text) => (errors += text), writeOut: () => {} })
  expect(() => command.parse(args, { from: 'user' })).toThrow(CommanderError)
  return errors
}

/**
 * A setter of environment variables for the tests of the calling file or `describe`: every variable it set is
 * removed after each test.
 */
export function testEnv(): (name: string, value: string) => void {
  const touched: string[] = []
  afterEach(() => {
    for (const name of touched.splice(0)) delete process.env[name]
  })
  return (name, value) => {
    touched.push(name)
    process.env[name] = value
  }
}
