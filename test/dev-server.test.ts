import net from 'node:net';
import t from 'tap';
import { firstEphemeralPort, freePort } from '../src/local/dev-server.js';

t.test('freePort: below the ephemeral range, bindable, never the same port twice', async (t) => {
  const low = firstEphemeralPort();
  const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
  t.equal(new Set(ports).size, ports.length, 'no port handed out twice');
  for (const port of ports) {
    t.ok(port >= 10_000 && port < low, `${port} lies below the ephemeral range (from ${low})`);
  }
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(ports[0], '127.0.0.1', resolve);
  });
  await new Promise((resolve) => srv.close(resolve));
  t.pass(`port ${ports[0]} could be bound`);
});
