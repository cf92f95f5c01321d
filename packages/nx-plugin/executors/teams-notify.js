'use strict';
// The teams-notify executor (see ../load.js for why this file is JavaScript).
module.exports = require('../load')('executors/teams-notify/executor');
