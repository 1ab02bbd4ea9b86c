'use strict';

// Lines right before the return: the log must hold them, and only them.
exports.main_handler = async (event) => {
  console.log('out line ' + event.tag);
  console.error('err line ' + event.tag);
  if (event.partial) process.stdout.write('no newline ' + event.tag);
  return event.tag;
};
