/**
 * Accepted ssh logins, each with the failures that came before it: what auth.login-after-failures
 * and auth.root-login read. Streaming and pure; feed it events in log order (rotations oldest
 * first), as AuthLogParser emits them.
 *
 * "Before" is counted since the previous accepted login, so an administrator's occasional typos do
 * not add up over a year, while a brute force that ends in a login counts in full:
 *   - per address: every failure (any user, any method, as the tally counts them: failureOf),
 *     reset when a login from that address is accepted;
 *   - per user: password failures (password, keyboard-interactive, PAM lines standing alone) for
 *     names that are accounts on the box (not "invalid user"), from any address, reset when a login
 *     of that user is accepted.
 *
 * Bounds: one small counter per address (as the tally), at most maxUsers per-user counters (users
 * beyond are not tracked, counted in usersDropped), at most maxLogins logins kept that had failures
 * before them and maxLogins that had none (the rest counted in loginsDropped), root logins grouped
 * by address, at most maxOpen sessions waiting for their logout.
 */
import type { AuthLoginRecord, AuthPriorFailures, AuthRootLogins } from '../../model/auth.js';
import type { AuthLogEvent } from './events.js';
import { SSH_SERVER_PROGRAMS } from './parse-sshd.js';
import { failureOf } from './tally.js';

export interface AcceptedLoginsOptions {
  /** Logins kept of each kind (with failures before them / without); default 10 000. */
  maxLogins?: number;
  /** Per-user counters kept; default 10 000. */
  maxUsers?: number;
  /** Sessions waiting for their `session closed`; default 4096 (the oldest is given up). */
  maxOpen?: number;
  /** Distinct addresses counted per user before the count is capped; default 1000. */
  maxAddressesPerUser?: number;
}

/** Methods whose failure means a wrong password (or a PAM conversation). */
const PASSWORD_METHODS = new Set(['password', 'keyboard-interactive', 'keyboard-interactive/pam', 'pam']);

interface Prior {
  count: number;
  first: string | null;
  last: string | null;
}

interface UserPrior extends Prior {
  addresses: Set<string>;
  capped: boolean;
}

const MAX_KEYS = 10;

function note(p: Prior, count: number, time: string): void {
  p.count += count;
  if (time !== '') {
    if (p.first === null || time < p.first) p.first = time;
    if (p.last === null || time > p.last) p.last = time;
  }
}

function snapshot(p: Prior | undefined): AuthPriorFailures {
  return p ? { count: p.count, first: p.first, last: p.last } : { count: 0, first: null, last: null };
}

function reset(p: Prior | undefined): void {
  if (!p) return;
  p.count = 0;
  p.first = null;
  p.last = null;
}

export class AcceptedLogins {
  /** Logins not kept because of maxLogins. */
  loginsDropped = 0;
  /** Users whose failures were not tracked because of maxUsers. */
  usersDropped = 0;
  /** Accepted logins seen. */
  accepted = 0;

  private readonly maxLogins: number;
  private readonly maxUsers: number;
  private readonly maxOpen: number;
  private readonly maxAddressesPerUser: number;
  private readonly byAddress = new Map<string, Prior>();
  private readonly byUser = new Map<string, UserPrior>();
  private readonly kept: AuthLoginRecord[] = [];
  private keptNotable = 0;
  private keptPlain = 0;
  private readonly root = new Map<string, AuthRootLogins>();
  /** host + pid → the login whose `session closed` is awaited (insertion order = oldest first). */
  private readonly open = new Map<string, AuthLoginRecord>();

  constructor(opts: AcceptedLoginsOptions = {}) {
    this.maxLogins = opts.maxLogins ?? 10_000;
    this.maxUsers = opts.maxUsers ?? 10_000;
    this.maxOpen = opts.maxOpen ?? 4096;
    this.maxAddressesPerUser = opts.maxAddressesPerUser ?? 1000;
  }

  add(e: AuthLogEvent): void {
    const failure = failureOf(e);
    if (failure) {
      this.noteFailure(e, failure.count, failure.method);
      return;
    }
    const program = e.program.endsWith(')') ? e.program.replace(/\([^)]*\)$/, '') : e.program;
    if (!SSH_SERVER_PROGRAMS.has(program)) return;
    if (e.kind === 'accepted') this.noteAccepted(e);
    // `pam_unix(sshd:session): session closed for user alice`, same pid as its Accepted line.
    else if (e.kind === 'session-closed' && e.pid !== null) {
      const key = `${e.host ?? ''}\u0000${e.pid}`;
      const login = this.open.get(key);
      if (login && (e.user === null || login.user === null || e.user === login.user)) {
        login.logout = e.time || null;
        this.open.delete(key);
      }
    }
  }

  /** Kept logins, in log order. */
  logins(): AuthLoginRecord[] {
    return [...this.kept];
  }

  /** root's logins per address, most logins first. */
  rootLogins(): AuthRootLogins[] {
    return [...this.root.values()]
      .map((r) => ({ ...r, methods: { ...r.methods }, keys: [...r.keys] }))
      .sort((a, b) => b.count - a.count || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  private noteFailure(e: AuthLogEvent, count: number, method: string): void {
    const address = e.ip ?? e.rhost ?? null;
    if (address !== null) {
      let p = this.byAddress.get(address);
      if (!p) {
        p = { count: 0, first: null, last: null };
        this.byAddress.set(address, p);
      }
      note(p, count, e.time);
    }
    if (e.user === null || e.invalidUser || !PASSWORD_METHODS.has(method)) return;
    let u = this.byUser.get(e.user);
    if (!u) {
      if (this.byUser.size >= this.maxUsers) {
        this.usersDropped++;
        return;
      }
      u = { count: 0, first: null, last: null, addresses: new Set(), capped: false };
      this.byUser.set(e.user, u);
    }
    note(u, count, e.time);
    if (address !== null && !u.addresses.has(address)) {
      if (u.addresses.size < this.maxAddressesPerUser) u.addresses.add(address);
      else u.capped = true;
    }
  }

  private noteAccepted(e: AuthLogEvent): void {
    this.accepted++;
    const address = e.ip ?? e.rhost ?? null;
    const fromAddress = address !== null ? this.byAddress.get(address) : undefined;
    const forUser = e.user !== null ? this.byUser.get(e.user) : undefined;
    const login: AuthLoginRecord = {
      time: e.time,
      user: e.user,
      address,
      port: e.port,
      method: e.method,
      key: e.key,
      host: e.host,
      program: e.program,
      pid: e.pid,
      source: e.source,
      lineNo: e.lineNo,
      logout: null,
      failuresFromAddress: snapshot(fromAddress),
      failuresForUser: {
        ...snapshot(forUser),
        addresses: forUser ? forUser.addresses.size : 0,
        addressesCapped: forUser ? forUser.capped : false,
      },
    };
    reset(fromAddress);
    if (forUser) {
      reset(forUser);
      forUser.addresses.clear();
      forUser.capped = false;
    }

    const notable = login.failuresFromAddress.count > 0 || login.failuresForUser.count > 0;
    if (notable ? this.keptNotable < this.maxLogins : this.keptPlain < this.maxLogins) {
      this.kept.push(login);
      if (notable) this.keptNotable++;
      else this.keptPlain++;
    } else {
      this.loginsDropped++;
    }

    if (e.pid !== null) {
      const key = `${e.host ?? ''}\u0000${e.pid}`;
      this.open.delete(key);
      if (this.open.size >= this.maxOpen) this.open.delete(this.open.keys().next().value as string);
      this.open.set(key, login);
    }

    if (e.user === 'root' && address !== null) {
      const r = this.root.get(address);
      const method = e.method ?? 'unknown';
      if (!r) {
        this.root.set(address, { address, count: 1, methods: { [method]: 1 }, keys: e.key ? [e.key] : [], first: login, last: login });
      } else {
        r.count++;
        r.methods[method] = (r.methods[method] ?? 0) + 1;
        if (e.key && !r.keys.includes(e.key) && r.keys.length < MAX_KEYS) r.keys.push(e.key);
        if (login.time >= r.last.time) r.last = login;
        if (login.time !== '' && (r.first.time === '' || login.time < r.first.time)) r.first = login;
      }
    }
  }
}
