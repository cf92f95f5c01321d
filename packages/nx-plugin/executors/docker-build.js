'use strict';
// The docker-build executor (see ../load.js for why this file is JavaScript).
module.exports = require('../load')('executors/docker-build/executor');
