/** A request header that is missing or malformed; every codec answers it with 400 and this message. */
export class HeaderError extends Error {
  constructor(readonly header: string, problem: string) {
    super(`${header}: ${problem}`)
    this.name = 'HeaderError'
  }
}

/** A client's value as quoted in an error message: at most 64 characters, so that a huge header never fills an answer. */
export function excerpt(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text
}

/** A request that cannot be served as asked (wrong method, wrong media type), with the status to answer. */
export class RequestRejected extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message)
    this.name = 'RequestRejected'
  }
}
