// A 1:1 video call. The caller subscribes to the pair's user-limited channel
// call:<callId>#<a>,<b> (the two user ids sorted: only they may subscribe),
// then invites the callee with a CallInvite in the room's chat channel, which
// every member's page receives and only the callee's acts on. The callee
// subscribes to the same channel and answers accept or decline; then offer,
// answer and ICE candidates, and hang-up from either side. No STUN or TURN
// servers: host candidates only, which is enough on one machine or a LAN.
import type { Centrifuge, ClientInfo, Subscription } from 'centrifuge';
import { byTestId, show } from '../shared/dom';
import type { Room } from './room';
import type { CallInvite, Signal } from './wire';
import { randomId } from './wire';

const RING_MS = 30_000;
const INVITE_FRESH_MS = 60_000;

type Role = 'caller' | 'callee';

interface Call {
  id: string;
  role: Role;
  peer: string;
  peerName: string;
  sub: Subscription;
  pc?: RTCPeerConnection;
  local?: MediaStream;
  pendingIce: RTCIceCandidateInit[];
  ringTimer?: number;
}

export function callChannel(callId: string, a: string, b: string): string {
  return `call:${callId}#${[a, b].sort().join(',')}`;
}

export class Calls {
  private call: Call | null = null;
  private seen = new Set<string>();
  private incoming: { invite: CallInvite; from: ClientInfo } | null = null;
  private panel = byTestId('call-panel');
  private status = byTestId('call-status');
  private remote = byTestId<HTMLVideoElement>('remote-video');
  private localVideo = byTestId<HTMLVideoElement>('local-video');
  private ring = byTestId('call-incoming');

  constructor(private client: Centrifuge, private me: string) {
    byTestId('call-hangup').addEventListener('click', () => void this.hangUp());
    byTestId('call-accept').addEventListener('click', () => void this.accept());
    byTestId('call-decline').addEventListener('click', () => void this.decline());
  }

  private setStatus(state: string, text: string): void {
    this.panel.dataset.state = state;
    this.status.textContent = text;
  }

  private signal(sub: Subscription, s: Signal): void {
    sub.publish(s).catch(() => {});
  }

  private async open(id: string, role: Role, peer: string, peerName: string): Promise<Call> {
    const sub = this.client.newSubscription(callChannel(id, this.me, peer));
    const call: Call = { id, role, peer, peerName, sub, pendingIce: [] };
    this.call = call;
    sub.on('publication', (ctx) => void this.onSignal(call, ctx.data as Signal));
    sub.on('error', () => {});
    show(this.panel, true);
    sub.subscribe();
    await sub.ready(5000);
    call.local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true })
      .catch(() => navigator.mediaDevices.getUserMedia({ video: true }));
    this.localVideo.srcObject = call.local;
    return call;
  }

  async start(peer: string, peerName: string, room: Room): Promise<void> {
    if (this.call) return;
    const id = randomId();
    this.seen.add(id);
    this.setStatus('calling', `Calling ${peerName}…`);
    try {
      const call = await this.open(id, 'caller', peer, peerName);
      await room.chat.publish({ type: 'call-invite', callId: id, to: peer, ts: Date.now() } satisfies CallInvite);
      call.ringTimer = window.setTimeout(() => {
        if (!call.pc) void this.end(call, `${peerName} did not answer`, true);
      }, RING_MS);
    } catch (err) {
      if (this.call) void this.end(this.call, `The call failed: ${(err as Error).message}`, false);
    }
  }

  // Every CallInvite of every room passes here; only fresh ones to us ring.
  invite(inv: CallInvite, from: ClientInfo | undefined): void {
    if (!from || inv.to !== this.me || from.user === this.me) return;
    if (this.seen.has(inv.callId) || Math.abs(Date.now() - inv.ts) > INVITE_FRESH_MS) return;
    this.seen.add(inv.callId);
    if (this.call || this.incoming) {
      void this.refuse(inv.callId, from.user); // busy
      return;
    }
    this.incoming = { invite: inv, from };
    const name = typeof from.connInfo?.name === 'string' ? from.connInfo.name : from.user;
    byTestId('call-incoming-text').textContent = `${name} is calling you`;
    show(this.ring, true);
  }

  private async accept(): Promise<void> {
    const inc = this.incoming;
    if (!inc) return;
    this.incoming = null;
    show(this.ring, false);
    const name = typeof inc.from.connInfo?.name === 'string' ? inc.from.connInfo.name : inc.from.user;
    this.setStatus('connecting', `Connecting to ${name}…`);
    try {
      const call = await this.open(inc.invite.callId, 'callee', inc.from.user, name);
      this.peerConnection(call);
      this.signal(call.sub, { type: 'accept', from: this.me });
    } catch (err) {
      if (this.call) void this.end(this.call, `The call failed: ${(err as Error).message}`, true);
    }
  }

  private async decline(): Promise<void> {
    const inc = this.incoming;
    if (!inc) return;
    this.incoming = null;
    show(this.ring, false);
    await this.refuse(inc.invite.callId, inc.from.user);
  }

  // Subscribes to the call's channel just long enough to say no.
  private async refuse(callId: string, peer: string): Promise<void> {
    const sub = this.client.newSubscription(callChannel(callId, this.me, peer));
    sub.on('error', () => {});
    try {
      sub.subscribe();
      await sub.ready(5000);
      await sub.publish({ type: 'decline', from: this.me } satisfies Signal);
    } catch { /* the caller gives up after RING_MS anyway */ }
    this.client.removeSubscription(sub);
  }

  private async hangUp(): Promise<void> {
    if (this.call) await this.end(this.call, 'Call ended', true);
  }

  private peerConnection(call: Call): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers: [] });
    call.pc = pc;
    for (const track of call.local?.getTracks() ?? []) pc.addTrack(track, call.local!);
    pc.onicecandidate = (e) => {
      if (e.candidate) this.signal(call.sub, { type: 'ice', from: this.me, candidate: e.candidate.toJSON() });
    };
    pc.ontrack = (e) => {
      if (this.remote.srcObject !== e.streams[0]) {
        this.remote.srcObject = e.streams[0] ?? new MediaStream([e.track]);
        this.remote.play().catch(() => {});
      }
    };
    pc.onconnectionstatechange = () => {
      if (this.call !== call) return;
      if (pc.connectionState === 'connected') this.setStatus('connected', `In a call with ${call.peerName}`);
      else if (pc.connectionState === 'failed') void this.end(call, 'The connection failed', true);
    };
    return pc;
  }

  private async onSignal(call: Call, s: Signal): Promise<void> {
    if (!s || s.from === this.me || this.call !== call) return;
    try {
      switch (s.type) {
        case 'accept': {
          if (call.role !== 'caller' || call.pc) return;
          clearTimeout(call.ringTimer);
          this.setStatus('connecting', `Connecting to ${call.peerName}…`);
          const pc = this.peerConnection(call);
          await pc.setLocalDescription(await pc.createOffer());
          this.signal(call.sub, { type: 'offer', from: this.me, sdp: pc.localDescription!.sdp });
          break;
        }
        case 'offer': {
          const pc = call.pc;
          if (!pc) return;
          await pc.setRemoteDescription({ type: 'offer', sdp: s.sdp });
          await this.flushIce(call);
          await pc.setLocalDescription(await pc.createAnswer());
          this.signal(call.sub, { type: 'answer', from: this.me, sdp: pc.localDescription!.sdp });
          break;
        }
        case 'answer':
          await call.pc?.setRemoteDescription({ type: 'answer', sdp: s.sdp });
          await this.flushIce(call);
          break;
        case 'ice':
          if (call.pc?.remoteDescription) await call.pc.addIceCandidate(s.candidate);
          else call.pendingIce.push(s.candidate);
          break;
        case 'decline':
          await this.end(call, `${call.peerName} declined the call`, false);
          break;
        case 'hangup':
          await this.end(call, `${call.peerName} hung up`, false);
          break;
      }
    } catch (err) {
      await this.end(call, `The call failed: ${(err as Error).message}`, true);
    }
  }

  private async flushIce(call: Call): Promise<void> {
    const pending = call.pendingIce.splice(0);
    for (const c of pending) await call.pc?.addIceCandidate(c);
  }

  private async end(call: Call, text: string, tellPeer: boolean): Promise<void> {
    if (this.call !== call) return;
    this.call = null;
    clearTimeout(call.ringTimer);
    if (tellPeer) await call.sub.publish({ type: 'hangup', from: this.me } satisfies Signal).catch(() => {});
    call.pc?.close();
    for (const t of call.local?.getTracks() ?? []) t.stop();
    this.remote.srcObject = null;
    this.localVideo.srcObject = null;
    this.client.removeSubscription(call.sub);
    this.setStatus('ended', text);
    setTimeout(() => { if (!this.call) show(this.panel, false); }, 4000);
  }
}
