// The baseline of bench/edge-vs-node.ts: the minimal Node reverse proxy an operator would write
// (https.createServer + http.request with a keep-alive agent). Plain JS so it runs without a build.
//   node bench/peers/bare-node-proxy.mjs PORT CERT KEY ORIGIN_PORT [--peek]
//
// --peek puts tlsedge's accept path in front of it and nothing else: a net.Server reads the first
// bytes (the ClientHello) in JavaScript, then unshifts them and hands the socket to the TLS server
// (ARCHITECTURE's peek-then-hand-off, without parsing, events or policy). It measures what that
// design costs before tlsedge does any work of its own.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const [port, certFile, keyFile, originPort, mode] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  // remoteAddress is undefined once the client has gone; http.request would throw on that header
  const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-forwarded-proto': 'https' };
  const upstream = http.request({ host: '127.0.0.1', port: Number(originPort), method: req.method, path: req.url, headers, agent }, (ures) => {
    res.writeHead(ures.statusCode ?? 502, ures.headers);
    ures.pipe(res);
  });
  upstream.on('error', () => {
    res.statusCode = 502;
    res.end();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
const ready = () => process.stdout.write('ready\n');
if (mode === '--peek') {
  net
    .createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', (hello) => {
        socket.pause();
        socket.unshift(hello);
        server.emit('connection', socket);
      });
    })
    .listen(Number(port), '127.0.0.1', ready);
} else {
  server.listen(Number(port), '127.0.0.1', ready);
}
