// Types for scripts/phone-regexp-patch.mjs (imported by test/build-phone-patch.test.ts).
export declare const PHONE_PATCH_MARKER: string;
export declare const MATCHES_ENTIRELY_FILTER: RegExp;
export declare function codeOf(source: string): string;
export declare function patchMatchesEntirely(source: string, path: string): string;
