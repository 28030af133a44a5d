import net from 'node:net'

/** Opens a TCP connection to the port on 127.0.0.1; resolves once connected (then closes it), rejects as connecting fails. */
export function connect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy()
      resolve()
    })
    socket.once('error', reject)
  })
}
