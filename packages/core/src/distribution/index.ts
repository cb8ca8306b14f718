/**
 * @cohort/core/distribution — what a distribution needs of core and an application does not: attaching to a system
 * (`attachDistribution`, which returns the one inbound path), the control messages both nodes speak, the codec's
 * Buffer extension, and node-name interning for decoded pids. `@cohort/transport` and the in-memory network of
 * `@cohort/core/testing` are built on it; applications use `@cohort/core`.
 */
export { attachDistribution, inboundCounts } from '../system/actor-system.ts'
export { CONTROL_MESSAGE_TYPES } from './control-message.ts'
export { registerBufferExtension } from '../buffer-extension.ts'
export { internNodeName } from '../node-name.ts'
export { describeValue } from '../errors.ts'

export type { InboundCounts } from '../system/remote-delivery.ts'
export type { Distribution, DistributionEndpoint, DistributionSendResult, NodeDownReason } from './distribution.ts'
export type {
  ControlMessage,
  SendControl,
  SendToNameControl,
  LinkControl,
  UnlinkControl,
  ExitControl,
  MonitorControl,
  DemonitorControl,
  DownControl,
  CallControl,
  ReplyControl,
  SpawnRequestControl,
  SpawnReplyControl,
} from './control-message.ts'
