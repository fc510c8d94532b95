/**
 * The one message a job publisher sends for the sharded fan-out, in the wire format of `@socket.io/redis-adapter`'s
 * sharded adapter (8.x, over `socket.io-adapter`'s `ClusterAdapter`), because `@socket.io/redis-emitter` only speaks
 * classic pub/sub: a JSON `BROADCAST` (message type 3) of a Socket.IO `EVENT` packet (type 2) to one room of namespace
 * `/`, SPUBLISHed to that room's channel `<channelPrefix>#/#<room>#`. Only the nodes subscribed to the channel (those
 * with a socket in the room, in the adapter's `dynamic` subscription mode) receive it.
 */
export interface ShardedBroadcast {
  /** The room's channel. */
  channel: string;
  /** The JSON message. */
  message: string;
}

/** Sender id of messages that come from no server (the adapter's own convention for emitters): every node handles them. */
const EMITTER_UID = 'emitter';
/** `MessageType.BROADCAST` of socket.io-adapter. */
const BROADCAST = 3;
/** `PacketType.EVENT` of socket.io-parser. */
const EVENT_PACKET = 2;

/** The broadcast of `event(...args)` to `room` under the adapter channel prefix `channelPrefix`. */
export function shardedBroadcast(channelPrefix: string, room: string, event: string, args: readonly unknown[]): ShardedBroadcast {
  const namespace = '/';
  // Every field the receiving adapter reads must be there: `except` and `rooms` must be arrays (it builds Sets of them;
  // anything else throws in its subscriber and crashes the node), and no `requestId` (that asks for acknowledgements).
  const message = JSON.stringify({
    uid: EMITTER_UID,
    nsp: namespace,
    type: BROADCAST,
    data: { packet: { type: EVENT_PACKET, nsp: namespace, data: [event, ...args] }, opts: { rooms: [room], except: [], flags: {} } },
  });
  return { channel: `${channelPrefix}#${namespace}#${room}#`, message };
}
