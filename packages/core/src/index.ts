/**
 * @cohort/core — actors, links, monitors, supervision trees, process groups and cluster-wide names. No I/O: other
 * nodes are reached through the Distribution interface, which @cohort/transport implements; what only a distribution
 * needs is on the separate entry point `@cohort/core/distribution`.
 */
export { createActorSystem } from './system/actor-system.ts'
export { DEFAULT_ACTOR_SYSTEM_OPTIONS, resolveActorSystemOptions } from './system/system-options.ts'
export { Pid, isPid } from './pid.ts'
export { Ref } from './ref.ts'
export { Down, Exit } from './signals.ts'
export { isNormalExit, isShutdownExit, isExpectedExit } from './exit-reason.ts'
export {
  CohortError,
  InvalidOptionError,
  CallTimeoutError,
  NoProcError,
  NoConnectionError,
  CalleeExitedError,
  CallingSelfError,
  StartFailedError,
  isCohortError,
} from './errors.ts'
export { systemClock } from './clock.ts'
export { systemRandom, seededRandom } from './random.ts'
export {
  createMessageCodec,
  assertSerializable,
  NotSerializableError,
  MalformedMessageError,
} from './codec.ts'
export { isNodeName, parseNodeName, isNodeBasename, nodeName } from './node-name.ts'
export { RECEIVE_TIMEOUT } from './actor/process-function.ts'
export { isCallRequest, isCastRequest } from './actor/server-behaviour.ts'
export { supervisor } from './supervision/supervisor.ts'
export { restartDelayMs, DEFAULT_RESTART_BACKOFF } from './supervision/restart-backoff.ts'
export {
  dynamicSupervisor,
  startChild,
  terminateChild,
  whichChildren,
  countChildren,
  resetBackoff,
} from './supervision/dynamic-supervisor.ts'

export type { ActorSystem, ProcessInfo, SystemStats, NodeEvent, RestartEvent } from './system/actor-system.ts'
export type { ActorSystemOptions, ResolvedActorSystemOptions } from './system/system-options.ts'
export type { Ctx, Address, From, SpawnOptions } from './actor/ctx.ts'
export type { Behaviour } from './actor/behaviour.ts'
export type {
  ServerBehaviour,
  CallResult,
  HandlerResult,
  CallRequest,
  CastRequest,
} from './actor/server-behaviour.ts'
export type { ProcessFunction, ProcessCtx } from './actor/process-function.ts'
export type { MonitorTarget } from './signals.ts'
export type { ExitReason } from './exit-reason.ts'
export type { CohortErrorCode } from './errors.ts'
export type { Clock, TimerHandle } from './clock.ts'
export type { Random } from './random.ts'
export type { AttachedEncoding, MessageCodec } from './codec.ts'
export type { TraceRecord, TraceObserver } from './trace.ts'
export type { NodeName } from './node-name.ts'
export type {
  SupervisorOptions,
  ChildSpec,
  RestartType,
  ShutdownSpec,
  SupervisorStrategy,
  Intensity,
} from './supervision/child-spec.ts'
export type { ChildInfo, DynamicSupervisorOptions } from './supervision/dynamic-supervisor.ts'
export type { RestartBackoff, RestartBackoffEvent } from './supervision/restart-backoff.ts'

// ---- cluster services: process groups, global names, singletons, pub-sub (packages/core/src/cluster) ----------
export { startGroups, groupsOf, scopeActorName, DEFAULT_GROUPS_OPTIONS, DEFAULT_SYNCED_OPTIONS } from './cluster/groups.ts'
export { isGroupEvent } from './cluster/group-table.ts'
export {
  startGlobal,
  globalOf,
  DEFAULT_GLOBAL_OPTIONS,
  GLOBAL_ACTOR_NAME,
  NAME_CONFLICT_EXIT,
} from './cluster/global-registry.ts'
export { NameTakenError, keepOldest } from './cluster/name-conflict.ts'
export { startSingleton, singletonManagerName, DEFAULT_SINGLETON_OPTIONS } from './cluster/singleton.ts'
export { startPubSub, DEFAULT_PUB_SUB_OPTIONS } from './cluster/pub-sub.ts'
export {
  startReplicatedMap,
  replicatedMapActorName,
  DEFAULT_REPLICATED_MAP_OPTIONS,
  DEFAULT_MAP_SYNCED_OPTIONS,
  MAX_MAP_TTL_MS,
} from './cluster/replicated-map/replicated-map.ts'
export { startPresence, presenceActorName, DEFAULT_PRESENCE_OPTIONS, MAX_PRESENCE_META_BYTES } from './cluster/presence/presence.ts'

export type { Groups, GroupsOptions, SendOptions, SyncedOptions } from './cluster/groups.ts'
export type { GroupEvent, GroupListener, GroupSnapshot } from './cluster/group-table.ts'
export type { GlobalRegistry, GlobalOptions, NameLoserNotifier } from './cluster/global-registry.ts'
export type { GlobalRegistration, NameConflictResolver } from './cluster/name-conflict.ts'
export type { Singleton, SingletonOptions, SingletonRegistry } from './cluster/singleton.ts'
export type { PubSub, PubSubOptions } from './cluster/pub-sub.ts'
export type {
  ReplicatedMap,
  ReplicatedMapOptions,
  ReplicatedMapStats,
  MapReplicatedToOptions,
  MapSyncedOptions,
  MapSetOptions,
  MapSubscribeOptions,
  MapScanOptions,
  MapScanResult,
  MapChange,
  MapListener,
} from './cluster/replicated-map/replicated-map.ts'
export type { Presence, PresenceOptions, PresenceEntry, PresenceDiff, PresenceListener } from './cluster/presence/presence.ts'
// ---- end of cluster services ------------------------------------------------------------------------------------
