"use strict";
// `node trainer.js <cli.js> train ...`: runs a built RL Playground CLI, as the repository's
// bin/rl-playground.js does. A file rather than `node -e`: the runner processes the CLI starts
// inherit Node's flags, and `-e` among them would replace their own script.
require(process.argv[2]).run(process.argv.slice(3));
