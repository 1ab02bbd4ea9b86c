// A web function as the platform's documentation writes it: scf_bootstrap
// runs /var/lang/node16/bin/node app.js and the server binds 0.0.0.0:9000.
const http = require('http');
const fs = require('fs');
const path = require('path');

function writable(dir) {
  const name = path.join(dir, '.scf-write-check');
  try {
    fs.writeFileSync(name, 'x');
    fs.unlinkSync(name);
    return true;
  } catch (e) {
    return false;
  }
}

http.createServer((req, res) => {
  const dirs = ['/', '/var/user', '/var/lang', '/opt', '/etc', '/tmp'];
  const w = {};
  for (const d of dirs) w[d] = writable(d);
  res.writeHead(200, {'Content-Type': 'application/json'});
  res.end(JSON.stringify({runtime: 'node', executable: process.execPath, path: req.url, cwd: process.cwd(), writable: w}));
}).listen(9000, '0.0.0.0');
