/** Replaced at build time with package.json's version. */
declare const __LIGHTER_VERSION__: string;
