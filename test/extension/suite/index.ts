/** Entry point the extension host loads (`extensionTestsPath`): runs the mocha suite. */
import * as path from "node:path";
import Mocha from "mocha";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", color: true, timeout: 180_000 });
  mocha.addFile(path.join(__dirname, "extension.test.js"));
  return new Promise((resolve, reject) =>
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension test(s) failed`)) : resolve())),
  );
}
