'use strict';
require('./this-module-does-not-exist');

exports.main_handler = () => 'unreachable';
