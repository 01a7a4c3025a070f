// The only globals that code in core/ may use beyond the ECMAScript library: the part of
// the web platform that Node 20 and workerd both provide. core/tsconfig.json loads neither
// runtime's types, so anything else (Buffer, process, node:*, KVNamespace, Request ...)
// fails the type check. Add a declaration here only for an API both runtimes implement.

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}

declare class URL {
  constructor(url: string, base?: string);
  readonly protocol: string;
  readonly host: string;
  readonly hostname: string;
  readonly port: string;
  readonly origin: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  readonly username: string;
  readonly password: string;
  readonly href: string;
}

declare const crypto: {
  readonly subtle: {
    digest(algorithm: 'SHA-256' | 'SHA-1' | 'SHA-384' | 'SHA-512', data: ArrayBufferView | ArrayBuffer): Promise<ArrayBuffer>;
  };
  getRandomValues<T extends ArrayBufferView>(array: T): T;
};

// WebAssembly (Module, Instance, Memory) is declared in webassembly.d.ts beside this file,
// which the trainer's Node program shares (Node's types do not declare it).
