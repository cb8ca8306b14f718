/**
 * Turns a Kubernetes 403 Status into KubernetesForbiddenError whose message names the Role rule and the RoleBinding
 * to add, parsed from the sentence the API server writes (apiserver `responsewriters.Forbidden`), with the older
 * wording (libcluster#54) and `details` as fallbacks, and the raw message when nothing parses.
 */
import { KubernetesForbiddenError } from '../errors.ts'
import type { ForbiddenRule } from '../errors.ts'

const CURRENT =
  /User "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)" (?:in the namespace "([^"]+)"|at the cluster scope)/
const OLDER = /User "([^"]*)" cannot (\S+) (\S+) in the namespace "([^"]+)"/

/** What the request asked for, used where the Status is silent. */
export interface RequestedAccess {
  verb: string
  resource: string
  group: string
  namespace: string | undefined
}

export function forbiddenError(status: unknown, requested: RequestedAccess): KubernetesForbiddenError {
  const s = (typeof status === 'object' && status !== null ? status : {}) as {
    message?: unknown
    details?: { group?: unknown; kind?: unknown }
  }
  const message = typeof s.message === 'string' ? s.message : ''
  const rule: ForbiddenRule = { user: undefined, ...requested }
  const current = CURRENT.exec(message)
  const older = current === null ? OLDER.exec(message) : null
  if (current !== null) {
    rule.user = current[1]
    rule.verb = current[2] as string
    rule.resource = current[3] as string
    rule.group = current[4] as string
    rule.namespace = current[5]
  } else if (older !== null) {
    rule.user = older[1]
    rule.verb = older[2] as string
    rule.resource = older[3] as string
    rule.namespace = older[4]
  } else {
    if (typeof s.details?.kind === 'string') rule.resource = s.details.kind
    if (typeof s.details?.group === 'string') rule.group = s.details.group
  }
  return new KubernetesForbiddenError(formatMessage(rule, message), rule, status)
}

function formatMessage(rule: ForbiddenRule, serverMessage: string): string {
  const qualified = rule.group === '' ? rule.resource : `${rule.resource}.${rule.group}`
  const where = rule.namespace === undefined ? 'at the cluster scope' : `in namespace "${rule.namespace}"`
  const account = /^system:serviceaccount:([^:]+):(.+)$/.exec(rule.user ?? '')
  const saNamespace = account?.[1] ?? rule.namespace ?? '<namespace>'
  const saName = account?.[2] ?? '<service-account>'
  const ns = rule.namespace ?? saNamespace
  const kind = rule.namespace === undefined ? 'ClusterRole' : 'Role'
  const binding = rule.namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding'
  const nsLine = rule.namespace === undefined ? '' : `\n  namespace: ${ns}`
  return (
    `kubernetes API denied "${rule.verb}" on ${qualified} ${where} to ${rule.user ?? 'this pod'} ` +
    `(403: ${serverMessage || 'no message'}); ` +
    `add this rule to a ${kind} (apiGroups: ["${rule.group}"], resources: ["${rule.resource}"], ` +
    `verbs: ["get", "list", "watch"]) and bind it to the ServiceAccount with a ${binding}:\n` +
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: cohort-discovery${nsLine}\n` +
    `rules:\n- apiGroups: ["${rule.group}"]\n  resources: ["${rule.resource}"]\n  verbs: ["get", "list", "watch"]\n` +
    `---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ${binding}\nmetadata:\n  name: cohort-discovery${nsLine}\n` +
    `subjects:\n- kind: ServiceAccount\n  name: ${saName}\n  namespace: ${saNamespace}\n` +
    `roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ${kind}\n  name: cohort-discovery`
  )
}
