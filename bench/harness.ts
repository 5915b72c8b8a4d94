/**
 * In-process access to the engine for benchmarks and tests that need to look inside an
 * update (the CLI and the server always go through the isolated runner instead).
 */
import { bundleEnvironment } from "../server/src/sandbox/bundle";
import { CallGuard, createGuardBuffer } from "../server/src/sandbox/callGuard";
import { loadUserModule, type UserModule } from "../server/src/sandbox/threadUserModule";
import { selectBackend } from "../server/src/rl/backend";
import type { BackendChoice, BackendName } from "../server/src/protocol";

export async function loadInProcess(
  file: string,
  backend: BackendChoice,
): Promise<{ user: UserModule; guard: CallGuard; backend: BackendName }> {
  const name = await selectBackend(backend);
  const bundled = await bundleEnvironment(file);
  if (!bundled.ok) throw new Error(bundled.errors[0].message);
  const guard = new CallGuard(createGuardBuffer());
  return { user: loadUserModule(bundled.bundle, guard), guard, backend: name };
}
