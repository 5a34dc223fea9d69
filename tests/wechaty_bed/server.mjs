#!/usr/bin/env node
// kocbot end-to-end test bed: the official wechaty-puppet-mock served through the
// official wechaty-puppet-service PuppetServer on loopback, steered over stdin/stdout.
// Protocol: see README.md. stdout carries JSON lines only; every log goes to stderr.
import net from 'node:net'
import readline from 'node:readline'
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'

// Libraries log through console.*; keep stdout pure JSON by sending all of it to stderr.
// (Static imports are hoisted, so the wechaty packages are loaded dynamically below.)
const out = process.stdout.write.bind(process.stdout)
for (const m of ['log', 'info', 'debug', 'warn', 'trace']) console[m] = console.error
const emit = obj => out(JSON.stringify(obj) + '\n')

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.BED_PORT || '0' },
    token: { type: 'string', default: process.env.BED_TOKEN || '' },
  },
})
const TOKEN = args.token || `insecure_${randomUUID()}`
process.env.WECHATY_LOG ??= 'warn'

const PUPPET = await import('wechaty-puppet')
const { PuppetMock } = await import('wechaty-puppet-mock')
const { PuppetServer } = await import('wechaty-puppet-service')
PUPPET.log.level(process.env.WECHATY_LOG)

const BOT = { id: 'kocbot', name: 'KOC Bot' }
const CONTACTS = [
  { id: 'alice', name: 'Alice' },
  { id: 'bob', name: 'Bob' },
  { id: 'carol', name: 'Carol' },
  { id: 'dave', name: 'Dave' },
  { id: 'mod', name: 'Moderator' },
  { id: 'gh_brand', name: 'Brand News', type: 'Official' }, // an official (public) account
]
const ROOMS = [ // PuppetMock tells rooms from contacts by the '@' in the id
  { id: 'room1@chatroom', topic: 'KOC group 1', memberIdList: ['kocbot', 'alice', 'bob', 'carol', 'mod'], ownerId: 'mod', adminIdList: ['mod'] },
  { id: 'room2@chatroom', topic: 'KOC group 2', memberIdList: ['kocbot', 'alice', 'dave', 'mod'], ownerId: 'mod', adminIdList: [] },
]

class BedPuppet extends PuppetMock {
  // Store a message in the mock and emit its `message` event; returns the id.
  inject (talkerId, conversationId, fields) {
    const isRoom = conversationId.includes('@')
    const conv = isRoom ? this.mocker.RoomMock.load(conversationId) : this.mocker.ContactMock.load(conversationId)
    this.mocker.ContactMock.load(talkerId) // throws on an unknown talker
    const payload = {
      id: randomUUID(),
      talkerId,
      timestamp: Date.now(),
      type: PUPPET.types.Message.Text,
      ...fields,
      ...(isRoom ? { roomId: conv.id } : { listenerId: conv.id }),
    }
    if (!isRoom) delete payload.mentionIdList
    if (payload.file) this.mocker.cacheFileBoxPayload.set(payload.id, payload.file)
    delete payload.file
    this.mocker.MessageMock.create(payload)
    this.emit('message', { messageId: payload.id })
    return payload
  }

  // PuppetMock's messageSend* return no message id (python's say() then fails with
  // "no id") and drop mention ids: replace them. The sent message is echoed back as a
  // `message` event from the bot itself, as a real account does.
  async bedSend (conversationId, fields, kind) {
    if (!this.isLoggedIn) throw new Error('not logged in')
    const drop = dropOnSend.count > 0
    if (drop) dropOnSend.count--
    if (drop && !dropOnSend.delivered) { // the connection breaks with this send in flight, undelivered
      return this.dropDuring(conversationId, fields)
    }
    const bytes = fields.file?.base64 ? Buffer.from(fields.file.base64, 'base64') : null // a file sent inline
    const p = this.inject(this.currentUserId, conversationId, fields)
    emit({ event: 'sent', conversation: conversationId, kind, text: p.text ?? p.filename ?? '', mentions: p.mentionIdList || [], id: p.id,
      ...(bytes ? { size: bytes.length, head: bytes.subarray(0, 8).toString('hex') } : {}) })
    if (drop) { // delivered and echoed, but the answer to the sender is lost with the connection
      await new Promise(resolve => setTimeout(resolve, 50)) // the echo reaches the client first
      return this.dropDuring(conversationId, fields)
    }
    return p.id
  }

  async dropDuring (conversationId, fields) {
    emit({ event: 'dropped', cause: 'send', conversation: conversationId, text: fields.text ?? '' })
    await stopServer()
    throw new Error('the bed dropped the connection during this send')
  }

  async messageSendText (conversationId, text, mentionIdList) {
    return this.bedSend(conversationId, { text, mentionIdList: [...(mentionIdList || [])] }, 'text')
  }

  async messageSendFile (conversationId, file) {
    return this.bedSend(conversationId, { type: PUPPET.types.Message.Attachment, filename: file.name, file: file.toJSON() }, 'file')
  }

  async messageSendContact (conversationId, contactId) {
    return this.bedSend(conversationId, { type: PUPPET.types.Message.Contact, text: contactId }, 'contact')
  }

  async messageSendUrl (conversationId, urlLinkPayload) {
    return this.bedSend(conversationId, { type: PUPPET.types.Message.Url, text: urlLinkPayload.url }, 'url')
  }

  // Every python client calls stop() then start() on connect; stop() logs the bot out.
  // PuppetMock never logs in nor emits `ready` by itself: do both after each start.
  async start () {
    await super.start()
    if (!this.isLoggedIn) this.login(BOT.id)
    this.emit('ready', { data: 'ready' })
  }
}

const puppet = new BedPuppet()
const { mocker } = puppet
const contact = id => mocker.ContactMock.load(id)
const room = id => mocker.RoomMock.load(id)
for (const c of [BOT, ...CONTACTS]) {
  const type = PUPPET.types.Contact[c.type || 'Individual']
  mocker.createContact({ ...c, type, avatar: '', alias: '', friend: true, phone: [], address: '', city: '', province: '', signature: '' })
}
for (const r of ROOMS) mocker.createRoom({ avatar: '', ...r, memberIdList: [...r.memberIdList] })
await puppet.start()

async function freePort () {
  const srv = net.createServer()
  await new Promise((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = srv.address()
  await new Promise(resolve => srv.close(resolve))
  return port
}

const PORT = Number(args.port) || await freePort()
let server
let dropOnSend = { count: 0, delivered: false } // set by the drop_on_send command

async function startServer () {
  if (server) throw new Error('server already running')
  const s = new PuppetServer({ endpoint: `127.0.0.1:${PORT}`, puppet, token: TOKEN, tls: { disable: true } })
  for (let i = 0; ; i++) { // the port may linger for a moment after a drop
    try { await s.start(); break } catch (e) {
      await s.stop().catch(() => {})
      if (i >= 50) throw e
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  server = s
}

async function stopServer () {
  if (!server) throw new Error('server not running')
  const s = server
  server = undefined
  await s.stop()
}

const ids = list => (list || []).map(contact)
const need = (cmd, ...keys) => keys.forEach(k => { if (cmd[k] === undefined) throw new Error(`missing "${k}"`) })
const messageType = name => { // "Text" (default), "Image", "Audio", "Url"...: a PUPPET.types.Message name
  const type = PUPPET.types.Message[name || 'Text']
  if (type === undefined) throw new Error(`unknown message type ${JSON.stringify(name)}`)
  return type
}

const COMMANDS = {
  async room_message (c) {
    need(c, 'room', 'from', 'text')
    const mentionIdList = [...(c.mentions || [])]
    mentionIdList.forEach(contact) // throws on an unknown id
    return { id: puppet.inject(c.from, c.room, { text: c.text, mentionIdList, type: messageType(c.type) }).id }
  },
  async dm (c) {
    need(c, 'from', 'text')
    return { id: puppet.inject(c.from, c.to || BOT.id, { text: c.text, type: messageType(c.type) }).id }
  },
  async redeliver (c) { // the puppet emits a message event again, as some do after a reconnect
    need(c, 'id')
    mocker.MessageMock.load(c.id) // throws on an unknown id
    puppet.emit('message', { messageId: c.id })
    return {}
  },
  async drop_on_send (c) { // the next `count` sends drop the server, before or after delivering
    dropOnSend = { count: c.count ?? 1, delivered: !!c.delivered }
    return {}
  },
  async join (c) {
    need(c, 'room', 'members')
    const r = room(c.room)
    const fresh = c.members.filter(m => !r.payload.memberIdList.includes(m))
    if (!fresh.length) throw new Error('all of them are members already')
    r.add(...ids(fresh)).by(contact(c.inviter || r.payload.ownerId || BOT.id))
    return { members: [...r.payload.memberIdList] }
  },
  async leave (c) {
    need(c, 'room', 'members')
    const r = room(c.room)
    const present = c.members.filter(m => r.payload.memberIdList.includes(m))
    if (!present.length) throw new Error('none of them is a member')
    r.remove(...ids(present)).by(contact(c.remover || present[0]))
    return { members: [...r.payload.memberIdList] }
  },
  async set_room (c) { // {"cmd":"set_room","room":...,"owner":"mod","admins":["mod"],"topic":"..."}
    need(c, 'room')
    const p = room(c.room).payload
    if (c.owner !== undefined) p.ownerId = c.owner
    if (c.admins !== undefined) p.adminIdList = [...c.admins]
    if (c.topic !== undefined) room(c.room).topic(c.topic).by(contact(c.changer || p.ownerId || BOT.id))
    return { room: { ...p } }
  },
  async state () {
    return { port: PORT, serving: !!server, loggedIn: puppet.isLoggedIn, rooms: ROOMS.map(r => ({ ...room(r.id).payload })) }
  },
  async drop () { await stopServer(); return {} },
  async restore () { await startServer(); return { port: PORT } },
  async quit () { setImmediate(quit); return {} },
}

let quitting = false
async function quit () {
  if (quitting) return
  quitting = true
  try { if (server) await stopServer() } catch (e) { console.error(e) }
  try { await puppet.stop() } catch (e) { console.error(e) }
  process.exit(0)
}
process.on('SIGTERM', quit)
process.on('SIGINT', quit)

// One command at a time, in arrival order.
let queue = Promise.resolve()
const rl = readline.createInterface({ input: process.stdin })
rl.on('line', line => {
  if (!line.trim()) return
  queue = queue.then(async () => {
    let cmd
    try {
      cmd = JSON.parse(line)
      const fn = COMMANDS[cmd.cmd]
      if (!fn) throw new Error(`unknown cmd ${JSON.stringify(cmd.cmd)}`)
      const res = await fn(cmd)
      emit({ ok: true, ...(cmd.seq !== undefined && { seq: cmd.seq }), cmd: cmd.cmd, ...res })
    } catch (e) {
      emit({ ok: false, ...(cmd?.seq !== undefined && { seq: cmd.seq }), cmd: cmd?.cmd, error: String(e?.message || e) })
    }
  })
})
rl.on('close', () => { queue.then(quit) }) // stdin closed: the test is gone

await startServer()
emit({ event: 'listening', port: PORT, token: TOKEN, bot: BOT.id })
