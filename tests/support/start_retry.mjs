// Starts a process again on the port a killed one held a moment ago: calls
// start() until it succeeds, while the kernel lets go of the port (up to 30
// attempts, 100 ms apart). Shared by herald_serve.mjs and redis_server.mjs.
export async function startOnSamePort(start) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
