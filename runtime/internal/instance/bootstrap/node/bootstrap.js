'use strict';
// SCF emulator bootstrap for Node.js event functions.
//
// Runs inside the function's code directory (the working directory), loads
// the handler named by _HANDLER ("index.main_handler", "src/app.handler") and
// serves invocations through the SCF Custom Runtime API at
// $SCF_RUNTIME_API:$SCF_RUNTIME_API_PORT. Handlers may be synchronous, async
// (return a Promise) or take a callback(err, result). Standard library only.

const http = require('http');
const path = require('path');
const url = require('url');

const api = { host: process.env.SCF_RUNTIME_API, port: Number(process.env.SCF_RUNTIME_API_PORT) };
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const environment = process.env._SCF_CONTEXT_ENVIRONMENT || '{}';
delete process.env._SCF_CONTEXT_ENVIRONMENT;
// The end-of-invocation marker prefix (see the runtime's output_marker.go).
const mark = process.env._SCF_LOG_MARK || '';
delete process.env._SCF_LOG_MARK;

function request(method, p, body, contentType) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({ host: api.host, port: api.port, path: p, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function loadHandler(spec) {
  const i = spec.lastIndexOf('.');
  if (i <= 0 || i === spec.length - 1) {
    throw new Error(`handler "${spec}" is not of the form file.function`);
  }
  const file = path.resolve(process.cwd(), spec.slice(0, i));
  const name = spec.slice(i + 1);
  let mod;
  try {
    mod = require(file);
  } catch (e) {
    if (!e || e.code !== 'ERR_REQUIRE_ESM') throw e;
    mod = await import(url.pathToFileURL(require.resolve(file)).href);
  }
  const fn = mod[name] || (mod.default && mod.default[name]);
  if (typeof fn !== 'function') {
    throw new Error(`handler function "${name}" not found in ${spec.slice(0, i)}`);
  }
  return fn;
}

// run calls the handler and settles with its answer. A non-async handler
// that answers through its callback is answered, as on the platform, once
// the event loop is empty (what the handler left running has run), unless it
// set context.callbackWaitsForEmptyEventLoop = false; until it answers, the
// process stays up, so a handler that never answers runs into its timeout.
function run(fn, event, context) {
  const hold = setInterval(() => {}, 1 << 30);
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      clearInterval(hold);
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    let answered = false; // the handler called its callback: the first call counts
    const userCallback = (err, result) => {
      if (answered) return;
      answered = true;
      if (context.callbackWaitsForEmptyEventLoop === false) {
        callback(err, result);
        return;
      }
      clearInterval(hold);
      process.once('beforeExit', () => callback(err, result));
    };
    let ret;
    try {
      ret = fn(event, context, userCallback);
    } catch (e) {
      callback(e === undefined || e === null ? new Error(String(e)) : e);
      return;
    }
    if (ret && typeof ret.then === 'function') {
      ret.then((r) => callback(null, r), (e) => callback(e || new Error('promise rejected with ' + e)));
    } else if (fn.length < 3) {
      callback(null, ret);
    }
  });
}

// userPaths shows the code directory as /var/user, where the platform
// keeps it.
const codeRoot = process.cwd();
function userPaths(text) {
  if (codeRoot === '/var/user') return text;
  return text.split(codeRoot + path.sep).join('/var/user/').split(codeRoot).join('/var/user');
}

// userStack is err's stack without the frames of this bootstrap and of
// Node.js itself: the user wants to see their own code.
function userStack(err) {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return userPaths(String(err));
  const own = err.stack.split('\n').filter((l) => !l.includes(__filename) && !l.includes('node:internal/'));
  return userPaths(own.join('\n'));
}

// endOutput queues the end markers behind everything the invocation wrote
// to process.stdout and process.stderr (pipe writes may be queued): the
// emulator attributes the output before them to this invocation.
function endOutput(requestId) {
  if (!mark) return;
  const noop = () => {};
  process.stdout.write(mark + 'o' + requestId + '\n', noop);
  process.stderr.write(mark + 'e' + requestId + '\n', noop);
}

function errorBody(err) {
  const isError = err instanceof Error;
  return JSON.stringify({
    errorType: (isError && err.name) || 'Error',
    errorMessage: userPaths(isError ? String(err.message) : String(err)),
    stackTrace: userStack(err),
  });
}

async function main() {
  const env = process.env;
  let environ = '';
  try {
    environ = Object.entries(JSON.parse(environment)).map(([k, v]) => `${k}=${v}`).join(';');
  } catch (e) { /* keep it empty */ }
  const base = {
    function_name: env.SCF_FUNCTIONNAME || '',
    function_version: env.SCF_FUNCTIONVERSION || '',
    namespace: env.SCF_NAMESPACE || 'default',
    environment,
    environ,
    tencentcloud_region: env.TENCENTCLOUD_REGION || '',
    tencentcloud_appid: env.TENCENTCLOUD_APPID || '',
    tencentcloud_uin: env.TENCENTCLOUD_UIN || '',
  };

  let fn;
  try {
    fn = await loadHandler(env._HANDLER || 'index.main_handler');
  } catch (e) {
    process.stderr.write(userStack(e) + '\n', () => process.exit(1));
    return;
  }

  await request('POST', '/runtime/init/ready', ' ', 'text/plain');
  for (;;) {
    const next = await request('GET', '/runtime/invocation/next');
    const timeLimit = Number(next.headers.time_limit_in_ms) || 0;
    const deadline = Date.now() + timeLimit;
    const context = Object.assign({}, base, {
      request_id: next.headers.request_id || '',
      memory_limit_in_mb: Number(next.headers.memory_limit_in_mb) || 0,
      time_limit_in_ms: timeLimit,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      callbackWaitsForEmptyEventLoop: true,
    });
    let event;
    const text = next.body.toString('utf8');
    try {
      event = text === '' ? {} : JSON.parse(text);
    } catch (e) {
      event = text;
    }

    let payload;
    try {
      const result = await run(fn, event, context);
      payload = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      process.stderr.write(userStack(err) + '\n');
      endOutput(context.request_id);
      await request('POST', '/runtime/invocation/error', errorBody(err), 'application/json');
      continue;
    }
    endOutput(context.request_id);
    await request('POST', '/runtime/invocation/response', payload, 'application/json');
  }
}

main().catch((e) => {
  process.stderr.write('bootstrap: ' + ((e && e.stack) || String(e)) + '\n', () => process.exit(1));
});
