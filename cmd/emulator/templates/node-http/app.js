'use strict';
// An SCF web function, written by `emulator init`.
//
// scf_bootstrap starts this plain HTTP server; the platform forwards each
// request to it as is, with X-Scf-* headers. It must listen on port 9000 (the
// emulator's process runtime sets $PORT instead).
const http = require('http');

const port = Number(process.env.PORT || 9000);
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const data = JSON.stringify({
      message: 'hello from a Node.js web function',
      function: process.env.SCF_FUNCTIONNAME || null,
      version: req.headers['x-scf-version'] || null,
      path: req.url,
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
    res.end(data);
  });
}).listen(port, '0.0.0.0', () => console.log(`listening on port ${port}`));
