declare module 'libyara-wasm' {
  interface Vector<T> {
    size(): number;
    get(i: number): T;
  }
  export interface YaraCompileError {
    warning: boolean;
    lineNumber: number;
    message: string;
  }
  export interface YaraRuleMatch {
    ruleName: string;
    metadata: Vector<{ identifier: string; data: string }>;
    resolvedMatches: Vector<{ location: number; matchLength: number; identifier: string; data: string }>;
  }
  export interface YaraResult {
    compileErrors: Vector<YaraCompileError>;
    matchedRules: Vector<YaraRuleMatch>;
  }
  export interface YaraModule {
    run(data: Uint8Array, rules: string): YaraResult;
    /** The module's WebAssembly memory, as bytes. */
    HEAP8: Int8Array;
  }
  const factory: () => Promise<YaraModule>;
  export default factory;
}
