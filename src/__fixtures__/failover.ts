/**
 * The manifest the failover unit tests share: green (1.x) in production, blue (2.0) its staging and its
 * `failover` backup, both serving, with Stream Managers on unreachable loopback ports.
 * @internal
 */
import type { Manifest } from '../types'

/** See the module comment. @internal */
export const failoverManifest: Manifest = {
  manifestVersion: 1,
  revision: 3,
  issuedAt: '2026-11-26T10:00:00Z',
  ttl: 15,
  roles: { production: 'green', staging: 'blue', failover: 'blue' },
  environments: {
    green: { streamManager: 'http://127.0.0.1:1', api: 'sm1', app: 'live', state: 'serving' },
    blue: { streamManager: 'http://127.0.0.1:2', api: 'sm2', app: 'live', state: 'serving' },
  },
} as unknown as Manifest
