// One of two processes racing to open the same state directories (a stale
// lock left by a dead daemon in each): round r opens `<base>/<r>` at
// `startAt + r * slotMs` (+ `offsetUs`), prints {"r", "ok"} and keeps what it
// got open until it is killed.
import { StateStore } from '../../src/state/store.js';

const [base, roundsText, startAtText, slotText, offsetText] = process.argv.slice(2);
const rounds = Number(roundsText);
const startAt = Number(startAtText);
const slot = Number(slotText);
const offsetMs = Number(offsetText) / 1000;
const clock = () => performance.timeOrigin + performance.now();
const held: StateStore[] = [];
for (let r = 0; r < rounds; r++) {
  // Spread the second process over a few microseconds either side of the first.
  const at = startAt + r * slot + offsetMs * ((r % 21) - 10) / 10;
  while (clock() < at) {
    /* spin: both processes start within microseconds */
  }
  let ok = false;
  try {
    held.push(await StateStore.open({ dir: `${base}/${r}` }));
    ok = true;
  } catch {
    ok = false;
  }
  process.stdout.write(`${JSON.stringify({ r, ok })}\n`);
}
process.stdout.write('done\n');
setInterval(() => undefined, 1000);
