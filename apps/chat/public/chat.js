// The chat page's script: plain JavaScript, no build step. It joins a room over the node's WebSocket, shows history,
// messages and presence, and reconnects by itself: to another node when its node says it is leaving; when the
// connection just drops, to the other nodes it learnt from /endpoints and its own node in turn, with a capped backoff.
// Names and texts are always set as text (textContent), never as markup.
'use strict'

const $ = (id) => document.getElementById(id)
const state = { name: '', room: '', socket: null, base: location.origin, next: [], known: [], attempt: 0, seen: new Set(), wanted: false, told: false }

function setStatus(text, kind) {
  $('status').textContent = text
  $('status').dataset.state = kind
}

function wsUrl(base) {
  const url = new URL('/ws', base)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.searchParams.set('room', state.room)
  url.searchParams.set('user', state.name)
  return url.href
}

function addMessage(m) {
  if (state.seen.has(m.id)) return
  state.seen.add(m.id)
  const li = document.createElement('li')
  li.className = 'message'
  li.dataset.id = m.id
  const user = document.createElement('span')
  user.className = 'user'
  user.textContent = m.user
  const text = document.createElement('span')
  text.className = 'text'
  text.textContent = m.text
  const meta = document.createElement('span')
  meta.className = 'meta'
  meta.textContent = new Date(m.at).toLocaleTimeString()
  li.append(user, text, meta)
  const list = $('messages')
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4
  list.append(li)
  if (atBottom) list.scrollTop = list.scrollHeight
}

function showUsers(users) {
  const list = $('users')
  list.replaceChildren(...users.map((u) => {
    const li = document.createElement('li')
    li.textContent = u
    return li
  }))
}

function connect() {
  const base = state.next.shift() ?? state.base
  state.base = base
  setStatus('connecting…', 'connecting')
  const socket = new WebSocket(wsUrl(base))
  state.socket = socket
  socket.onopen = () => {
    state.attempt = 0
    state.told = false
    fetch(new URL('/endpoints', base))
      .then((r) => r.json())
      .then((body) => { state.known = body.endpoints })
      .catch(() => {})
    setStatus(`connected to ${new URL(base).host}`, 'connected')
    $('text').disabled = false
    $('send').disabled = false
  }
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data)
    switch (frame.type) {
      case 'history':
        for (const m of frame.messages) addMessage(m)
        break
      case 'message':
        addMessage(frame)
        break
      case 'presence':
        showUsers(frame.users)
        break
      case 'error':
        $('error').textContent = frame.reason
        break
      case 'reconnect':
        // The node is leaving: go to another node it named, else back to this origin (a load balancer picks one).
        state.told = true
        state.next = frame.endpoints.filter((e) => e !== base)
        if (state.next.length === 0) state.next = [location.origin]
        break
    }
  }
  socket.onclose = () => {
    if (state.socket !== socket) return
    $('text').disabled = true
    $('send').disabled = true
    if (!state.wanted) return
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

$('join').addEventListener('submit', (event) => {
  event.preventDefault()
  state.name = $('name').value.trim()
  state.room = $('room').value.trim()
  if (state.name === '' || state.room === '') return
  state.wanted = true
  state.seen.clear()
  $('messages').replaceChildren()
  $('error').textContent = ''
  const old = state.socket
  state.socket = null
  if (old) old.close()
  state.next = []
  connect()
})

$('say').addEventListener('submit', (event) => {
  event.preventDefault()
  const text = $('text').value
  if (text.trim() === '' || !state.socket || state.socket.readyState !== WebSocket.OPEN) return
  state.socket.send(JSON.stringify({ type: 'say', text }))
  $('text').value = ''
  $('error').textContent = ''
})
