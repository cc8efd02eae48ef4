// What the chat publishes, channel by channel (see web/README.md).
//
//   rooms:index       RoomCreated                 history: the room directory
//   chat:<room>       TextMessage | FileMessage | CallInvite   history 1000, presence
//   live:<room>       Typing                      live only, never stored
//   call:<id>#<a>,<b> Signal                      WebRTC signalling of one call
//
// A file's bytes never go through a channel: they are uploaded to the server
// (POST /files, herald's [files]) and kept as long as the room's history, so
// the FileMessage in chat:<room> is all a member needs, whenever they come.

export interface RoomCreated { type: 'room'; name: string }

// `mid`: an id the sender makes, so a message sent again after a lost
// acknowledgement is shown once (outbox.ts).
export interface TextMessage { type: 'text'; text: string; ts: number; mid?: string }

// Published after the upload, with what the server answered: `fileId` is
// the server's id (GET /files/<fileId>), `sha256` the one the sender computed
// before uploading, checked by every receiver against the bytes it gets.
// `stored` is absent on the messages of older versions, whose bytes
// travelled live in chunks and were never kept: shown, but not downloadable.
export interface FileMessage {
  type: 'file';
  fileId: string;
  name: string;
  size: number;
  mime: string;
  sha256: string;
  stored?: true;
  chunks?: number; // older versions only
}

export interface CallInvite { type: 'call-invite'; callId: string; to: string; ts: number }

export interface Typing { type: 'typing'; name: string }

export type ChatData = TextMessage | FileMessage | CallInvite;
export type SideData = Typing;

export type Signal =
  | { type: 'accept'; from: string }
  | { type: 'decline'; from: string }
  | { type: 'hangup'; from: string }
  | { type: 'offer' | 'answer'; from: string; sdp: string }
  | { type: 'ice'; from: string; candidate: RTCIceCandidateInit };

export const chatChannel = (room: string) => `chat:${room}`;
export const sideChannel = (room: string) => `live:${room}`;
export const ROOMS_CHANNEL = 'rooms:index';

// A room name: 1–32 letters, digits, '-' or '_' (it goes into channel names).
export const ROOM_NAME = /^[A-Za-z0-9_-]{1,32}$/;

export function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}
