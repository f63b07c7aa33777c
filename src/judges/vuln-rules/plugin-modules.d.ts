// Type stubs for the maintained ESLint security plugins, which ship no declarations. Only the
// plugin object shape the oracle needs; not a description of their rule options.
declare module 'eslint-plugin-security' {
  import type { ESLint } from 'eslint';
  const plugin: ESLint.Plugin;
  export default plugin;
}
declare module '@microsoft/eslint-plugin-sdl' {
  import type { ESLint } from 'eslint';
  const plugin: ESLint.Plugin;
  export default plugin;
}
declare module 'eslint-plugin-no-unsanitized' {
  import type { ESLint } from 'eslint';
  const plugin: ESLint.Plugin;
  export default plugin;
}
