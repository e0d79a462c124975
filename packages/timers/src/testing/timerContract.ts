import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from '@jest/globals';

import { ValidationError } from '@aman/errors';
import { spawnTypeScript } from '@aman/eventstore/testing';
import { eventually, expectAmanError } from '@aman/testing';

import {
  TimerRunner,
  type TimerFiring,
  type TimerProblem,
  type TimerRunnerOptions,
} from '../runner.ts';
import { MAX_PAYLOAD_BYTES, type Timer, type TimerStore } from '../timers.ts';

/** What a contract run needs from an adapter's test file. */
export interface TimerStoreHarness {
  /** Storage of its own for one test, so no runner fires another test's timers. */
  place(): TimerPlace;
  dispose(): Promise<void>;
}

export interface TimerPlace {
  /** A new store over this place's timers, as another process would open it. */
  open(): Promise<TimerStore>;
  /** How `timerProcess.ts` opens this place: `sqlite <path>` or `mongodb <uri> <db> <name>`. */
  readonly processArgs: readonly string[];
}

const T0 = Date.parse('2027-03-01T10:00:00.000Z');
const SECOND = 1000;
const HOUR = 3_600_000;
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
/** Put into bad input to check that no error message repeats it. */
const SECRET = 'Secret-Defender-Name';

const iso = (ms: number): string => new Date(ms).toISOString();

function timer(id: string, dueAt: number, payload: Timer['payload'] = { round: 1 }): Timer {
  return { id, kind: 'risk.reassessment-due', dueAt: iso(dueAt), payload };
}

/** A clock the test moves by hand. */
class ManualClock {
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  readonly now = (): Date => new Date(this.#now);

  set(ms: number): void {
    this.#now = ms;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour every TimerStore adapter must have, with the TimerRunner on top. */
export function timerContract(name: string, harness: () => Promise<TimerStoreHarness>): void {
  describe(`TimerStore contract: ${name}`, () => {
    let made: TimerStoreHarness | undefined;
    const opened: TimerStore[] = [];
    const runners: TimerRunner[] = [];

    /** A place of its own for this test, and a first store on it. */
    async function fresh(): Promise<{ place: TimerPlace; store: TimerStore }> {
      made ??= await harness();
      const place = made.place();
      return { place, store: await open(place) };
    }

    async function open(place: TimerPlace): Promise<TimerStore> {
      const store = await place.open();
      opened.push(store);
      return store;
    }

    /** A runner whose firings are recorded; tests get small polls and leases. */
    function recordingRunner(
      store: TimerStore,
      options: Partial<TimerRunnerOptions> = {},
    ): { runner: TimerRunner; firings: TimerFiring[]; problems: TimerProblem[] } {
      const firings: TimerFiring[] = [];
      const problems: TimerProblem[] = [];
      const runner = new TimerRunner({
        store,
        pollMs: 10,
        leaseMs: 10 * SECOND,
        retryMs: SECOND,
        onProblem: (problem) => problems.push(problem),
        ...options,
        handle: async (firing) => {
          firings.push(firing);
          await options.handle?.(firing);
        },
      });
      runners.push(runner);
      return { runner, firings, problems };
    }

    afterEach(async () => {
      await Promise.all(runners.splice(0).map((runner) => runner.stop()));
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    afterAll(async () => {
      await made?.dispose();
    });

    it('fires a due timer once, not before it is due', async () => {
      const { store } = await fresh();
      const scheduled = { ...timer('reassess:a1:1', T0 + 60 * SECOND), traceparent: TRACEPARENT };
      await store.schedule(scheduled);
      const clock = new ManualClock(T0);
      const { runner, firings } = recordingRunner(store, { clock: clock.now });

      expect(await runner.runOnce()).toBe(0);
      clock.set(T0 + 60 * SECOND - 1);
      expect(await runner.runOnce()).toBe(0);
      clock.set(T0 + 60 * SECOND);
      expect(await runner.runOnce()).toBe(1);
      clock.advance(HOUR);
      expect(await runner.runOnce()).toBe(0);

      expect(firings).toEqual([{ timer: scheduled, attempt: 1 }]);
      expect(await store.due(clock.now(), 10)).toEqual([]);
    });

    it('fires a timer due now at once when woken, not at the next poll', async () => {
      const { store } = await fresh();
      const { runner, firings } = recordingRunner(store, { pollMs: HOUR });
      runner.start();
      // Let the runner find nothing and settle into its hour-long pause.
      await new Promise((done) => setTimeout(done, 50));
      await store.schedule(timer('webhook:n1:1:1', Date.now() - SECOND));
      runner.wake();
      const deadline = Date.now() + 5 * SECOND;
      while (firings.length === 0 && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 10));
      }
      expect(firings.map((firing) => firing.timer.id)).toEqual(['webhook:n1:1:1']);
    });

    it('takes the same schedule again as a no-op and refuses other content under its id', async () => {
      const { store } = await fresh();
      const first = timer('deadline:r1', T0, { referralId: 'r1', step: 2 });
      await store.schedule(first);
      // The same content in other words: an offset, another key order, another trace.
      await store.schedule({
        ...first,
        dueAt: '2027-03-01T11:00:00+01:00',
        payload: { step: 2, referralId: 'r1' },
        traceparent: TRACEPARENT,
      });
      for (const other of [
        { ...first, payload: { referralId: 'r1', step: 3, note: SECRET } },
        { ...first, kind: 'referral.deadline' },
        { ...first, dueAt: iso(T0 + 1) },
      ]) {
        const error = await expectAmanError(store.schedule(other), 'AMAN_ERR_IDEMPOTENCY_CONFLICT');
        expect(error.message).not.toContain(SECRET);
      }

      const clock = new ManualClock(T0);
      const { runner, firings } = recordingRunner(store, { clock: clock.now });
      expect(await runner.runOnce()).toBe(1);
      // Fired: other content is still refused; the same schedule again leaves nothing pending.
      await expectAmanError(
        store.schedule({ ...first, dueAt: iso(T0 + HOUR) }),
        'AMAN_ERR_IDEMPOTENCY_CONFLICT',
      );
      await store.schedule(first);
      clock.advance(HOUR);
      expect(await store.due(clock.now(), 10)).toEqual([]);
      expect(await runner.runOnce()).toBe(0);
      expect(firings.map((firing) => firing.timer.id)).toEqual(['deadline:r1']);
    });

    it('never fires a cancelled timer; cancelling an unknown or fired id does nothing', async () => {
      const { place, store } = await fresh();
      const cancelled = timer('deadline:c1', T0);
      await store.schedule(cancelled);
      await store.schedule(timer('deadline:c2', T0));
      await store.cancel('deadline:c1');
      await store.cancel('deadline:c1');
      await store.cancel('deadline:unknown');

      const clock = new ManualClock(T0);
      const { runner, firings } = recordingRunner(await open(place), { clock: clock.now });
      expect(await runner.runOnce()).toBe(1);
      await store.cancel('deadline:c2');
      // A cancelled id stays cancelled: the same schedule is a no-op, other content a conflict.
      await store.schedule(cancelled);
      await expectAmanError(
        store.schedule({ ...cancelled, payload: { round: 2 } }),
        'AMAN_ERR_IDEMPOTENCY_CONFLICT',
      );
      clock.advance(HOUR);
      expect(await runner.runOnce()).toBe(0);
      expect(firings.map((firing) => firing.timer.id)).toEqual(['deadline:c2']);
      expect(await store.deadTimers()).toEqual([]);
    });

    it('fires a timer scheduled before a restart exactly once after it', async () => {
      const { place, store } = await fresh();
      await store.schedule(timer('reassess:restart', T0 + 10 * SECOND));
      const before = recordingRunner(store, { clock: () => new Date(T0) });
      before.runner.start();
      await pause(100);
      await before.runner.stop();
      await store.close();
      expect(before.firings).toEqual([]);

      const after = recordingRunner(await open(place), { clock: () => new Date(T0 + HOUR) });
      after.runner.start();
      await eventually('the timer to fire after the restart', () => after.firings.length > 0);
      await pause(200); // twenty more polls
      await after.runner.stop();
      expect(after.firings.map(({ timer: { id }, attempt }) => [id, attempt])).toEqual([
        ['reassess:restart', 1],
      ]);
    });

    it('fires each of 50 due timers exactly once between two runners on two stores', async () => {
      const { place, store } = await fresh();
      const ids = Array.from({ length: 50 }, (_, i) => `race:${String(i).padStart(2, '0')}`);
      for (const id of ids) await store.schedule(timer(id, T0));
      const clock = () => new Date(T0 + SECOND);
      const calls = new Map<string, number>();
      const count = async ({ timer: { id } }: TimerFiring): Promise<void> => {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        await pause(1); // let the other runner interleave
      };
      const one = recordingRunner(store, { clock, handle: count });
      const two = recordingRunner(await open(place), { clock, handle: count });
      one.runner.start();
      two.runner.start();
      await eventually('all 50 timers to fire', () => calls.size === ids.length);
      await pause(200);
      await Promise.all([one.runner.stop(), two.runner.stop()]);

      expect([...calls.keys()].sort()).toEqual(ids);
      expect([...calls.values()].every((n) => n === 1)).toBe(true);
      expect(one.firings.length + two.firings.length).toBe(50);
      expect(await store.due(new Date(T0 + HOUR), 100)).toEqual([]);
    });

    it('fires the next attempt after the lease of a runner killed mid-firing, never its attempt again', async () => {
      const { place, store } = await fresh();
      const leaseMs = 1500;
      await store.schedule(timer('reassess:crash', Date.now() - SECOND));
      const killed = await killMidFiring(place, leaseMs);
      expect(killed).toMatchObject({ id: 'reassess:crash', attempt: 1 });
      // While its lease runs, the killed runner's attempt is nobody else's.
      const other = await open(place);
      expect(
        await other.claim('reassess:crash', {
          now: new Date(killed.at),
          leaseMs,
          owner: 'test',
          maxAttempts: 10,
        }),
      ).toBeUndefined();

      const { runner, firings } = recordingRunner(other, { leaseMs: 10 * SECOND });
      runner.start();
      await eventually('the second attempt', () => firings.length > 0, 15_000);
      await pause(200);
      await runner.stop();
      expect(firings.map(({ timer: { id }, attempt }) => [id, attempt])).toEqual([
        ['reassess:crash', 2],
      ]);
      expect(await store.due(new Date(Date.now() + HOUR), 10)).toEqual([]);
    });

    it('retries a failing handler with growing pauses until it succeeds', async () => {
      const { store } = await fresh();
      await store.schedule(timer('reassess:flaky', T0, { note: SECRET }));
      const clock = new ManualClock(T0);
      const { runner, firings, problems } = recordingRunner(store, {
        clock: clock.now,
        handle: ({ attempt }) =>
          attempt < 3 ? Promise.reject(new TypeError(SECRET)) : Promise.resolve(),
      });

      expect(await runner.runOnce()).toBe(1); // attempt 1 fails: next from T0 + 1 s
      expect(await runner.runOnce()).toBe(0);
      clock.advance(SECOND);
      expect(await runner.runOnce()).toBe(1); // attempt 2 fails: next 2 s later
      clock.advance(SECOND);
      expect(await runner.runOnce()).toBe(0);
      clock.advance(SECOND);
      expect(await runner.runOnce()).toBe(1); // attempt 3 succeeds
      clock.advance(HOUR);
      expect(await runner.runOnce()).toBe(0);

      expect(firings.map((firing) => firing.attempt)).toEqual([1, 2, 3]);
      expect(problems).toEqual([
        {
          stage: 'handler',
          timerId: 'reassess:flaky',
          kind: 'risk.reassessment-due',
          attempt: 1,
          reason: 'handler failed with TypeError',
          retryAt: iso(T0 + SECOND),
          dead: false,
        },
        {
          stage: 'handler',
          timerId: 'reassess:flaky',
          kind: 'risk.reassessment-due',
          attempt: 2,
          reason: 'handler failed with TypeError',
          retryAt: iso(T0 + 3 * SECOND),
          dead: false,
        },
      ]);
      expect(JSON.stringify(problems)).not.toContain(SECRET);
      expect(await store.deadTimers()).toEqual([]);
    });

    it('moves a timer that keeps failing to the dead timers after the last attempt', async () => {
      const { store } = await fresh();
      const doomed = timer('reassess:doomed', T0);
      await store.schedule(doomed);
      await store.schedule(timer('reassess:fine', T0));
      const clock = new ManualClock(T0);
      const { runner, firings, problems } = recordingRunner(store, {
        clock: clock.now,
        maxAttempts: 3,
        handle: ({ timer: { id } }) =>
          id === 'reassess:doomed'
            ? Promise.reject(new ValidationError('the assessment is closed'))
            : Promise.resolve(),
      });
      for (let poll = 0; poll < 6; poll += 1) {
        await runner.runOnce();
        clock.advance(HOUR);
      }

      expect(firings.map(({ timer: { id }, attempt }) => `${id}#${attempt}`).sort()).toEqual([
        'reassess:doomed#1',
        'reassess:doomed#2',
        'reassess:doomed#3',
        'reassess:fine#1',
      ]);
      expect(problems.map((problem) => problem.stage === 'handler' && problem.dead)).toEqual([
        false,
        false,
        true,
      ]);
      const dead = await store.deadTimers();
      expect(dead).toEqual([
        {
          timer: doomed,
          attempts: 3,
          reason: 'AMAN_ERR_VALIDATION: the assessment is closed',
          diedAt: expect.any(String),
        },
      ]);
      // Dead is final until an operator acts: the same schedule does not revive it.
      await store.schedule(doomed);
      expect(await runner.runOnce()).toBe(0);
      expect(await store.deadTimers()).toHaveLength(1);
    });

    it('gives each attempt to one claimant, and counts attempts of runners that died', async () => {
      const { place, store } = await fresh();
      await store.schedule(timer('reassess:lease', T0));
      const other = await open(place);
      const options = (now: number, owner: string) => ({
        now: new Date(now),
        leaseMs: SECOND,
        owner,
        maxAttempts: 2,
      });

      expect(await store.claim('reassess:lease', options(T0 - 1, 'a'))).toBeUndefined();
      const first = await store.claim('reassess:lease', options(T0, 'a'));
      expect(first).toMatchObject({ attempt: 1, owner: 'a', leaseUntil: iso(T0 + SECOND) });
      if (first === undefined) throw new Error('the first claim failed');
      expect(await other.claim('reassess:lease', options(T0 + 999, 'b'))).toBeUndefined();
      expect(await store.claim('reassess:lease', options(T0 + 999, 'a'))).toBeUndefined();
      const second = await other.claim('reassess:lease', options(T0 + SECOND, 'b'));
      expect(second).toMatchObject({ attempt: 2, owner: 'b' });
      expect(await store.claim('reassess:lease', options(T0 + SECOND, 'a'))).toBeUndefined();

      // Both died: the third attempt would be past the limit.
      expect(await store.claim('reassess:lease', options(T0 + 2 * SECOND, 'a'))).toBeUndefined();
      expect(await other.deadTimers()).toEqual([
        {
          timer: timer('reassess:lease', T0),
          attempts: 2,
          reason: 'attempt 2 did not finish within its lease',
          diedAt: expect.any(String),
        },
      ]);
      // A runner that was only slow reports success late: the timer stays dead, listed once.
      await store.complete(first);
      expect(await store.deadTimers()).toHaveLength(1);
      expect(await store.due(new Date(T0 + HOUR), 10)).toEqual([]);
    });

    it('runs up to `concurrency` handlers at once (one by default), each due timer once', async () => {
      for (const concurrency of [undefined, 3]) {
        const { store } = await fresh();
        for (let n = 0; n < 7; n += 1) await store.schedule(timer(`reassess:c${n}`, T0));
        let inFlight = 0;
        let most = 0;
        const { runner, firings } = recordingRunner(store, {
          clock: () => new Date(T0),
          ...(concurrency === undefined ? {} : { concurrency }),
          handle: async () => {
            inFlight += 1;
            most = Math.max(most, inFlight);
            await pause(20);
            inFlight -= 1;
          },
        });
        expect(await runner.runOnce()).toBe(7);
        expect(most).toBe(concurrency ?? 1);
        expect(new Set(firings.map((firing) => firing.timer.id)).size).toBe(7);
        expect(firings).toHaveLength(7);
        expect(await store.due(new Date(T0 + HOUR), 10)).toEqual([]);
      }
    });

    it('lets stop() wait for the handler in flight', async () => {
      const { place, store } = await fresh();
      await store.schedule(timer('reassess:slow', T0));
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const { runner, firings } = recordingRunner(store, {
        clock: () => new Date(T0),
        handle: () => finished,
      });
      runner.start();
      await eventually('the handler to start', () => firings.length > 0);
      let stopped = false;
      const stopping = runner.stop().then(() => {
        stopped = true;
      });
      await pause(50);
      expect(stopped).toBe(false);
      finish();
      await stopping;
      // The firing was recorded before stop() resolved.
      expect(await (await open(place)).due(new Date(T0 + HOUR), 10)).toEqual([]);
    });

    it('refuses bad input with a ValidationError that quotes none of it', async () => {
      const { store } = await fresh();
      const good = timer('reassess:good', T0);
      const cyclic: Record<string, unknown> = { name: SECRET };
      cyclic['self'] = cyclic;
      const bad: unknown[] = [
        null,
        SECRET,
        { ...good, id: '' },
        { ...good, id: `${SECRET}#1` },
        { ...good, id: `${SECRET} ` },
        { ...good, id: 'x'.repeat(129) },
        { ...good, kind: '' },
        { ...good, kind: undefined },
        { ...good, dueAt: 'tomorrow' },
        { ...good, dueAt: '2027-02-30T10:00:00Z' },
        { ...good, dueAt: '2027-03-01T10:00:00' },
        { ...good, dueAt: T0 },
        { ...good, payload: null },
        { ...good, payload: [SECRET] },
        { ...good, payload: SECRET },
        { ...good, payload: { name: SECRET, at: new Date(T0) } },
        { ...good, payload: { name: SECRET, score: Number.NaN } },
        { ...good, payload: { name: SECRET, call: () => SECRET } },
        { ...good, payload: { names: [SECRET, undefined] } },
        { ...good, payload: cyclic },
        { ...good, payload: { name: SECRET.repeat(1000) } },
        { ...good, traceparent: SECRET },
      ];
      for (const value of bad) {
        const error = await expectAmanError(store.schedule(value as Timer), 'AMAN_ERR_VALIDATION');
        expect(error.message).not.toContain(SECRET);
      }
      for (const id of ['', 'a#1', 'x'.repeat(129)]) {
        await expectAmanError(store.cancel(id), 'AMAN_ERR_VALIDATION');
      }
      expect(await store.due(new Date(T0 + HOUR), 10)).toEqual([]);

      // 16 KiB of payload JSON is allowed, one byte more is not.
      const padding = MAX_PAYLOAD_BYTES - JSON.stringify({ pad: '' }).length;
      await store.schedule(timer('reassess:big', T0, { pad: 'x'.repeat(padding) }));
      await expectAmanError(
        store.schedule(timer('reassess:bigger', T0, { pad: 'x'.repeat(padding + 1) })),
        'AMAN_ERR_VALIDATION',
      );
      expect(await store.due(new Date(T0 + HOUR), 10)).toEqual(['reassess:big']);
    });

    it('refuses work once closed', async () => {
      const { store } = await fresh();
      await store.close();
      await expectAmanError(store.schedule(timer('reassess:late', T0)), 'AMAN_ERR_UNAVAILABLE');
      await expectAmanError(store.due(new Date(T0), 10), 'AMAN_ERR_UNAVAILABLE');
    });
  });
}

/**
 * Runs `timerProcess.ts` on the place and SIGKILLs it once its handler has started: the attempt is
 * claimed and never recorded as done. Returns the firing the process reported and when.
 */
async function killMidFiring(
  place: TimerPlace,
  leaseMs: number,
): Promise<{ id: string; attempt: number; at: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'aman-timer-crash-'));
  const marker = join(dir, 'firing');
  const child = spawnTypeScript('packages/timers/src/testing/timerProcess.ts', [
    marker,
    String(leaseMs),
    ...place.processArgs,
  ]);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const gone = new Promise<void>((resolve) => {
    child.on('exit', () => {
      resolve();
    });
  });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the timer process never reached its handler: ${stderr}`);
      }
      const firing = readFiring(marker);
      if (firing !== undefined) {
        child.kill('SIGKILL');
        await gone;
        return firing;
      }
      await pause(20);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The marker is written in one call, but may be read half-written: undefined until it parses. */
function readFiring(marker: string): { id: string; attempt: number; at: number } | undefined {
  if (!existsSync(marker)) return undefined;
  try {
    return JSON.parse(readFileSync(marker, 'utf8')) as { id: string; attempt: number; at: number };
  } catch {
    return undefined;
  }
}
