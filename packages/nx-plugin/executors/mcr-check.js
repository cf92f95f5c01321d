'use strict';
// The mcr-check executor (see ../load.js for why this file is JavaScript).
module.exports = require('../load')('executors/mcr-check/executor');
