/**
 * Layout and dependency direction (docs/architecture.md). `npm run lint` and CI enforce these.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'shared-is-a-leaf',
      comment: 'shared/ is used by client and server and imports neither',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(client|server|bench|test)/' },
    },
    {
      name: 'client-never-imports-server',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(server|bench|test)/' },
    },
    {
      name: 'server-uses-client-through-index',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^client/', pathNot: '^client/index\\.ts$' },
    },
    {
      name: 'sqlite-only-in-server-db',
      severity: 'error',
      from: { pathNot: '^server/db/' },
      to: { path: 'node_modules/better-sqlite3/' },
    },
    {
      name: 'libsodium-only-in-crypto-facade',
      severity: 'error',
      from: { pathNot: '^shared/crypto\\.ts$' },
      to: { path: 'node_modules/libsodium-wrappers' },
    },
    {
      name: 'jose-only-in-auth',
      severity: 'error',
      from: { pathNot: '^shared/auth/' },
      to: { path: 'node_modules/jose/' },
    },
    {
      name: 'grpc-only-in-rpc-layers',
      comment: 'the rpc adapter, the server rpc layer and the client transport',
      severity: 'error',
      from: { pathNot: '^(shared/rpc/|server/rpc/|client/transport\\.ts$|test/|bench/)' },
      to: { path: 'node_modules/@grpc/' },
    },
    {
      name: 'generated-code-is-leaf',
      severity: 'error',
      from: { path: '^shared/gen/' },
      to: { pathNot: '^(shared/gen/|node_modules/@bufbuild/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: '^dist/' },
  },
};
