/**
 * Calibration target: answers every request 200 `{}` after reading its body. Whatever rate the
 * load generator reaches here is its own ceiling, which must sit well above the floor. Env:
 * BENCH_PORT.
 */
import { createServer } from 'node:http';
import { env, serveChild } from './ipc.ts';

const port = Number(env('BENCH_PORT'));
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () =>
  serveChild(port, () => new Promise<void>((resolve) => server.close(() => resolve()))),
);
