/**
 * Accepted ssh logins, each with the failures that came before it: what auth.login-after-failures
 * and auth.root-login read. Streaming and pure; the events may come in any order of files or
 * halves of files (`cat auth.log auth.log.1`, rotations given newest first): the failures are
 * paired with the logins by time, not by the order of the lines.
 *
 * "Before" is counted since the previous accepted login, so an administrator's occasional typos do
 * not add up over a year, while a brute force that ends in a login counts in full:
 *   - per address: every failure (any user, any method, as the tally counts them: failureOf),
 *     since the previous login from that address;
 *   - per user: password failures (password, keyboard-interactive, PAM lines standing alone) for
 *     names that are accounts on the box (not "invalid user"), from any address, since the
 *     previous login of that user.
 *
 * How the pairing holds in any order: failures are folded into spans (count, first, last time)
 * per address and per user. A span ends at a login of its address (or user) and at a segment
 * break: a line whose time is more than SEGMENT_BACK_MS before the latest time seen (the start of
 * an older file pasted after a newer one). At the end each span goes to the login that closed it
 * when that login is not earlier than the span, else to the first login (by time) after the span's
 * last failure. Read in order, this is exactly "since the previous login"; read newest first, the
 * older file's failures still reach the login that followed them.
 *
 * Bounds: one small record per address (as the tally), at most maxUsers per-user records (users
 * beyond are not tracked, counted in usersDropped), at most maxLogins logins kept that had failures
 * before them and maxLogins that had none (the rest counted in loginsDropped; a dropped login still
 * ends the spans before it), root logins grouped by address, at most maxOpen sessions waiting for
 * their logout, at most maxBoundaries login times remembered for the pairing, at most
 * MAX_LOOSE_SPANS spans per address or user ended by a step back rather than a login (beyond,
 * they are merged: a log that keeps stepping back loses precision, not memory).
 */
import type { AuthLoginRecord, AuthPriorFailures, AuthRootLogins } from '../../model/auth.js';
import type { AuthLogEvent } from './events.js';
import { ownString } from './own-string.js';
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
  /** Login times remembered for pairing failures read after them; default 1 000 000. */
  maxBoundaries?: number;
}

/** Methods whose failure means a wrong password (or a PAM conversation). */
const PASSWORD_METHODS = new Set(['password', 'keyboard-interactive', 'keyboard-interactive/pam', 'pam']);


/**
 * A line this much earlier than the latest time seen starts a new segment (an older file pasted
 * after a newer one). Smaller steps back (a journal merging two processes' lines) are not breaks.
 */
export const SEGMENT_BACK_MS = 5 * 60_000;

/** An accepted login as a boundary between spans of failures. */
interface LoginSlot {
  time: string;
  /** Arrival order: breaks ties between logins of the same second. */
  seq: number;
  /** The kept record (null when the login was not kept: it still ends the spans before it). */
  record: AuthLoginRecord | null;
}

/** Failures of one address (or user) read one after the other, with no login of it in between. */
interface Span {
  count: number;
  first: string | null;
  last: string | null;
  segment: number;
  /** The login of the same address (or user) read right after the span. */
  closedBy: LoginSlot | null;
  /** User spans: the addresses the failures came from. */
  addresses: Set<string> | null;
  capped: boolean;
}

/** Spans per key ended by a step back in time rather than a login, before they are merged. */
const MAX_LOOSE_SPANS = 256;

interface KeyState {
  /** Spans ended by a step back (not by a login), and the last of them. */
  loose: number;
  lastLoose: Span | null;
  /** Failures were noted (user states made at a login alone do not count toward maxUsers). */
  failing: boolean;
  open: Span | null;
  spans: Span[];
  logins: LoginSlot[];
}

interface Prior {
  count: number;
  first: string | null;
  last: string | null;
  addresses: Set<string>;
  capped: boolean;
}

const MAX_KEYS = 10;

function newState(): KeyState {
  return { loose: 0, lastLoose: null, failing: false, open: null, spans: [], logins: [] };
}

function timeMs(t: string): number {
  return Date.parse(t);
}

/** The first login (sorted by time, then seq) strictly after `time`; logins without a time are skipped. */
function firstLoginAfter(sorted: LoginSlot[], time: string): LoginSlot | null {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].time <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length ? sorted[lo] : null;
}

/** Where a span's failures go: see the file comment. */
function spanTarget(span: Span, sorted: LoginSlot[]): LoginSlot | null {
  const by = span.closedBy;
  if (by && (span.last === null || by.time === '' || by.time >= span.last || timeMs(span.last) - timeMs(by.time) <= SEGMENT_BACK_MS)) return by;
  if (span.last === null) return null;
  return firstLoginAfter(sorted, span.last);
}

function addSpan(p: Prior, s: Span, maxAddresses: number): void {
  p.count += s.count;
  if (s.first !== null && (p.first === null || s.first < p.first)) p.first = s.first;
  if (s.last !== null && (p.last === null || s.last > p.last)) p.last = s.last;
  if (s.capped) p.capped = true;
  if (s.addresses) {
    for (const a of s.addresses) {
      if (p.addresses.has(a)) continue;
      if (p.addresses.size < maxAddresses) p.addresses.add(a);
      else p.capped = true;
    }
  }
}

/** Each login of a key with the failures of the spans that go to it. */
function pairSpans(st: KeyState, maxAddresses: number): Map<LoginSlot, Prior> {
  const out = new Map<LoginSlot, Prior>();
  const spans = st.open ? [...st.spans, st.open] : st.spans;
  if (spans.length === 0 || st.logins.length === 0) return out;
  const sorted = st.logins.filter((l) => l.time !== '').sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.seq - b.seq));
  for (const s of spans) {
    const target = spanTarget(s, sorted);
    if (!target || target.record === null) continue;
    let p = out.get(target);
    if (!p) {
      p = { count: 0, first: null, last: null, addresses: new Set(), capped: false };
      out.set(target, p);
    }
    addSpan(p, s, maxAddresses);
  }
  return out;
}

function snapshot(p: Prior | undefined): AuthPriorFailures {
  return p ? { count: p.count, first: p.first, last: p.last } : { count: 0, first: null, last: null };
}

export class AcceptedLogins {
  /** Logins not kept because of maxLogins. */
  loginsDropped = 0;
  /** Users whose failures were not tracked because of maxUsers. */
  usersDropped = 0;
  /** Accepted logins seen. */
  accepted = 0;
  /** Times the events stepped back more than SEGMENT_BACK_MS (files or halves read out of order). */
  segmentBreaks = 0;

  private readonly maxLogins: number;
  private readonly maxUsers: number;
  private readonly maxOpen: number;
  private readonly maxAddressesPerUser: number;
  private readonly maxBoundaries: number;
  private readonly byAddress = new Map<string, KeyState>();
  private readonly byUser = new Map<string, KeyState>();
  private readonly kept: AuthLoginRecord[] = [];
  private keptNotable = 0;
  private keptPlain = 0;
  private boundaries = 0;
  private failingUsers = 0;
  private seq = 0;
  private segment = 0;
  private latest: string | null = null;
  private paired = false;
  private readonly root = new Map<string, AuthRootLogins>();
  /** host + pid → the login whose `session closed` is awaited (insertion order = oldest first). */
  private readonly open = new Map<string, AuthLoginRecord>();

  constructor(opts: AcceptedLoginsOptions = {}) {
    this.maxLogins = opts.maxLogins ?? 10_000;
    this.maxUsers = opts.maxUsers ?? 10_000;
    this.maxOpen = opts.maxOpen ?? 4096;
    this.maxAddressesPerUser = opts.maxAddressesPerUser ?? 1000;
    this.maxBoundaries = opts.maxBoundaries ?? 1_000_000;
  }

  add(e: AuthLogEvent): void {
    // Most events are neither a failure nor a login: no failureOf object for them.
    if (e.kind === 'failed' || e.kind === 'pam-failure') {
      const failure = failureOf(e);
      if (failure) {
        this.noteTime(e.time);
        this.noteFailure(e, failure.count, failure.method);
        return;
      }
    }
    const program = e.program.endsWith(')') ? e.program.replace(/\([^)]*\)$/, '') : e.program;
    if (!SSH_SERVER_PROGRAMS.has(program)) return;
    if (e.kind === 'accepted') {
      this.noteTime(e.time);
      this.noteAccepted(e);
    }
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

  /** Kept logins, in log order, each with the failures before it. */
  logins(): AuthLoginRecord[] {
    this.pair();
    return [...this.kept];
  }

  /** root's logins per address, most logins first. */
  rootLogins(): AuthRootLogins[] {
    this.pair();
    return [...this.root.values()]
      .map((r) => ({ ...r, methods: { ...r.methods }, keys: [...r.keys] }))
      .sort((a, b) => b.count - a.count || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  /** A step back in time of more than SEGMENT_BACK_MS starts a new segment. */
  private noteTime(time: string): void {
    if (time === '') return;
    const latest = this.latest;
    if (latest === null || time > latest) {
      this.latest = time;
    } else if (time < latest && timeMs(latest) - timeMs(time) > SEGMENT_BACK_MS) {
      this.segment++;
      this.segmentBreaks++;
      this.latest = time;
    }
  }

  /** The span failures of a key go into now: its open one, or a new one in this segment. */
  private openSpan(st: KeyState, user: boolean): Span {
    const open = st.open;
    if (open && open.segment === this.segment) return open;
    if (open) {
      // A log stepping back again and again (shuffled, or made so): spans ended by no login are
      // merged past MAX_LOOSE_SPANS, so memory stays bounded; only such a log loses precision.
      if (st.loose >= MAX_LOOSE_SPANS && st.lastLoose) {
        mergeSpan(st.lastLoose, open, this.maxAddressesPerUser);
        st.open = null;
      } else {
        st.spans.push(open);
        st.loose++;
        st.lastLoose = open;
      }
    }
    const span: Span = { count: 0, first: null, last: null, segment: this.segment, closedBy: null, addresses: user ? new Set() : null, capped: false };
    st.open = span;
    return span;
  }

  private noteFailure(e: AuthLogEvent, count: number, method: string): void {
    this.paired = false;
    const time = e.time;
    const address = e.ip ?? e.rhost ?? null;
    if (address !== null) {
      let st = this.byAddress.get(address);
      if (!st) {
        st = newState();
        this.byAddress.set(ownString(address), st);
      }
      note(this.openSpan(st, false), count, time);
    }
    if (e.user === null || e.invalidUser || !PASSWORD_METHODS.has(method)) return;
    let u = this.byUser.get(e.user);
    if (!u?.failing) {
      if (this.failingUsers >= this.maxUsers) {
        this.usersDropped++;
        return;
      }
      if (!u) {
        u = newState();
        this.byUser.set(ownString(e.user), u);
      }
      u.failing = true;
      this.failingUsers++;
    }
    const span = this.openSpan(u, true);
    note(span, count, time);
    if (address !== null && !span.addresses!.has(address)) {
      if (span.addresses!.size < this.maxAddressesPerUser) span.addresses!.add(ownString(address));
      else span.capped = true;
    }
  }

  /** Ends the key's open span at this login and remembers the login as a boundary. */
  private closeAt(st: KeyState, slot: LoginSlot): void {
    if (st.open) {
      if (st.open.segment === this.segment) st.open.closedBy = slot;
      st.spans.push(st.open);
      st.open = null;
    }
    if (this.boundaries < this.maxBoundaries) {
      st.logins.push(slot);
      this.boundaries++;
    }
  }

  private noteAccepted(e: AuthLogEvent): void {
    this.paired = false;
    this.accepted++;
    // Kept to the end: copies of their own, not slices of the block the line was read from.
    const address = ownString(e.ip ?? e.rhost ?? null);
    const fromAddress = address !== null ? this.byAddress.get(address) : undefined;
    const forUser = e.user !== null ? this.byUser.get(e.user) : undefined;
    const login: AuthLoginRecord = {
      time: e.time,
      user: ownString(e.user),
      address,
      port: e.port,
      method: ownString(e.method),
      key: ownString(e.key),
      host: ownString(e.host),
      program: ownString(e.program),
      pid: e.pid,
      source: e.source,
      lineNo: e.lineNo,
      logout: null,
      failuresFromAddress: snapshot(undefined),
      failuresForUser: { ...snapshot(undefined), addresses: 0, addressesCapped: false },
    };
    // Notable as read; failures read later (an older file after it) may still be paired with it.
    const notable = (fromAddress?.open?.count ?? 0) > 0 || (forUser?.open?.count ?? 0) > 0;
    let record: AuthLoginRecord | null = null;
    if (notable ? this.keptNotable < this.maxLogins : this.keptPlain < this.maxLogins) {
      this.kept.push(login);
      record = login;
      if (notable) this.keptNotable++;
      else this.keptPlain++;
    } else {
      this.loginsDropped++;
    }
    const slot: LoginSlot = { time: e.time, seq: this.seq++, record };
    if (address !== null && (fromAddress || this.boundaries < this.maxBoundaries)) {
      let st = fromAddress;
      if (!st) {
        st = newState();
        this.byAddress.set(address, st);
      }
      this.closeAt(st, slot);
    }
    if (forUser) this.closeAt(forUser, slot);
    else if (login.user !== null && this.boundaries < this.maxBoundaries) {
      const st = newState();
      this.byUser.set(login.user, st);
      this.closeAt(st, slot);
    }

    if (e.pid !== null) {
      const key = ownString(`${e.host ?? ''}\u0000${e.pid}`);
      this.open.delete(key);
      if (this.open.size >= this.maxOpen) this.open.delete(this.open.keys().next().value as string);
      this.open.set(key, login);
    }

    if (e.user === 'root' && address !== null) {
      const r = this.root.get(address);
      const method = e.method ?? 'unknown';
      if (!r) {
        this.root.set(address, { address, count: 1, methods: { [method]: 1 }, keys: login.key ? [login.key] : [], first: login, last: login });
      } else {
        r.count++;
        r.methods[method] = (r.methods[method] ?? 0) + 1;
        if (login.key && !r.keys.includes(login.key) && r.keys.length < MAX_KEYS) r.keys.push(login.key);
        if (login.time >= r.last.time) r.last = login;
        if (login.time !== '' && (r.first.time === '' || login.time < r.first.time)) r.first = login;
      }
    }
  }

  /** Fills each kept login's failures before it from the spans (see the file comment). */
  private pair(): void {
    if (this.paired) return;
    this.paired = true;
    for (const st of this.byAddress.values()) {
      for (const [slot, p] of pairSpans(st, this.maxAddressesPerUser)) slot.record!.failuresFromAddress = snapshot(p);
    }
    for (const st of this.byUser.values()) {
      for (const [slot, p] of pairSpans(st, this.maxAddressesPerUser)) {
        slot.record!.failuresForUser = { ...snapshot(p), addresses: p.addresses.size, addressesCapped: p.capped };
      }
    }
  }
}

function mergeSpan(into: Span, s: Span, maxAddresses: number): void {
  into.count += s.count;
  if (s.first !== null && (into.first === null || s.first < into.first)) into.first = s.first;
  if (s.last !== null && (into.last === null || s.last > into.last)) into.last = s.last;
  if (s.capped) into.capped = true;
  if (into.addresses && s.addresses) {
    for (const a of s.addresses) {
      if (into.addresses.size < maxAddresses) into.addresses.add(a);
      else if (!into.addresses.has(a)) into.capped = true;
    }
  }
}

function note(p: Span, count: number, time: string): void {
  p.count += count;
  if (time !== '') {
    if (p.first === null || time < p.first) p.first = time;
    if (p.last === null || time > p.last) p.last = time;
  }
}
