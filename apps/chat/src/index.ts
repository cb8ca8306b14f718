/**
 * @cohort/chat — a multi-node chat service on Cohort. `runChatNode` is the composition root main.ts runs; the rest is
 * exported for tests, the benchmark and anyone embedding the chat in a node of their own.
 */
export { runChatNode } from './run-chat-node.ts'
export { loadChatConfig, CHAT_CONFIG_VARIABLES, DEFAULT_CHAT_CONFIG } from './chat-config.ts'
export { parseClientFrame, checkRoomName, checkUserName, CHAT_LIMITS } from './chat-protocol.ts'
export { RoomHistory } from './room-history.ts'
export { CHAT_NAMES, roomActorName } from './chat-services.ts'
export { CHAT_CLOSE_CODES } from './session.ts'
export { signAccessToken, verifyAccessToken, CLOCK_SKEW_S, MIN_SECRET_BYTES } from './access-token.ts'
export { tokenAuthenticator, requestToken } from './authenticate.ts'
export { roomAllowed } from './room-access.ts'
export { ChatPostError, postMessage } from './say-message.ts'
export { MAX_POST_BYTES } from './message-route.ts'
export { disconnectUser, MAX_CLOSE_REASON_BYTES } from './disconnect-user.ts'

export type { ChatProcess, RunningChatNode } from './run-chat-node.ts'
export type { ChatConfig } from './chat-config.ts'
export type { Authentication, ChatAuthenticator } from './authenticate.ts'
export type { TokenCheck } from './access-token.ts'
export type { PostedMessage } from './say-message.ts'
export type { DisconnectUserOptions } from './disconnect-user.ts'
export type { ChatMessage, ChatErrorCode, ClientFrame, MessageRef } from './chat-protocol.ts'
