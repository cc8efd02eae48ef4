// sdk-go: the official Go SDK (github.com/centrifugal/centrifuge-go, pinned in
// go.mod) driven by tests/interop/sdks/run_sdk_interop.py over the line
// protocol of tests/interop/sdks/README.md: commands on stdin, one per line;
// events on stdout, one JSON object per line.
//
//	sdk-go --url ws://127.0.0.1:PORT/connection/websocket --token JWT --channel C [--format json|protobuf]
//
// The SDK does the protocol work (connect, reconnect with backoff, recovery
// on resubscribe); this program only maps its callbacks and calls onto lines.
// The SDK runs its event handlers on its own goroutine and a handler that
// calls a blocking SDK method deadlocks it, so handlers only print, and every
// command runs on a goroutine of its own started by the stdin reader.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/centrifugal/centrifuge-go"
)

// commandTimeout bounds every command; past it the reply is ok:false code 0.
const commandTimeout = 10 * time.Second

// out writes one event per line. Each line is a single Write on unbuffered
// os.Stdout, under a mutex so lines of concurrent goroutines never interleave.
var outMu sync.Mutex

func emit(fields map[string]any) {
	line, err := json.Marshal(fields)
	if err != nil {
		line, _ = json.Marshal(map[string]any{"event": "log", "message": "cannot encode an event: " + err.Error()})
	}
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write(append(line, '\n'))
}

func event(name string, fields map[string]any) {
	fields["event"] = name
	emit(fields)
}

func logf(format string, args ...any) {
	event("log", map[string]any{"message": fmt.Sprintf(format, args...)})
}

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

// replyOK answers command id with ok:true and the given fields.
func replyOK(id string, fields map[string]any) {
	fields["id"] = id
	fields["ok"] = true
	event("reply", fields)
}

// replyErr answers command id with ok:false: the server's code when err is a
// server error, 0 for the SDK's own errors (timeout, disconnected, ...).
func replyErr(id string, err error) {
	code, message := errorCode(err)
	event("reply", map[string]any{"id": id, "ok": false, "code": code, "message": message})
}

func errorCode(err error) (uint32, string) {
	var serverErr *centrifuge.Error
	if errors.As(err, &serverErr) {
		return serverErr.Code, serverErr.Message
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, centrifuge.ErrTimeout) {
		return 0, "timeout"
	}
	return 0, err.Error()
}

// watchSubscription prints a subscription's events. onSubscribed and onRefused
// (may be nil) let the `subscribe` command learn how its attempt ended.
func watchSubscription(sub *centrifuge.Subscription, onSubscribed func(), onRefused func(code uint32, message string)) {
	channel := sub.Channel
	sub.OnSubscribing(func(e centrifuge.SubscribingEvent) {
		event("subscribing", map[string]any{"channel": channel, "code": e.Code, "reason": e.Reason})
	})
	sub.OnSubscribed(func(e centrifuge.SubscribedEvent) {
		fields := map[string]any{"channel": channel, "recovered": e.Recovered, "wasRecovering": e.WasRecovering,
			"recoverable": e.Recoverable, "positioned": e.Positioned, "offset": uint64(0), "epoch": ""}
		if e.StreamPosition != nil {
			fields["offset"] = e.StreamPosition.Offset
			fields["epoch"] = e.StreamPosition.Epoch
		}
		event("subscribed", fields)
		if onSubscribed != nil {
			onSubscribed()
		}
	})
	sub.OnUnsubscribed(func(e centrifuge.UnsubscribedEvent) {
		event("unsubscribed", map[string]any{"channel": channel, "code": e.Code, "reason": e.Reason})
		if onRefused != nil {
			onRefused(e.Code, e.Reason)
		}
	})
	sub.OnError(func(e centrifuge.SubscriptionErrorEvent) {
		code, message := errorCode(e.Error)
		event("error", map[string]any{"channel": channel, "code": code, "message": message})
		var serverErr *centrifuge.Error
		if onRefused != nil && errors.As(e.Error, &serverErr) && !serverErr.Temporary {
			onRefused(serverErr.Code, serverErr.Message)
		}
	})
	sub.OnPublication(func(e centrifuge.PublicationEvent) {
		event("publication", map[string]any{"channel": channel, "offset": e.Offset, "data": b64(e.Data)})
	})
	sub.OnJoin(func(e centrifuge.JoinEvent) {
		logf("join %s: client %s user %s", channel, e.Client, e.User)
	})
	sub.OnLeave(func(e centrifuge.LeaveEvent) {
		logf("leave %s: client %s user %s", channel, e.Client, e.User)
	})
}

type program struct {
	client *centrifuge.Client
	sub    *centrifuge.Subscription // the subscription to --channel
}

func (p *program) run(id, verb string, args []string) (quit bool) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	switch verb {
	case "publish":
		if len(args) != 1 {
			break
		}
		data, err := base64.StdEncoding.DecodeString(args[0])
		if err != nil {
			event("reply", map[string]any{"id": id, "ok": false, "code": 0, "message": "bad base64: " + err.Error()})
			return
		}
		if _, err := p.sub.Publish(ctx, data); err != nil {
			replyErr(id, err)
			return
		}
		replyOK(id, map[string]any{})
		return
	case "presence":
		res, err := p.sub.Presence(ctx)
		if err != nil {
			replyErr(id, err)
			return
		}
		clients := make([]string, 0, len(res.Clients))
		for _, info := range res.Clients {
			clients = append(clients, info.Client)
		}
		sort.Strings(clients)
		replyOK(id, map[string]any{"clients": clients})
		return
	case "presence_stats":
		res, err := p.sub.PresenceStats(ctx)
		if err != nil {
			replyErr(id, err)
			return
		}
		replyOK(id, map[string]any{"numClients": res.NumClients, "numUsers": res.NumUsers})
		return
	case "history":
		if len(args) != 1 {
			break
		}
		limit, err := strconv.ParseInt(args[0], 10, 32)
		if err != nil {
			break
		}
		res, err := p.sub.History(ctx, centrifuge.WithHistoryLimit(int32(limit)))
		if err != nil {
			replyErr(id, err)
			return
		}
		offsets := make([]uint64, 0, len(res.Publications))
		data := make([]string, 0, len(res.Publications))
		for _, pub := range res.Publications {
			offsets = append(offsets, pub.Offset)
			data = append(data, b64(pub.Data))
		}
		replyOK(id, map[string]any{"offsets": offsets, "data": data, "epoch": res.Epoch, "offset": res.Offset})
		return
	case "subscribe":
		if len(args) != 1 {
			break
		}
		p.subscribe(ctx, id, args[0])
		return
	case "quit":
		p.client.Close()
		replyOK(id, map[string]any{})
		return true
	}
	event("reply", map[string]any{"id": id, "ok": false, "code": 0,
		"message": fmt.Sprintf("unknown command %q with %d arguments", verb, len(args))})
	return
}

// subscribe makes a second subscription and answers once the SDK says how it
// ended: subscribed, or refused with the server's code.
func (p *program) subscribe(ctx context.Context, id, channel string) {
	type outcome struct {
		code    uint32
		message string
		ok      bool
	}
	done := make(chan outcome, 4) // handlers never block on it
	sub, err := p.client.NewSubscription(channel)
	if err != nil {
		replyErr(id, err)
		return
	}
	watchSubscription(sub,
		func() { done <- outcome{ok: true} },
		func(code uint32, message string) { done <- outcome{code: code, message: message} })
	if err := sub.Subscribe(); err != nil {
		replyErr(id, err)
		return
	}
	select {
	case o := <-done:
		if o.ok {
			replyOK(id, map[string]any{})
		} else {
			event("reply", map[string]any{"id": id, "ok": false, "code": o.code, "message": o.message})
		}
	case <-ctx.Done():
		event("reply", map[string]any{"id": id, "ok": false, "code": 0, "message": "timeout"})
	}
}

func main() {
	url := flag.String("url", "", "ws:// address of the server's /connection/websocket")
	token := flag.String("token", "", "connection JWT")
	channel := flag.String("channel", "", "channel to subscribe to at start")
	format := flag.String("format", "json", "json or protobuf")
	flag.Parse()
	if *url == "" || *channel == "" || (*format != "json" && *format != "protobuf") {
		fmt.Fprintln(os.Stderr, "usage: sdk-go --url URL --token JWT --channel CHANNEL [--format json|protobuf]")
		os.Exit(2)
	}

	config := centrifuge.Config{Token: *token, Name: "herald-interop-go"}
	var client *centrifuge.Client
	if *format == "protobuf" {
		client = centrifuge.NewProtobufClient(*url, config)
	} else {
		client = centrifuge.NewJsonClient(*url, config)
	}
	client.OnConnecting(func(e centrifuge.ConnectingEvent) {
		logf("connecting: %d %s", e.Code, e.Reason)
	})
	client.OnConnected(func(e centrifuge.ConnectedEvent) {
		event("connected", map[string]any{"client": e.ClientID})
	})
	client.OnDisconnected(func(e centrifuge.DisconnectedEvent) {
		event("disconnected", map[string]any{"code": e.Code, "reason": e.Reason})
	})
	client.OnError(func(e centrifuge.ErrorEvent) {
		code, message := errorCode(e.Error)
		event("error", map[string]any{"code": code, "message": message})
	})

	sub, err := client.NewSubscription(*channel, centrifuge.SubscriptionConfig{
		Recoverable: true,
		Positioned:  true,
		JoinLeave:   true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk-go: cannot make the subscription:", err)
		os.Exit(1)
	}
	watchSubscription(sub, nil, nil)
	p := &program{client: client, sub: sub}
	if err := sub.Subscribe(); err != nil {
		fmt.Fprintln(os.Stderr, "sdk-go: subscribe:", err)
		os.Exit(1)
	}
	if err := client.Connect(); err != nil {
		fmt.Fprintln(os.Stderr, "sdk-go: connect:", err)
		os.Exit(1)
	}

	// Commands run concurrently (a history may wait while a publish is
	// answered); quit waits for none of them.
	quit := make(chan struct{})
	go func() {
		scanner := bufio.NewScanner(os.Stdin)
		scanner.Buffer(make([]byte, 1<<16), 1<<24)
		for scanner.Scan() {
			fields := strings.Fields(scanner.Text())
			if len(fields) < 2 {
				if len(fields) > 0 {
					logf("ignored a command without a verb: %q", scanner.Text())
				}
				continue
			}
			id, verb, args := fields[0], fields[1], fields[2:]
			if verb == "quit" {
				p.run(id, verb, args)
				close(quit)
				return
			}
			go p.run(id, verb, args)
		}
		// stdin closed: the driver is gone.
		client.Close()
		close(quit)
	}()
	<-quit
}
