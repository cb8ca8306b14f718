import { describe, expect, it } from 'vitest'
import { DEFAULT_CHAT_CONFIG, loadChatConfig } from './chat-config.ts'

const load = (env: Record<string, string>) => loadChatConfig({ env: { COHORT_COOKIE: 'a-long-enough-test-cookie', ...env } })

describe('loadChatConfig', () => {
  it('applies the defaults of the chat variables', async () => {
    const { chat, http } = await load({})
    expect(http).toEqual({ host: DEFAULT_CHAT_CONFIG.httpHost, port: DEFAULT_CHAT_CONFIG.httpPort })
    expect(chat).toEqual({
      historySyncMs: DEFAULT_CHAT_CONFIG.historySyncMs,
      maxBufferedBytes: DEFAULT_CHAT_CONFIG.maxBufferedBytes,
      maxRooms: DEFAULT_CHAT_CONFIG.maxRooms,
      maxConnections: DEFAULT_CHAT_CONFIG.maxConnections,
      maxMessagesPerSecond: DEFAULT_CHAT_CONFIG.maxMessagesPerSecond,
      messageBurst: 2 * DEFAULT_CHAT_CONFIG.maxMessagesPerSecond,
      maxRoomsPerConnection: DEFAULT_CHAT_CONFIG.maxRoomsPerConnection,
      publicUrl: undefined,
      authSecret: undefined,
    })
  })

  it('reads the chat variables', async () => {
    const { chat } = await load({ CHAT_MAX_CONNECTIONS: '500', CHAT_MAX_ROOMS: '7', CHAT_MAX_ROOMS_PER_CONNECTION: '3', CHAT_PUBLIC_URL: 'https://chat.example/' })
    expect(chat).toMatchObject({ maxConnections: 500, maxRooms: 7, maxRoomsPerConnection: 3, publicUrl: 'https://chat.example' })
  })

  it('sets the burst to twice the message rate unless given, and turns the limit off with 0', async () => {
    expect((await load({ CHAT_MAX_MESSAGES_PER_SECOND: '50' })).chat).toMatchObject({ maxMessagesPerSecond: 50, messageBurst: 100 })
    expect((await load({ CHAT_MAX_MESSAGES_PER_SECOND: '50', CHAT_MESSAGE_BURST: '5' })).chat).toMatchObject({ maxMessagesPerSecond: 50, messageBurst: 5 })
    expect((await load({ CHAT_MAX_MESSAGES_PER_SECOND: '0' })).chat).toMatchObject({ maxMessagesPerSecond: 0, messageBurst: 1 })
    await expect(load({ CHAT_MESSAGE_BURST: '0' })).rejects.toThrow(/invalid CHAT_MESSAGE_BURST: expected an integer in 1\.\./)
  })

  it('reads any of its variables from the file its X_FILE twin names, and refuses both at once', async () => {
    const files: Record<string, string> = { '/etc/chat/max-rooms': '7\n', '/etc/chat/port': ' 9090 ' }
    const readFile = async (path: string): Promise<string> => files[path] ?? Promise.reject(new Error(`ENOENT: ${path}`))
    const env = { COHORT_COOKIE: 'a-long-enough-test-cookie', CHAT_MAX_ROOMS_FILE: '/etc/chat/max-rooms', HTTP_PORT_FILE: '/etc/chat/port' }
    const config = await loadChatConfig({ env, readFile })
    expect([config.chat.maxRooms, config.http.port]).toEqual([7, 9090])
    await expect(loadChatConfig({ env: { ...env, CHAT_MAX_ROOMS: '8' }, readFile })).rejects.toThrow('invalid CHAT_MAX_ROOMS_FILE: set either CHAT_MAX_ROOMS or CHAT_MAX_ROOMS_FILE, not both')
    await expect(loadChatConfig({ env: { ...env, CHAT_MAX_ROOMS_FILE: '/nope' }, readFile })).rejects.toThrow('invalid CHAT_MAX_ROOMS_FILE: cannot read "/nope"')
  })

  it('refuses a malformed value, naming the variable', async () => {
    await expect(load({ CHAT_MAX_CONNECTIONS: '0' })).rejects.toThrow(/invalid CHAT_MAX_CONNECTIONS: expected an integer in 1\.\./)
    await expect(load({ CHAT_MAX_CONNECTIONS: 'lots' })).rejects.toThrow(/invalid CHAT_MAX_CONNECTIONS/)
    // LOG_LEVEL is read as COHORT_LOG_LEVEL, but a bad one is named as the user set it.
    await expect(load({ LOG_LEVEL: 'loud' })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_CONFIG', variable: 'LOG_LEVEL', message: expect.stringMatching(/^invalid LOG_LEVEL: .*loud/) })
    await expect(load({ COHORT_LOG_LEVEL: 'loud', LOG_LEVEL: 'info' })).rejects.toMatchObject({ variable: 'COHORT_LOG_LEVEL' })
  })

  it('reads the access-token secret from CHAT_AUTH_SECRET or the file CHAT_AUTH_SECRET_FILE names, and never shows it', async () => {
    const secret = 's'.repeat(40)
    expect((await load({ CHAT_AUTH_SECRET: ` ${secret}\n` })).chat.authSecret).toEqual(Buffer.from(secret))
    const files = { '/etc/chat/secret': `${secret}\n` } as Record<string, string>
    const readFile = async (path: string): Promise<string> => {
      const text = files[path]
      if (text === undefined) throw new Error(`ENOENT: ${path}`)
      return text
    }
    const env = { COHORT_COOKIE: 'a-long-enough-test-cookie' }
    expect((await loadChatConfig({ env: { ...env, CHAT_AUTH_SECRET_FILE: '/etc/chat/secret' }, readFile })).chat.authSecret).toEqual(Buffer.from(secret))
    await expect(loadChatConfig({ env: { ...env, CHAT_AUTH_SECRET_FILE: '/nope' }, readFile })).rejects.toThrow('invalid CHAT_AUTH_SECRET_FILE: cannot read "/nope"')
    await expect(load({ CHAT_AUTH_SECRET: secret, CHAT_AUTH_SECRET_FILE: '/etc/chat/secret' })).rejects.toThrow(
      'invalid CHAT_AUTH_SECRET_FILE: set either CHAT_AUTH_SECRET or CHAT_AUTH_SECRET_FILE, not both',
    )
    await expect(loadChatConfig({ env: { ...env, CHAT_AUTH_SECRET_FILE: '/etc/chat/short' }, readFile: async () => 'hunter2\n' })).rejects.toThrow(
      'invalid CHAT_AUTH_SECRET_FILE: the secret is 7 bytes',
    )
    const short = load({ CHAT_AUTH_SECRET: 'hunter2' })
    await expect(short).rejects.toThrow('invalid CHAT_AUTH_SECRET: the secret is 7 bytes; HS256 needs at least 32 (for example: openssl rand -base64 48)')
    await expect(short).rejects.not.toThrow(/hunter2/)
  })
})
