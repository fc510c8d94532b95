/** Minified and gzipped bytes of one bundle. */
export type BundleSize = { minified: number; gzip: number };
/** Sizes of the fixture apps, and what the job client adds over plain socket.io-client. */
export type BundleSizes = { typical: BundleSize; plain: BundleSize; isTerminal: BundleSize; clientOverPlain: BundleSize };
/** The budgets, in bytes of gzip. */
export declare const BUDGETS: { clientOverPlain: number; isTerminal: number };
/** Bundles and measures the fixture apps. */
export declare function measureBundles(): Promise<BundleSizes>;
/** The sentence of the client README that states the measured sizes. */
export declare function clientReadmeStatement(sizes: BundleSizes): string;
/** The sentence of the protocol README that states the size of `isTerminal` alone. */
export declare function protocolReadmeStatement(sizes: BundleSizes): string;
