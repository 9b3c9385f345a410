// Loopback targets for the `costinputs` bench, in their own process (their CPU is not the prober's):
// an HTTP, an HTTPS (the key and certificate files in argv) and a TCP server, each behind a proxy
// that counts the bytes the client sends, TLS records included. Ports go to the parent over IPC;
// { stats: true } answers the bytes and connections counted so far, { reset: true } zeroes them.
import { readFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import net from 'node:net';

const [keyFile, certFile] = process.argv.slice(2);
const counts = { http: { bytes: 0, connections: 0 }, https: { bytes: 0, connections: 0 }, tcp: { bytes: 0, connections: 0 } };
const answer = (req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 7 });
  res.end('healthy');
};
const listen = (server) => new Promise((done) => server.listen(0, '127.0.0.1', () => done(server.address().port)));

/** A TCP proxy to `upstream` that adds every byte the client sends to `count`. */
function countingProxy(upstream, count) {
  return net.createServer((client) => {
    count.connections++;
    const server = net.connect(upstream, '127.0.0.1');
    client.on('data', (d) => { count.bytes += d.length; });
    client.pipe(server).pipe(client);
    const close = () => { client.destroy(); server.destroy(); };
    client.once('error', close).once('close', close);
    server.once('error', close).once('close', close);
  });
}

const httpPort = await listen(createHttp(answer));
const httpsPort = await listen(createHttps({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, answer));
// A TCP service that says nothing: the check connects and closes (its default form).
const tcpPort = await listen(net.createServer((s) => { s.on('error', () => undefined); s.resume(); }));
const ports = {
  http: await listen(countingProxy(httpPort, counts.http)),
  https: await listen(countingProxy(httpsPort, counts.https)),
  tcp: await listen(countingProxy(tcpPort, counts.tcp)),
};
process.send({ ports });
process.on('message', (m) => {
  if (m.reset) for (const c of Object.values(counts)) Object.assign(c, { bytes: 0, connections: 0 });
  process.send({ stats: structuredClone(counts) });
});
process.on('disconnect', () => process.exit(0));
