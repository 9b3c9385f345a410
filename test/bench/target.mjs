// A loopback HTTP target for the benchmarks, run as its own process so its CPU is not counted.
import { createServer } from 'node:http';

// `/mib`: 1 MiB of JSON-ish filler whose last bytes are the `probemem` bench's match.
const mib = Buffer.alloc(1024 * 1024, 'x');
mib.write('END-OF-BODY', mib.length - 11);

const server = createServer((req, res) => {
  if (req.url === '/mib') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': mib.length });
    res.end(mib);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 7 });
  res.end('healthy');
});
server.keepAliveTimeout = 1_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
