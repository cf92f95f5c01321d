'use strict';
// The executor of the steps after mcr-check (see ../load.js for why this file is JavaScript).
module.exports = require('../load')('executors/step/executor');
