'use strict';
// The integration-test executor (see ../load.js for why this file is JavaScript).
module.exports = require('../load')('executors/integration-test/executor');
