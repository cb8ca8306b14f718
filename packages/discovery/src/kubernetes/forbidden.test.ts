import { describe, expect, it } from 'vitest'
import { fixture } from '../../test-support/fixtures.ts'
import { forbiddenError } from './forbidden.ts'

const asked = { verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io', namespace: 'demo' }

describe('forbiddenError', () => {
  it('parses the real 403 Status and prints the Role rule and RoleBinding to add', () => {
    const err = forbiddenError(fixture('forbidden-403.json'), asked)
    expect(err.code).toBe('COHORT_ERR_KUBERNETES_FORBIDDEN')
    expect(err.rule).toEqual({
      user: 'system:serviceaccount:demo:cohort',
      verb: 'list',
      resource: 'endpointslices',
      group: 'discovery.k8s.io',
      namespace: 'demo',
    })
    expect(err.message).toMatch(/^kubernetes API denied "list" on endpointslices\.discovery\.k8s\.io in namespace "demo"/)
    expect(err.message).toContain('rules:\n- apiGroups: ["discovery.k8s.io"]\n  resources: ["endpointslices"]\n  verbs: ["get", "list", "watch"]')
    expect(err.message).toContain('kind: RoleBinding')
    expect(err.message).toContain('subjects:\n- kind: ServiceAccount\n  name: cohort\n  namespace: demo')
    expect(err.message).toContain('roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: cohort-discovery')
  })

  it('parses the older wording and prints the core group as ""', () => {
    const err = forbiddenError(
      { kind: 'Status', code: 403, message: 'endpoints is forbidden: User "system:serviceaccount:staging:default" cannot list endpoints in the namespace "staging"' },
      { verb: 'list', resource: 'endpoints', group: '', namespace: 'staging' },
    )
    expect(err.rule).toMatchObject({ user: 'system:serviceaccount:staging:default', resource: 'endpoints', group: '', namespace: 'staging' })
    expect(err.message).toContain('apiGroups: [""]')
    expect(err.message).toContain('name: default\n  namespace: staging')
  })

  it('uses a ClusterRole and ClusterRoleBinding at the cluster scope', () => {
    const err = forbiddenError(
      { message: 'endpointslices.discovery.k8s.io is forbidden: User "u" cannot watch resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope' },
      asked,
    )
    expect(err.rule.namespace).toBeUndefined()
    expect(err.message).toContain('kind: ClusterRoleBinding')
  })

  it('falls back to details and to what was asked when the message does not parse', () => {
    const err = forbiddenError({ message: 'nope', details: { group: 'discovery.k8s.io', kind: 'endpointslices' } }, { ...asked, verb: 'watch' })
    expect(err.rule).toMatchObject({ user: undefined, verb: 'watch', resource: 'endpointslices', namespace: 'demo' })
    expect(err.message).toContain('(403: nope)')
  })
})
