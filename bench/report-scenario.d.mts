/** Types for report-scenario.mjs (the tests import it). */
export declare const SCENARIO: {
  hostname: string;
  intruder: { address: string; user: string; failures: number };
  scanners: Array<{ address: string; failures: number }>;
  admin: { address: string; user: string };
  hostileUser: string;
  hostileAddress: string;
};

export declare function writeBruteForceRoot(
  root: string,
  opts?: { now?: number; hostile?: boolean },
): { loginMs: number; logoutMs: number; attackStart: number; authLines: number };
