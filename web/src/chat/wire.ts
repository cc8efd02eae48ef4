// What the chat publishes, channel by channel (see web/README.md).
//
//   rooms:index       RoomCreated                 history: the room directory
//   chat:<room>       TextMessage | FileMessage | CallInvite   history 1000, presence
//   live:<room>     Typing | FileChunk          live only, never stored
//   call:<id>#<a>,<b> Signal                      WebRTC signalling of one call
//
// File chunks travel on live:<room> (with the typing signals: everything of a
// room that is live only) because they must not fill the room's
// history: 100 history entries of 32 KiB chunks would be a 4 MiB reply, and
// a reconnect that recovered a missed 10 MiB file would be a 14 MB one.

export interface RoomCreated { type: 'room'; name: string }

// `mid`: an id the sender makes, so a message sent again after a lost
// acknowledgement is shown once (outbox.ts).
export interface TextMessage { type: 'text'; text: string; ts: number; mid?: string }

// Sent after the file's chunks, so a member that sees it knows the id.
export interface FileMessage {
  type: 'file';
  fileId: string;
  name: string;
  size: number;
  mime: string;
  sha256: string;
  chunks: number;
}

export interface CallInvite { type: 'call-invite'; callId: string; to: string; ts: number }

export interface Typing { type: 'typing'; name: string }

// Chunk 0 also carries the file's description, so a receiver can show
// progress before the FileMessage arrives.
export interface FileChunk {
  type: 'chunk';
  fileId: string;
  seq: number;
  chunks: number;
  data: string; // base64
  name?: string;
  size?: number;
  mime?: string;
}

export type ChatData = TextMessage | FileMessage | CallInvite;
export type SideData = Typing | FileChunk;

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
