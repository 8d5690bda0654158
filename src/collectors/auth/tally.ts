/**
 * Per-address aggregates of AuthEvents, with memory proportional to the number of distinct
 * addresses: each address keeps counters, a bounded user counter and a bounded list of logins.
 *
 * Counted as one failure: a `failed` event (any method) of sshd/sshd-session/sshd-auth/dropbear,
 * and a `pam-failure` event of those programs that is not `covered` (its Failed line is already
 * counted; see events.ts), weighted by what `PAM N more authentication failures` adds to the
 * failures already counted. A failure of a connection that then logged in (`beforeAccepted`: keys
 * offered before the accepted one, stacked PAM) is not a failure: it is counted in keysBeforeLogin
 * or not at all.
 * The address is the event's ip, else its rhost (a host name), else the event is not tallied.
 */
import type { AuthAcceptedLogin, AuthAddressRow, AuthEvent, AuthUserCount } from '../../model/auth.js';
import { ownString } from './own-string.js';
import { SSH_SERVER_PROGRAMS } from './parse-sshd.js';

/** The fields of an event the tally reads (AuthLogEvent fits). */
export type TallyEvent = Pick<AuthEvent, 'time' | 'program' | 'kind' | 'method' | 'user' | 'invalidUser' | 'ip' | 'port' | 'key'> & {
  rhost?: string;
  covered?: boolean;
  pamCount?: number;
  pamExtra?: number;
  beforeAccepted?: boolean;
  sameAttempt?: boolean;
};

/** The row types live in the model, where rules read them; these names are kept for the tally's callers. */
/**
 * How many failed logins an event stands for, and under which method (see the file comment):
 * 0 for anything that is not a failure of an sshd program.
 */
export function failureOf(e: TallyEvent): { count: number; method: string } | null {
  const program = e.program.endsWith(')') ? e.program.replace(/\([^)]*\)$/, '') : e.program;
  if (!SSH_SERVER_PROGRAMS.has(program)) return null;
  // A key offered before the accepted one, a PAM module failing before a stacked one let the user in.
  if (e.beforeAccepted === true) return null;
  if (e.kind === 'failed') return { count: 1, method: e.method ?? 'unknown' };
  if (e.kind === 'pam-failure' && e.covered !== true) return { count: e.pamExtra ?? e.pamCount ?? 1, method: 'pam' };
  return null;
}

export type UserCount = AuthUserCount;
export type AcceptedLogin = AuthAcceptedLogin;
export type AddressRow = AuthAddressRow;

export interface AuthTallyOptions {
  /** Users listed per row (default 10). */
  topUsers?: number;
  /** User counters kept per address (default 64). */
  maxUsersPerAddress?: number;
  /** Accepted logins kept per address (default 50). */
  maxAcceptedPerAddress?: number;
  /** User counters kept for the per-user failure counts (default 10 000). */
  maxUsers?: number;
}

/**
 * Bounded heavy-hitter counter (Space-Saving, Metwally et al. 2005): exact while it holds at most
 * `capacity` keys; after that a new key takes over the smallest counter (count = min + 1, error =
 * min), so any key counted more than total/capacity times is kept, and counts are never too low.
 */
export class BoundedCounter {
  /** Min-heap on count; each slot knows its place (`at`), so a move costs no map update. */
  private readonly heap: { key: string; count: number; error: number; at: number }[] = [];
  private readonly index = new Map<string, { key: string; count: number; error: number; at: number }>();
  private inserted = 0;

  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new RangeError('capacity must be at least 1');
  }

  add(key: string, n = 1): void {
    const slot = this.index.get(key);
    if (slot !== undefined) {
      slot.count += n;
      this.siftDown(slot.at);
      return;
    }
    this.inserted++;
    // Kept beyond the line: a copy of its own, not a slice of the block it was read from.
    key = ownString(key);
    if (this.heap.length < this.capacity) {
      const fresh = { key, count: n, error: 0, at: this.heap.length };
      this.heap.push(fresh);
      this.index.set(key, fresh);
      this.siftUp(fresh.at);
      return;
    }
    const min = this.heap[0];
    this.index.delete(min.key);
    const fresh = { key, count: min.count + n, error: min.count, at: 0 };
    this.heap[0] = fresh;
    this.index.set(key, fresh);
    this.siftDown(0);
  }

  /** Keys counted: exact while `exact`, else an upper bound (an evicted key that comes back counts again). */
  get distinct(): number {
    return this.inserted;
  }

  /** No key was ever evicted. */
  get exact(): boolean {
    return this.inserted <= this.capacity;
  }

  top(n: number): UserCount[] {
    return this.heap
      .map((v) => ({ user: v.key, count: v.count, exact: v.error === 0, error: v.error }))
      .sort((a, b) => b.count - a.count || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
      .slice(0, n);
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i];
    const b = h[j];
    h[i] = b;
    h[j] = a;
    b.at = i;
    a.at = j;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.heap[p].count <= this.heap[i].count) return;
      this.swap(i, p);
      i = p;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l].count < h[m].count) m = l;
      if (r < h.length && h[r].count < h[m].count) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

/** One address while counting: the row it becomes, with bounded counters in place of the user lists. */
interface AddressState extends Omit<AuthAddressRow, 'users' | 'distinctUsers' | 'distinctUsersExact' | 'invalidNames' | 'invalidNamesDistinct'> {
  users: BoundedCounter;
  /** Names of the `Invalid user` lines (made on the first). */
  invalidNames: BoundedCounter | null;
}

/** Kinds that give an address a row even without a failure. */
const TALLIED: ReadonlySet<AuthEvent['kind']> = new Set([
  'accepted', 'invalid-user', 'max-attempts', 'preauth-disconnect', 'no-identification', 'kex-failed', 'auth-timeout', 'root-refused',
]);

function earlier(a: string | null, b: string): string {
  return a === null || (b !== '' && b < a) ? b : a;
}

function later(a: string | null, b: string): string {
  return a === null || b > a ? b : a;
}

export class AuthTally {
  private readonly byAddress = new Map<string, AddressState>();
  private readonly perUser: BoundedCounter;
  private readonly topUsers: number;
  private readonly maxUsersPerAddress: number;
  private readonly maxAccepted: number;
  /** Events read. */
  events = 0;
  /** Failures without an address (not in any row, but in the per-user counts). */
  failuresWithoutAddress = 0;

  constructor(opts: AuthTallyOptions = {}) {
    this.topUsers = opts.topUsers ?? 10;
    this.maxUsersPerAddress = opts.maxUsersPerAddress ?? 64;
    this.maxAccepted = opts.maxAcceptedPerAddress ?? 50;
    this.perUser = new BoundedCounter(opts.maxUsers ?? 10_000);
  }

  /** Number of distinct addresses held. */
  get size(): number {
    return this.byAddress.size;
  }

  addAll(events: Iterable<TallyEvent>): void {
    for (const e of events) this.add(e);
  }

  add(e: TallyEvent): void {
    this.events++;
    const program = e.program.endsWith(')') ? e.program.replace(/\([^)]*\)$/, '') : e.program;
    if (!SSH_SERVER_PROGRAMS.has(program)) return;
    // failureOf, without an object per event.
    let failures = 0;
    let method: string | null = null;
    if (e.beforeAccepted !== true) {
      if (e.kind === 'failed') {
        failures = 1;
        method = e.method ?? 'unknown';
      } else if (e.kind === 'pam-failure' && e.covered !== true) {
        failures = e.pamExtra ?? e.pamCount ?? 1;
        method = 'pam';
      }
    }
    if (failures > 0 && e.user !== null) this.perUser.add(e.user, failures);

    const address = e.ip ?? e.rhost ?? null;
    if (address === null) {
      this.failuresWithoutAddress += failures;
      return;
    }
    const keyBeforeLogin = e.beforeAccepted === true && e.kind === 'failed';
    const relevant = failures > 0 || keyBeforeLogin || TALLIED.has(e.kind);
    if (!relevant) return;

    let a = this.byAddress.get(address);
    if (!a) {
      const owned = ownString(address);
      a = {
        address: owned, isIp: e.ip !== null, failures: 0, firstFailure: null, lastFailure: null, failuresByMethod: {},
        failuresInvalidUser: 0, invalidUsers: 0, users: new BoundedCounter(this.maxUsersPerAddress), invalidNames: null,
        maxAttempts: 0, preauthDisconnects: 0, noIdentification: 0, kexFailures: 0, authTimeouts: 0,
        rootRefused: 0, firstRootRefused: null, lastRootRefused: null, keysBeforeLogin: 0, acceptedCount: 0, accepted: [],
        lastAccepted: null, firstSeen: null, lastSeen: null,
      };
      this.byAddress.set(owned, a);
    }
    const time = e.time;
    // Lines of one second share their time string: most events change neither end.
    if (time !== '' && time !== a.lastSeen) {
      a.firstSeen = earlier(a.firstSeen, time);
      a.lastSeen = later(a.lastSeen, time);
    }
    if (failures > 0 && method !== null) {
      a.failures += failures;
      a.failuresByMethod[method] = (a.failuresByMethod[method] ?? 0) + failures;
      if (e.invalidUser) a.failuresInvalidUser += failures;
      if (e.user !== null) a.users.add(e.user, failures);
      if (time !== '' && time !== a.lastFailure) {
        a.firstFailure = earlier(a.firstFailure, time);
        a.lastFailure = later(a.lastFailure, time);
      }
      return;
    }
    if (keyBeforeLogin) {
      a.keysBeforeLogin++;
      return;
    }
    switch (e.kind) {
      case 'accepted': {
        const login: AcceptedLogin = { time: e.time, user: ownString(e.user), method: ownString(e.method), port: e.port, key: ownString(e.key) };
        a.acceptedCount++;
        if (a.accepted.length < this.maxAccepted) a.accepted.push(login);
        if (a.lastAccepted === null || login.time >= a.lastAccepted.time) a.lastAccepted = login;
        break;
      }
      case 'invalid-user':
        a.invalidUsers++;
        if (e.user !== null) (a.invalidNames ??= new BoundedCounter(this.maxUsersPerAddress)).add(e.user);
        break;
      case 'max-attempts':
        a.maxAttempts++;
        break;
      case 'preauth-disconnect':
        a.preauthDisconnects++;
        break;
      case 'no-identification':
        a.noIdentification++;
        break;
      case 'kex-failed':
        a.kexFailures++;
        break;
      case 'auth-timeout':
        a.authTimeouts++;
        break;
      case 'root-refused':
        // The monitor's line counts; its [preauth] twin is the same attempt.
        if (e.sameAttempt === true) break;
        a.rootRefused++;
        if (e.time !== '') {
          a.firstRootRefused = earlier(a.firstRootRefused, e.time);
          a.lastRootRefused = later(a.lastRootRefused, e.time);
        }
        break;
      default:
        break;
    }
  }

  /** One row per address, failures desc, then address. */
  toRows(): AddressRow[] {
    const rows: AddressRow[] = [];
    for (const a of this.byAddress.values()) {
      const { users, invalidNames, ...rest } = a;
      rows.push({
        ...rest,
        invalidNames: invalidNames ? invalidNames.top(this.topUsers) : [],
        invalidNamesDistinct: invalidNames ? invalidNames.distinct : 0,
        failuresByMethod: { ...a.failuresByMethod },
        accepted: [...a.accepted],
        users: users.top(this.topUsers),
        distinctUsers: users.distinct,
        distinctUsersExact: users.exact,
      });
    }
    return rows.sort((x, y) => y.failures - x.failures || (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
  }

  /** Failures per user over all addresses, count desc (at most `limit`). */
  userFailures(limit = Number.POSITIVE_INFINITY): UserCount[] {
    return this.perUser.top(limit);
  }
}
