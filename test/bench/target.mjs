// A loopback HTTP target for the benchmarks, run as its own process so its CPU is not counted.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 7 });
  res.end('healthy');
});
server.keepAliveTimeout = 1_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
