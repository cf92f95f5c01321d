'use strict';
// The plugin's entry point for Nx (createNodes), loaded compiled when current (see load.js).
module.exports = require('./load')('index');
