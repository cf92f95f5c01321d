'use strict';
// The ecr-publish executor (see ../load.js for why this file is JavaScript).
module.exports = require('../load')('executors/ecr-publish/executor');
