// The documentation site. Built by `make docs-build` (and the docs test in
// `make test`), served by `make docs`. Dead links fail the build (VitePress's
// default; never set ignoreDeadLinks). Reference pages are generated first by
// docs/scripts/gen.ts.
import { defineConfig } from 'vitepress';

export default defineConfig({
  title: 'DVPN',
  description: 'A decentralized VPN marketplace on Solana: program, SDK, indexer API, node daemon',
  lang: 'en-US',
  cleanUrls: false,
  lastUpdated: false,
  // package.json and node_modules of this workspace, and the generator, are not pages.
  srcExclude: ['scripts/**', 'node_modules/**', 'test/**'],
  themeConfig: {
    search: { provider: 'local' },
    nav: [
      { text: 'Quickstart', link: '/guide/quickstart' },
      { text: 'Concepts', link: '/concepts/sessions' },
      { text: 'Reference', link: '/reference/program' },
      { text: 'Operators', link: '/operators/indexer-api' },
      { text: 'Mainnet runbook', link: '/runbook/mainnet' },
    ],
    sidebar: [
      { text: 'Start', items: [{ text: 'Overview', link: '/' }, { text: 'Quickstart', link: '/guide/quickstart' }] },
      {
        text: 'Concepts',
        items: [
          { text: 'Sessions', link: '/concepts/sessions' },
          { text: 'Payments and claims', link: '/concepts/payments' },
          { text: 'Disputes, staking, reputation', link: '/concepts/disputes-staking' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'Program (from the IDL)', link: '/reference/program' },
          { text: 'Program rules', link: '/PROGRAM' },
          { text: 'GraphQL (from the schema)', link: '/reference/graphql' },
          { text: 'GraphQL API guide', link: '/API' },
          { text: 'REST and OpenAPI', link: '/reference/rest' },
          { text: 'SDK', link: '/reference/sdk' },
          { text: 'SDK API surface', link: '/SDK-API' },
        ],
      },
      {
        text: 'Operators',
        items: [
          { text: 'Indexer and API', link: '/operators/indexer-api' },
          { text: 'Node daemon', link: '/operators/daemon' },
          { text: 'Monitoring and alerts', link: '/operators/monitoring' },
          { text: 'Building the program', link: '/BUILD' },
        ],
      },
      {
        text: 'Security and deployment',
        items: [
          { text: 'Security model', link: '/security' },
          { text: 'Mainnet runbook', link: '/runbook/mainnet' },
        ],
      },
    ],
    outline: { level: [2, 3] },
  },
});
