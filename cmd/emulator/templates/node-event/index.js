'use strict';
// An SCF event function, written by `emulator init`.
//
// main_handler gets the event (here an API Gateway request) and returns an
// API Gateway integration response. Save this file while `emulator up` runs:
// $LATEST reloads at once. `emulator publish hello` freezes it as version 1.

exports.main_handler = async (event) => {
  event = event && typeof event === 'object' ? event : {};
  const body = {
    message: 'hello from Node.js',
    function: process.env.SCF_FUNCTIONNAME || null,
    version: process.env.SCF_FUNCTIONVERSION || null,
    path: event.path === undefined ? null : event.path,
  };
  console.log('handled', event.path); // shows in `emulator logs hello`
  return {
    isBase64Encoded: false,
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
};
