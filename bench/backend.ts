/** The benchmark's backend: a small fixed JSON answer, in its own process so it never competes with the load generator's event loop. */
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 39900);
const body = JSON.stringify([{ id: 1, name: 'Rex', tag: 'dog' }]);
createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => process.stdout.write(`ready ${port}\n`));
