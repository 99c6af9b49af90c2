// A TCP proxy that delays what the server sends back (never what the client sends), byte order kept. Put
// between a process and Temporal, it makes every call land on the server at once but answer late: a process
// killed in that gap has started work it never heard back about.
import net from 'node:net';

export interface DelayProxy {
  /** host:port to give the client instead of the target. */
  address: string;
  close(): Promise<void>;
}

export async function startDelayProxy(target: string, delayMs: number): Promise<DelayProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    sockets.add(client).add(upstream);
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroyBoth).on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('error', destroyBoth).on('close', () => sockets.delete(upstream));
    client.pipe(upstream);
    // Timers of one duration fire in the order they were set, so the stream stays in order.
    upstream.on('data', (chunk) => setTimeout(() => !client.destroyed && client.write(chunk), delayMs));
    upstream.on('end', () => setTimeout(() => client.end(), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${own}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
