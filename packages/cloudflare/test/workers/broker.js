// The broker's Worker: the published class with the test's clock, and a counter of the calls it serves so
// the test can show what the isolates cost it. The default handler shares the module scope (and so the
// clock) with the broker instances of this Worker.
import { M3terTokenBroker as Broker } from '@m3ter-auth/cloudflare'
// The runtime suite's manual clock, bundled in; it starts at 0 here, as the first request sets the time.
import { manualClock } from '../../../../tests/runtimes/src/manual-clock.js'

const clock = manualClock(0)
const calls = { token: 0, invalidate: 0 }
const events = []

export class M3terTokenBroker extends Broker {
  constructor(state, env) {
    super(state, env, {
      clock,
      onEvent: (e) => {
        if (e.type === 'value_ignored') events.push(`${e.type} ${e.reason}`)
      },
    })
  }

  async fetch(request) {
    const path = new URL(request.url).pathname.slice(1)
    if (path in calls) calls[path] += 1
    return super.fetch(request)
  }
}

export default {
  async fetch(request) {
    await clock.follow(request)
    return Response.json({ calls, events, now: clock.now() })
  },
}
