'use strict';
// Event function hello-node (API Gateway trigger, integration response on).
// It answers with the version that ran, so grayscale routing is visible.
// Keep MESSAGE on one line: demos rewrite it to make versions differ.
// Query parameters: fail=1 throws (error path), sleep=<seconds> waits first.

const MESSAGE = "hello from node";

// API Gateway sends one value as a string, repeated keys as an array and a
// key without a value as true.
function query(event, name) {
  const qs = event.queryString || event.queryStringParameters || {};
  let value = qs[name];
  if (Array.isArray(value)) value = value.length ? value[value.length - 1] : undefined;
  if (value === true) return '';
  return value === undefined || value === null ? null : String(value);
}

function header(event, name) {
  const headers = event.headers || {};
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) return headers[key];
  }
  return null;
}

exports.main_handler = async (event, context) => {
  event = event && typeof event === 'object' ? event : {};
  context = context || {};

  const sleep = query(event, 'sleep');
  if (sleep) await new Promise((resolve) => setTimeout(resolve, Number(sleep) * 1000));
  if (query(event, 'fail') === '1') throw new Error('failing on purpose: the request asked for fail=1');

  const body = {
    function: process.env.SCF_FUNCTIONNAME || context.function_name || null,
    version: context.function_version || process.env.SCF_FUNCTIONVERSION || null,
    runtime: 'node',
    message: MESSAGE,
    path: event.path === undefined ? null : event.path,
    user: header(event, 'user'),
  };
  // The platform serialises the return value: return an object, not a string.
  return {
    isBase64Encoded: false,
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
};
