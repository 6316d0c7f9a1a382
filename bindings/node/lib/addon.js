'use strict';
// Finds and loads the compiled addon (envelope.node), in this order:
//   1. ENVELOPE_NODE_ADDON, a path to envelope.node (when set, it must load:
//      no other copy is tried);
//   2. build/envelope.node in this package (where `make install-node` puts it);
//   3. build/node/envelope.node at the top of the source tree (`make node`).
// If none loads, the error lists everything tried and why it failed.

const fs = require('node:fs');
const path = require('node:path');

function candidates() {
  if (process.env.ENVELOPE_NODE_ADDON) return [process.env.ENVELOPE_NODE_ADDON];
  const pkg = path.join(__dirname, '..');
  return [
    path.join(pkg, 'build', 'envelope.node'),
    path.join(pkg, '..', '..', 'build', 'node', 'envelope.node'),
  ];
}

function load() {
  const tried = [];
  for (const file of candidates()) {
    const abs = path.resolve(file);
    if (!fs.existsSync(abs)) {
      tried.push(`${abs}: no such file`);
      continue;
    }
    try {
      return { addon: require(abs), path: abs };
    } catch (e) {
      tried.push(`${abs}: ${e.message}`);
      if (process.env.ENVELOPE_NODE_ADDON) break;
    }
  }
  const err = new Error('cannot load the envelope addon (build it with `make node`):\n  ' +
                        tried.join('\n  '));
  err.code = 'ERR_ENVELOPE_ADDON';
  throw err;
}

module.exports = load();
