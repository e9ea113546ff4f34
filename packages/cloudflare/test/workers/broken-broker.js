// A broker that fails every call, as an unreachable or crashing Durable Object looks to its callers.
export class M3terTokenBroker {
  fetch() {
    throw new Error('broker down')
  }
}

export default {
  fetch: () => Response.json({ calls: {} }),
}
