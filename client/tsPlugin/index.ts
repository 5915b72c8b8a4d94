/**
 * The plugin package's entry (node_modules/rl-playground-ts-plugin/index.js in the .vsix): the
 * runtime's typings are copied next to it, to types/index.d.ts, by esbuild.mjs.
 */
import * as path from "node:path";
import { createPlugin } from "./plugin";

export = createPlugin(path.join(__dirname, "types", "index.d.ts"));
