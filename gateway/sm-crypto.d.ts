// The parts of sm-crypto (SM2/SM3, pure JavaScript, MIT) and of jsbn, its big
// integers, that gateway/sm.ts uses; neither package ships declarations.
declare module 'jsbn' {
  export class BigInteger {
    constructor(text: string, radix: number);
    toString(radix: number): string;
  }
}

declare module 'sm-crypto' {
  import type { BigInteger } from 'jsbn';
  /** A precomputed signing nonce: k and the x coordinate of k·G. */
  interface Point {
    readonly k: BigInteger;
    readonly x1: BigInteger;
  }
  interface SignOptions {
    readonly pointPool?: Point[];
    readonly der?: boolean;
    readonly hash?: boolean;
    readonly publicKey?: string;
    readonly userId?: string;
  }
  interface Sm2 {
    doSignature(message: string | number[], privateKeyHex: string, options?: SignOptions): string;
    doVerifySignature(message: string | number[], signatureHex: string, publicKeyHex: string, options?: Omit<SignOptions, 'pointPool' | 'publicKey'>): boolean;
    getPublicKeyFromPrivateKey(privateKeyHex: string): string;
    verifyPublicKey(publicKeyHex: string): boolean;
  }
  const smCrypto: { readonly sm2: Sm2; readonly sm3: (input: string | number[]) => string };
  export default smCrypto;
}
