'use strict';

exports.main_handler = (event, context) => {
  console.log('node sync got', event.name);
  return {
    style: 'sync',
    version: context.function_version,
    event,
    env: { SCF_FUNCTIONVERSION: process.env.SCF_FUNCTIONVERSION, GREETING: process.env.GREETING },
    remaining: context.getRemainingTimeInMillis(),
    context,
  };
};

exports.async_handler = async (event, context) => {
  await new Promise((resolve) => setTimeout(resolve, 10));
  console.log('node async got', event.name);
  return { style: 'async', version: context.function_version, event };
};

exports.callback_handler = (event, context, callback) => {
  setTimeout(() => {
    console.log('node callback got', event.name);
    callback(null, { style: 'callback', version: context.function_version, event });
  }, 10);
};

exports.throw_handler = async (event) => {
  throw new TypeError('node boom ' + event.name);
};

// A non-async handler answers once the event loop is empty, as on the
// platform: the timer it leaves runs before the result is sent.
exports.waits_handler = (event, context, callback) => {
  const seen = [];
  setTimeout(() => seen.push('timer ran'), 20);
  callback(null, { seen });
};

// context.callbackWaitsForEmptyEventLoop = false answers at the callback.
exports.nowait_handler = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  const seen = [];
  setTimeout(() => seen.push('timer ran'), 20);
  callback(null, { seen });
};

// Never answers: the function runs until its timeout.
exports.never_handler = (event, context, callback) => {}; // eslint-disable-line no-unused-vars
