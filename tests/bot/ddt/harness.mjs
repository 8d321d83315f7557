// Runs discord-digital-twin (npm, MIT) for tests/bot/test_bot_e2e_ddt.py.
// Protocol: one JSON line out when ready, then one JSON request per stdin line ->
// one JSON reply per stdout line ({rid, result} or {rid, error}).
import net from 'node:net'
import readline from 'node:readline'

// The twin listens on every interface by default: force loopback.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') {
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined
    return listen.call(this, { port: args[0], host: '127.0.0.1' }, cb)
  }
  if (args[0] && typeof args[0] === 'object' && !args[0].path && !args[0].host) {
    args[0].host = '127.0.0.1'
  }
  return listen.apply(this, args)
}

const { DigitalDiscord } = await import('discord-digital-twin')
const discord = new DigitalDiscord({
  guild: { name: 'Twin Server' },
  channels: [{ name: 'news', type: 0 }],
  users: [{ username: 'alice' }],
  botToken: process.env.DDT_BOT_TOKEN || 'ddt-bot-token',
})
await discord.start()
const channels = await discord.prisma.channel.findMany()
const channelId = channels.find((c) => c.name === 'news').id
const userId = await discord.getFirstNonBotUserId()
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
out({
  ready: true, restUrl: discord.restUrl, gatewayUrl: discord.gatewayUrl, botToken: discord.botToken,
  botUserId: discord.botUserId, channelId, userId, guildId: discord.guildId,
})

const actor = (id) => discord.channel(id || channelId).user(userId)
const rl = readline.createInterface({ input: process.stdin })
for await (const line of rl) {
  const req = JSON.parse(line)
  try {
    let result = null
    if (req.cmd === 'slash') {
      result = await actor().runSlashCommand({ name: req.name, options: req.options })
    } else if (req.cmd === 'say') {
      result = await actor(req.channelId).sendMessage({ content: req.content })
    } else if (req.cmd === 'click') {
      result = await actor(req.channelId).clickButton({ messageId: req.messageId, customId: req.customId })
    } else if (req.cmd === 'messages') {
      result = await discord.channel(req.channelId || channelId).getMessages()
    } else if (req.cmd === 'threads') {
      result = await discord.channel(channelId).getThreads()
    } else if (req.cmd === 'response') {
      result = await discord.channel(channelId).getInteractionResponse(req.interactionId)
    } else if (req.cmd === 'stop') {
      await discord.stop()
      out({ rid: req.rid, result: 'stopped' })
      process.exit(0)
    } else {
      throw new Error(`unknown cmd ${req.cmd}`)
    }
    out({ rid: req.rid, result })
  } catch (err) {
    out({ rid: req.rid, error: String((err && err.stack) || err) })
  }
}
