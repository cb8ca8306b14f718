/**
 * @cohort/discovery — who is in the cluster: strategies that find peers (static, local ports, DNS A/SRV, Kubernetes
 * EndpointSlices), joinCluster that keeps a node connected to them, and the Kubernetes integration (probe server,
 * graceful shutdown, configuration from env and mounted files). Sits above @cohort/transport, whose node it drives
 * through the structural ClusterNode interface.
 */
export { joinCluster, DEFAULT_JOIN_CLUSTER_OPTIONS } from './join-cluster.ts'
export { staticPeers } from './strategies/static-peers.ts'
export { localPorts, DEFAULT_LOCAL_PORTS_OPTIONS } from './strategies/local-ports.ts'
export { dnsA, DEFAULT_DNS_A_OPTIONS } from './strategies/dns-a.ts'
export { dnsSrv, DEFAULT_DNS_SRV_OPTIONS } from './strategies/dns-srv.ts'
export { kubernetes, DEFAULT_KUBERNETES_OPTIONS } from './strategies/kubernetes.ts'
export { nodeHttpsClient } from './kubernetes/http-client.ts'
export { kubernetesNodeName, dashedAddress } from './kubernetes/pod-node-name.ts'
export { localNodeName, peerUrl, joinHostPort } from './peer-address.ts'
export { nodeName } from '@cohort/core'
export { backoffDelay } from './backoff.ts'
export { startProbeServer, DEFAULT_PROBE_SERVER_OPTIONS } from './probe-server.ts'
export { probeRequestHandler, PROBE_PATHS } from './probe-handler.ts'
export { NOT_JOINED_REASON, CUT_OFF_REASON } from './not-ready-reasons.ts'
export { limitConnections, DEFAULT_CONNECTION_LIMIT_OPTIONS } from './connection-limit.ts'
export { readRequestBody } from './request-body.ts'
export { createMetricsRegistry, DEFAULT_METRICS_OPTIONS } from './metrics.ts'
export { installGracefulShutdown, DEFAULT_GRACEFUL_SHUTDOWN_OPTIONS } from './graceful-shutdown.ts'
export { logDestination, tolerateClosedReader } from './process-output.ts'
export { loadConfig, nodeOptionsFromConfig, readConfigVariables, CONFIG_VARIABLES, DEFAULT_CONFIG } from './config.ts'
export { strategyFromConfig } from './strategy-from-config.ts'
export { clusterObserver, observerChild, OBSERVER_NAME, DEFAULT_CLUSTER_OBSERVER_OPTIONS } from './observer/cluster-observer.ts'
export { observerRequestHandler, DEFAULT_OBSERVER_HTTP_OPTIONS } from './observer/observer-http.ts'
export { OBSERVER_PAGE, OBSERVER_REFRESH_MS } from './observer/observer-page.ts'
export { DiscoveryUnavailableError, KubernetesForbiddenError, InvalidConfigError, ProbePortInUseError, RequestTooLargeError } from './errors.ts'

export type { ClusterNode, Peer } from './cluster-node.ts'
export type { Strategy, StrategyContext, StrategyRun, PeerSet } from './strategy.ts'
export type {
  Cluster,
  ClusterEvents,
  ClusterMember,
  ClusterStats,
  JoinClusterOptions,
  PeersChange,
} from './join-cluster.ts'
export type { LocalPortsOptions } from './strategies/local-ports.ts'
export type { DnsAOptions } from './strategies/dns-a.ts'
export type { DnsPollingOptions } from './strategies/dns-polling.ts'
export type { DnsSrvOptions } from './strategies/dns-srv.ts'
export type { DnsResolver } from './strategies/dns-resolver.ts'
export type { KubernetesOptions } from './strategies/kubernetes.ts'
export type { KubernetesHttpClient, KubernetesHttpRequest, KubernetesHttpResponse } from './kubernetes/http-client.ts'
export type { NameMode, PodNameInput } from './kubernetes/pod-node-name.ts'
export type { PeerScheme } from './peer-address.ts'
export type { BackoffOptions } from './backoff.ts'
export type { ProbeServer, ProbeServerOptions } from './probe-server.ts'
export type { ProbeHandler, ProbeHandlerOptions } from './probe-handler.ts'
export type { ConnectionLimit, ConnectionLimitOptions } from './connection-limit.ts'
export type {
  MetricsSources,
  PeerTraffic,
  TransportStatsSource,
  ProcessSource,
  RestartSource,
  DiscoveryStatsSource,
} from './metrics.ts'
export type {
  GracefulShutdown,
  GracefulShutdownOptions,
  SignalSource,
  ShutdownPhase,
} from './graceful-shutdown.ts'
export type { CohortConfig, ConfiguredNodeOptions, DiscoveryConfig, LoadConfigOptions, LogLevel } from './config.ts'
export type { StrategyFromConfigOptions } from './strategy-from-config.ts'
export type { ForbiddenRule, DiscoveryErrorCode } from './errors.ts'
export type { ClusterObserverOptions, ObserverRequest, TrafficSource } from './observer/cluster-observer.ts'
export type { ObserverHttpOptions } from './observer/observer-http.ts'
export type {
  ClusterReport,
  DownNode,
  MailboxEntry,
  NodeReport,
  ObserverEvent,
  PeerReport,
  SilentNode,
  TreeEntry,
} from './observer/observer-report.ts'
