// The chat page's script: plain JavaScript, no build step. It is in one or more rooms over one WebSocket to a node,
// shows each room's history, messages and presence (one room at a time, the others counting what arrived unread),
// and reconnects by itself: to another node when its node says it is leaving; when the connection just drops, to the
// other nodes it learnt from /endpoints and its own node in turn, with a capped backoff. Names and texts are always
// set as text (textContent), never as markup.
//
// Rooms: the first room is the one the WebSocket's URL names; every other room is joined with a `join` frame, on
// each connection again, and left with `leave`. Every `say` names its room. While the user types, the page signals
// `typing` to the room (a signal frame, kept nowhere), and shows who else is typing in the room shown.
//
// Nothing typed is lost to a failing node: each message is sent with a ref unique to this page and shown as pending
// until its node acks it. When the connection drops first, the page looks for the ref in the next node's history of
// that room (the old node may have said it before it went) and sends again only what is not there. Messages are
// shown once per id and once per sender and ref, so a message said twice by such a resend still shows once. Typing
// goes on while the page reconnects: what is typed then waits, pending, and goes to the next node after its history.
//
// The page stops (signed out) instead of retrying forever when the nodes will not take it: its access token expired
// (the node closes with 4401 then, and the page knows the token's exp), the user was signed out from server code
// (4403, with the reason), or its node refuses it (the reason shown).
'use strict'

const $ = (id) => document.getElementById(id)
const state = {
  name: '',
  // The rooms this page is in, in the order joined (the first is the URL's): room → { items, users, unread, typing },
  // where items are the room's message elements, shown while it is the active room, and typing maps each user who
  // signalled typing to when that stops showing.
  rooms: new Map(),
  // When this page last signalled typing, by room.
  typingSent: new Map(),
  active: '',
  socket: null,
  base: location.origin,
  next: [],
  known: [],
  attempt: 0,
  wanted: false,
  told: false,
  // Ids of the messages shown, and the sender-and-ref keys (refKey) of those that had a ref.
  seen: new Set(),
  refs: new Set(),
  // This page's messages not acked yet, by ref, in the order typed: { text, room, li, socket (the one it was sent on) }.
  mine: new Map(),
  // The refs of this page's join frames, and the room each joins, until answered.
  joins: new Map(),
  page: Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join(''),
  nextRef: 0,
}

function setStatus(text, kind) {
  $('status').textContent = text
  $('status').dataset.state = kind
}

// The access token this page was opened with (/?token=…), when its nodes require one (CHAT_AUTH_SECRET): passed on
// to every node it connects to. The page reads its claims only to show the name and to know when it has expired; the
// node checks it.
const token = new URLSearchParams(location.search).get('token')
// The seconds of clock skew the nodes allow a token's exp (the chat's CLOCK_SKEW_S).
const CLOCK_SKEW_S = 30
// The close codes of a WebSocket whose access ended: the token expired while it was open, or the user was signed
// out from server code (the close frame's reason says why).
const ACCESS_EXPIRED = 4401
const ACCESS_REVOKED = 4403
const EXPIRED = 'Your access token has expired: open the chat again with a new one.'

function tokenClaims(jwt) {
  try {
    const bytes = Uint8Array.from(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
    const claims = JSON.parse(new TextDecoder().decode(bytes))
    return typeof claims === 'object' && claims !== null ? claims : {}
  } catch {
    return {}
  }
}

const claims = token ? tokenClaims(token) : {}
const tokenExpired = () => typeof claims.exp === 'number' && Date.now() >= (claims.exp + CLOCK_SKEW_S) * 1000

const homeRoom = () => state.rooms.keys().next().value
const newRef = () => `${state.page}-${state.nextRef++}`

function wsUrl(base) {
  const url = new URL('/ws', base)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.searchParams.set('room', homeRoom())
  url.searchParams.set('user', state.name)
  if (token) url.searchParams.set('token', token)
  return url.href
}

// A message's list item, kept with its room and shown when the room is.
function messageItem(room, user, text, meta) {
  const li = document.createElement('li')
  li.className = 'message'
  const name = document.createElement('span')
  name.className = 'user'
  name.textContent = user
  const body = document.createElement('span')
  body.className = 'text'
  body.textContent = text
  const when = document.createElement('span')
  when.className = 'meta'
  when.textContent = meta
  li.append(name, body, when)
  const entry = state.rooms.get(room)
  if (entry === undefined) return li
  entry.items.push(li)
  if (room === state.active) {
    const list = $('messages')
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4
    list.append(li)
    if (atBottom) list.scrollTop = list.scrollHeight
  } else {
    entry.unread++
    showRooms()
  }
  return li
}

// User names hold no control characters, and JSON tells the ref 1 from the ref "1".
const refKey = (user, ref) => `${user}\n${JSON.stringify(ref)}`

// One of this page's messages was said as `id` (its ack, or the message itself, arrived): no longer pending.
function markSaid(ref, id, at) {
  const mine = state.mine.get(ref)
  if (mine === undefined) return
  state.mine.delete(ref)
  state.seen.add(id)
  state.refs.add(refKey(state.name, ref))
  mine.li.classList.remove('pending')
  mine.li.dataset.id = id
  mine.li.querySelector('.meta').textContent = new Date(at).toLocaleTimeString()
}

function addMessage(m) {
  if (state.seen.has(m.id)) return
  if (m.ref !== undefined) {
    if (m.user === state.name && state.mine.has(m.ref)) return markSaid(m.ref, m.id, m.at)
    // The same message said again by a page that could not know it was said (see the top of this file).
    if (state.refs.has(refKey(m.user, m.ref))) return
    state.refs.add(refKey(m.user, m.ref))
  }
  state.seen.add(m.id)
  messageItem(m.room, m.user, m.text, new Date(m.at).toLocaleTimeString()).dataset.id = m.id
  if (state.rooms.get(m.room)?.typing.delete(m.user) && m.room === state.active) showTyping()
}

// The node refused one of this page's messages: it stays in the list, struck out, with the reason.
function refuse(ref, reason) {
  const mine = state.mine.get(ref)
  if (mine === undefined) return
  state.mine.delete(ref)
  mine.li.classList.remove('pending')
  mine.li.classList.add('failed')
  mine.li.querySelector('.meta').textContent = reason
}

function sendMine(ref) {
  const mine = state.mine.get(ref)
  mine.socket = state.socket
  state.socket.send(JSON.stringify({ type: 'say', room: mine.room, text: mine.text, ref }))
}

function sendJoin(room) {
  const ref = newRef()
  state.joins.set(ref, room)
  state.socket.send(JSON.stringify({ type: 'join', room, ref }))
}

function showUsers(users) {
  $('users').replaceChildren(...users.map((u) => {
    const li = document.createElement('li')
    li.textContent = u
    return li
  }))
}

// The room tabs: one per room, the active one marked, the others with what arrived unread; each but a lone room has a
// button to leave it.
function showRooms() {
  const tabs = []
  for (const [room, entry] of state.rooms) {
    const tab = document.createElement('button')
    tab.type = 'button'
    tab.className = 'tab'
    tab.dataset.room = room
    tab.textContent = `#${room}`
    if (room === state.active) tab.setAttribute('aria-current', 'true')
    if (entry.unread > 0) {
      const unread = document.createElement('span')
      unread.className = 'unread'
      unread.textContent = String(entry.unread)
      tab.append(unread)
    }
    tab.addEventListener('click', () => showRoom(room))
    tabs.push(tab)
    if (state.rooms.size > 1) {
      const leave = document.createElement('button')
      leave.type = 'button'
      leave.className = 'leave'
      leave.dataset.room = room
      leave.title = `leave ${room}`
      leave.textContent = '×'
      leave.addEventListener('click', () => leaveRoom(room))
      tabs.push(leave)
    }
  }
  $('rooms').replaceChildren(...tabs)
}

function showRoom(room) {
  const entry = state.rooms.get(room)
  if (entry === undefined) return
  state.active = room
  entry.unread = 0
  const list = $('messages')
  list.replaceChildren(...entry.items)
  list.scrollTop = list.scrollHeight
  showUsers(entry.users)
  showRooms()
  showTyping()
}

function addRoom(room) {
  state.rooms.set(room, { items: [], users: [], unread: 0, typing: new Map() })
}

// Typing indicators are signals: sent at most every TYPING_EVERY_MS while the user types, shown for TYPING_SHOWN_MS
// after the last one, or until that user's message arrives.
const TYPING_EVERY_MS = 2000
const TYPING_SHOWN_MS = 3500

function showTyping() {
  const entry = state.rooms.get(state.active)
  const now = Date.now()
  const names = entry === undefined ? [] : [...entry.typing].filter(([, until]) => until > now).map(([user]) => user).sort()
  $('typing').textContent =
    names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : `${names.length} people are typing…`
}
setInterval(showTyping, 1000)

function leaveRoom(room) {
  if (!state.rooms.has(room) || state.rooms.size === 1) return
  state.rooms.delete(room)
  for (const [ref, mine] of [...state.mine]) if (mine.room === room) refuse(ref, 'not sent: left the room')
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify({ type: 'leave', room, ref: newRef() }))
  }
  if (state.active === room) showRoom(homeRoom())
  else showRooms()
}

// A join this page asked for was refused (a room the token does not allow, too many rooms): the room goes.
function joinRefused(room, reason) {
  $('error').textContent = reason
  if (state.rooms.size === 1) return
  state.rooms.delete(room)
  for (const [ref, mine] of [...state.mine]) if (mine.room === room) refuse(ref, `not sent: ${reason}`)
  if (state.active === room) showRoom(homeRoom())
  else showRooms()
}

// The page stops trying: the nodes will not take it as it is (its access ended, or was refused). What is pending
// stays on the page, struck out, so the user sees what was not said.
function signOut(reason) {
  state.wanted = false
  state.socket = null
  for (const ref of [...state.mine.keys()]) refuse(ref, 'not sent: signed out')
  $('text').disabled = true
  $('send').disabled = true
  showUsers([])
  $('typing').textContent = ''
  setStatus('signed out', 'signed-out')
  $('error').textContent = reason
}

// Why this origin's node refuses the page, when it says so: a browser hides a refused WebSocket's status, so the page
// reads the room's presence with the same token and credentials, which the node refuses for the same reasons (401,
// 403). Other origins are not asked (their answers are not readable across origins); undefined when not refused.
async function refusal(base) {
  if (new URL(base).origin !== location.origin) return undefined
  try {
    const url = new URL(`/rooms/${encodeURIComponent(homeRoom())}/presence`, base)
    if (token) url.searchParams.set('token', token)
    const response = await fetch(url)
    if (response.status !== 401 && response.status !== 403) return undefined
    return (await response.json()).error
  } catch {
    return undefined
  }
}

function connect() {
  const base = state.next.shift() ?? state.base
  state.base = base
  if (token && tokenExpired()) return signOut(EXPIRED)
  setStatus('connecting…', 'connecting')
  const socket = new WebSocket(wsUrl(base))
  state.socket = socket
  state.joins.clear()
  let opened = false
  socket.onopen = () => {
    opened = true
    state.attempt = 0
    state.told = false
    // The URL's room is entered already; every other room is joined again on each connection.
    for (const room of state.rooms.keys()) if (room !== homeRoom()) sendJoin(room)
    fetch(new URL('/endpoints', base))
      .then((r) => r.json())
      .then((body) => { state.known = body.endpoints })
      .catch(() => {})
    setStatus(`connected to ${new URL(base).host}`, 'connected')
    suggestRooms()
    $('text').disabled = false
    $('send').disabled = false
  }
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data)
    switch (frame.type) {
      case 'history':
        if (!state.rooms.has(frame.room)) break
        for (const m of frame.messages) addMessage(m)
        // What this page sent on an earlier connection and is not in the history was lost with it: send it again.
        for (const [ref, mine] of state.mine) if (mine.room === frame.room && mine.socket !== socket) sendMine(ref)
        break
      case 'message':
        addMessage(frame)
        break
      case 'ack':
        state.joins.delete(frame.ref)
        markSaid(frame.ref, frame.id, Date.now())
        break
      case 'signal': {
        const entry = state.rooms.get(frame.room)
        if (entry === undefined || frame.name !== 'typing') break
        entry.typing.set(frame.user, Date.now() + TYPING_SHOWN_MS)
        if (frame.room === state.active) showTyping()
        break
      }
      case 'presence': {
        const entry = state.rooms.get(frame.room)
        if (entry === undefined) break
        entry.users = frame.users
        if (frame.room === state.active) showUsers(frame.users)
        break
      }
      case 'error':
        if (frame.ref !== undefined && state.mine.has(frame.ref)) refuse(frame.ref, frame.reason)
        else if (frame.ref !== undefined && state.joins.has(frame.ref)) {
          const room = state.joins.get(frame.ref)
          state.joins.delete(frame.ref)
          joinRefused(room, frame.reason)
        } else $('error').textContent = frame.reason
        break
      case 'reconnect':
        // The node is leaving: go to another node it named, else back to this origin (a load balancer picks one).
        state.told = true
        state.next = frame.endpoints.filter((e) => e !== base)
        if (state.next.length === 0) state.next = [location.origin]
        break
    }
  }
  socket.onclose = async (event) => {
    if (state.socket !== socket) return
    if (!state.wanted) {
      $('text').disabled = true
      $('send').disabled = true
      return
    }
    if (event.code === ACCESS_EXPIRED) return signOut(EXPIRED)
    if (event.code === ACCESS_REVOKED) return signOut(`Signed out: ${event.reason || 'by the chat service'}.`)
    if (!opened) {
      const why = await refusal(base)
      if (state.socket !== socket) return
      if (why !== undefined) return signOut(why)
    }
    let delay = 0
    if (!state.told) {
      // Dropped without notice (the node died, or the network): try the other nodes and this one in turn.
      if (state.next.length === 0) state.next = [...state.known.filter((e) => e !== base), base]
      delay = Math.min(5000, 100 * 2 ** state.attempt++) * (0.5 + Math.random() / 2)
    }
    state.told = false
    setStatus('reconnecting…', 'reconnecting')
    setTimeout(connect, delay)
  }
}

// The cluster's rooms (GET /rooms, those the token allows), offered as the room box's suggestions with how many are
// in each; asked of this page's own origin, on load and at each connection.
async function suggestRooms() {
  try {
    const url = new URL('/rooms', location.origin)
    if (token) url.searchParams.set('token', token)
    const response = await fetch(url)
    if (!response.ok) return
    const { rooms } = await response.json()
    $('known-rooms').replaceChildren(...rooms.map(({ room, users }) => {
      const option = document.createElement('option')
      option.value = room
      option.label = `${users} present`
      return option
    }))
  } catch {
    // The origin's node may be gone; the suggestions stay as they were.
  }
}
suggestRooms()

if (token) {
  const user = typeof claims.name === 'string' ? claims.name : claims.sub
  if (typeof user === 'string') $('name').value = user
  $('name').readOnly = true
}

// Join: the first time (or under another name) it connects, in that room; after that it adds the room to this
// connection (or shows it, when the page is in it already).
$('join').addEventListener('submit', (event) => {
  event.preventDefault()
  const name = $('name').value.trim()
  const room = $('room').value.trim()
  if (name === '' || room === '') return
  $('error').textContent = ''
  if (state.wanted && name === state.name) {
    if (!state.rooms.has(room)) {
      addRoom(room)
      if (state.socket && state.socket.readyState === WebSocket.OPEN) sendJoin(room)
    }
    return showRoom(room)
  }
  state.name = name
  state.wanted = true
  state.seen.clear()
  state.refs.clear()
  state.mine.clear()
  state.rooms.clear()
  addRoom(room)
  showRoom(room)
  const old = state.socket
  state.socket = null
  if (old) old.close()
  state.next = []
  connect()
})

$('text').addEventListener('input', () => {
  const room = state.active
  const now = Date.now()
  if (!state.socket || state.socket.readyState !== WebSocket.OPEN || now - (state.typingSent.get(room) ?? 0) < TYPING_EVERY_MS) return
  state.typingSent.set(room, now)
  state.socket.send(JSON.stringify({ type: 'signal', room, name: 'typing' }))
})

$('say').addEventListener('submit', (event) => {
  event.preventDefault()
  const text = $('text').value
  if (text.trim() === '' || !state.wanted) return
  const ref = newRef()
  const room = state.active
  const li = messageItem(room, state.name, text, 'sending…')
  li.classList.add('pending')
  li.dataset.ref = ref
  state.mine.set(ref, { text, room, li, socket: null })
  // What is typed next is a new message: signal it at its first keystroke.
  state.typingSent.delete(room)
  // Between connections it waits for the next node's history of its room (the 'history' case above).
  if (state.socket && state.socket.readyState === WebSocket.OPEN) sendMine(ref)
  $('text').value = ''
  $('error').textContent = ''
})
