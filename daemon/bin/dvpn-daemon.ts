// dvpn-daemon: the DVPN node daemon. Configuration from the environment
// (see daemon/example.env) and optionally DVPN_DAEMON_CONFIG (a JSON file).
import { run } from '../src/daemon.js';

await run();
