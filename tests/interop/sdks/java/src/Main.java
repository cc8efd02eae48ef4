/*
 * Herald SDK interop: the official Centrifugo Java SDK as a line-protocol client.
 *
 * What it is
 *   A small client built on io.github.centrifugal:centrifuge-java 0.4.1 (the
 *   Java/Android SDK, which speaks only the Protobuf variant of the protocol).
 *   tests/interop/sdks/run_sdk_interop.py starts `herald serve`, starts this
 *   program, writes commands to its stdin and reads events from its stdout,
 *   following the line protocol every tests/interop/sdks/<sdk>/ program shares
 *   (tests/interop/sdks/README.md). The SDK does all the protocol work:
 *   connect, reconnect with backoff, resubscribe with recovery. This file only
 *   maps SDK callbacks and calls onto lines.
 *
 *   One subscription to --channel, recoverable, positioned and with
 *   join/leave (joins and leaves are shown as `log` lines). publish, presence,
 *   presence_stats and history go through that Subscription, so during a
 *   reconnect they wait (up to the timeout) for it to be subscribed again.
 *
 * Build and run
 *   tests/interop/sdks/java/install.sh    # from scripts/install-deps.sh: jars + javac
 *   tests/interop/sdks/java/run.sh --url ws://127.0.0.1:PORT/connection/websocket \
 *       --token JWT --channel CHANNEL [--format protobuf]
 *   `--format json` is refused with exit code 2: this SDK has no JSON mode.
 *
 * Events (stdout, one JSON object a line, flushed each)
 *   connected, disconnected, subscribing, subscribed, unsubscribed,
 *   publication, error, reply, log. Data is base64 of the raw bytes.
 * Commands (stdin, one a line): <id> publish <base64> | presence |
 *   presence_stats | history <limit> | subscribe <channel> | quit.
 *   `publish` without an argument publishes empty data (the server says 107).
 *   `subscribe` makes a second subscription with the SDK's default options.
 *   Each is answered by one reply line; one that cannot finish within 10 s
 *   is answered ok:false, code 0, "timeout". Server errors keep the code the
 *   SDK reports (ReplyError.getCode()).
 *
 * Threads: the SDK calls back on its own executor. No callback here waits on
 * anything: each only formats a line and queues it for the writer thread (Out),
 * which alone touches stdout, so event order is the SDK's callback order.
 */

import io.github.centrifugal.centrifuge.Client;
import io.github.centrifugal.centrifuge.ClientInfo;
import io.github.centrifugal.centrifuge.ConnectedEvent;
import io.github.centrifugal.centrifuge.ConnectingEvent;
import io.github.centrifugal.centrifuge.ConfigurationError;
import io.github.centrifugal.centrifuge.DisconnectedEvent;
import io.github.centrifugal.centrifuge.DuplicateSubscriptionException;
import io.github.centrifugal.centrifuge.ErrorEvent;
import io.github.centrifugal.centrifuge.EventListener;
import io.github.centrifugal.centrifuge.HistoryOptions;
import io.github.centrifugal.centrifuge.JoinEvent;
import io.github.centrifugal.centrifuge.LeaveEvent;
import io.github.centrifugal.centrifuge.Options;
import io.github.centrifugal.centrifuge.Publication;
import io.github.centrifugal.centrifuge.PublicationEvent;
import io.github.centrifugal.centrifuge.RefreshError;
import io.github.centrifugal.centrifuge.ReplyError;
import io.github.centrifugal.centrifuge.StreamPosition;
import io.github.centrifugal.centrifuge.SubscribedEvent;
import io.github.centrifugal.centrifuge.SubscribingEvent;
import io.github.centrifugal.centrifuge.Subscription;
import io.github.centrifugal.centrifuge.SubscriptionErrorEvent;
import io.github.centrifugal.centrifuge.SubscriptionEventListener;
import io.github.centrifugal.centrifuge.SubscriptionOptions;
import io.github.centrifugal.centrifuge.SubscriptionRefreshError;
import io.github.centrifugal.centrifuge.SubscriptionStateError;
import io.github.centrifugal.centrifuge.SubscriptionSubscribeError;
import io.github.centrifugal.centrifuge.SubscriptionTokenError;
import io.github.centrifugal.centrifuge.TokenError;
import io.github.centrifugal.centrifuge.UnclassifiedError;
import io.github.centrifugal.centrifuge.UnsubscribedEvent;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

public final class Main {
    static final int EXIT_USAGE = 2;
    static final long COMMAND_TIMEOUT_MS = 10_000;
    // The SDK's own per-command timeout; equal to ours, so a command that
    // hangs is answered "timeout" either way.
    static final int SDK_TIMEOUT_MS = 10_000;

    private final Out out;
    private final String channel;
    private final Client client;
    private final Subscription sub;
    // Timers for the 10 s command timeout: never the SDK's scheduler.
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "command-timeouts");
        t.setDaemon(true);
        return t;
    });

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv);
        Out out = new Out();
        out.start();
        Main main = new Main(args, out);
        main.start();
        main.serveCommands();
    }

    Main(Args args, Out out) throws DuplicateSubscriptionException {
        this.out = out;
        this.channel = args.channel;

        Options opts = new Options();
        opts.setToken(args.token);
        opts.setTimeout(SDK_TIMEOUT_MS);
        // Quick reconnects, as a test wants when it restarts the server.
        opts.setMinReconnectDelay(100);
        opts.setMaxReconnectDelay(1000);
        client = new Client(args.url, opts, new ClientEvents());

        SubscriptionOptions subOpts = new SubscriptionOptions();
        subOpts.setRecoverable(true);
        subOpts.setPositioned(true);
        subOpts.setJoinLeave(true);
        subOpts.setMinResubscribeDelay(100);
        subOpts.setMaxResubscribeDelay(1000);
        sub = client.newSubscription(channel, subOpts, new SubEvents(channel));
    }

    void start() {
        sub.subscribe();
        client.connect();
    }

    // Reads commands until `quit` or the end of stdin, then exits.
    void serveCommands() throws IOException, InterruptedException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length < 2) {
                out.emit(new Line("log").str("message", "ignored a command without a verb: " + line));
                continue;
            }
            Pending reply = new Pending(parts[0]);
            if (parts[1].equals("quit")) {
                shutdown();
                reply.ok();
                exit(0);
                return;
            }
            try {
                dispatch(reply, parts);
            } catch (RuntimeException e) {
                reply.fail(0, "command failed in the program: " + e);
            }
        }
        shutdown();
        exit(0);
    }

    private void dispatch(Pending reply, String[] parts) {
        String verb = parts[1];
        switch (verb) {
            case "publish": {
                if (parts.length > 3) {
                    reply.fail(0, "usage: <id> publish <base64>");
                    return;
                }
                byte[] data;
                try {
                    // No argument: empty data (the base64 of nothing), which
                    // the server refuses with 107.
                    data = Base64.getDecoder().decode(parts.length == 3 ? parts[2] : "");
                } catch (IllegalArgumentException e) {
                    reply.fail(0, "publish: data is not base64: " + e.getMessage());
                    return;
                }
                sub.publish(data, (err, result) -> {
                    if (err != null) {
                        reply.fail(err);
                    } else {
                        reply.ok();
                    }
                });
                return;
            }
            case "presence":
                sub.presence((err, result) -> {
                    if (err != null) {
                        reply.fail(err);
                        return;
                    }
                    List<String> clients = new ArrayList<>(result.getClients().keySet());
                    clients.sort(null);
                    reply.ok(line -> line.strs("clients", clients));
                });
                return;
            case "presence_stats":
                sub.presenceStats((err, result) -> {
                    if (err != null) {
                        reply.fail(err);
                        return;
                    }
                    reply.ok(line -> line.num("numClients", orZero(result.getNumClients()))
                            .num("numUsers", orZero(result.getNumUsers())));
                });
                return;
            case "history": {
                if (parts.length != 3) {
                    reply.fail(0, "usage: <id> history <limit>");
                    return;
                }
                int limit;
                try {
                    limit = Integer.parseInt(parts[2]);
                } catch (NumberFormatException e) {
                    reply.fail(0, "history: limit is not an integer: " + parts[2]);
                    return;
                }
                HistoryOptions opts = new HistoryOptions.Builder().withLimit(limit).build();
                sub.history(opts, (err, result) -> {
                    if (err != null) {
                        reply.fail(err);
                        return;
                    }
                    List<Long> offsets = new ArrayList<>();
                    List<String> data = new ArrayList<>();
                    for (Publication p : result.getPublications()) {
                        offsets.add(p.getOffset());
                        data.add(b64(p.getData()));
                    }
                    reply.ok(line -> line.nums("offsets", offsets).strs("data", data)
                            .str("epoch", result.getEpoch()).num("offset", result.getOffset()));
                });
                return;
            }
            case "subscribe": {
                if (parts.length != 3) {
                    reply.fail(0, "usage: <id> subscribe <channel>");
                    return;
                }
                SubEvents events = new SubEvents(parts[2]);
                events.pending = reply;
                Subscription extra;
                try {
                    // Plain options: the second channel may have no history.
                    extra = client.newSubscription(parts[2], new SubscriptionOptions(), events);
                } catch (DuplicateSubscriptionException e) {
                    reply.fail(0, "the SDK already has a subscription to " + parts[2]
                            + " (DuplicateSubscriptionException)");
                    return;
                }
                extra.subscribe();
                return;
            }
            default:
                reply.fail(0, "unknown command: " + verb);
        }
    }

    // Disconnects (the SDK sends its close frame) and stops the SDK's threads.
    private void shutdown() throws InterruptedException {
        client.close(2000);
    }

    private void exit(int status) throws InterruptedException {
        out.close();
        // OkHttp's threads are not daemons; leave without waiting for them.
        System.exit(status);
    }

    // ---- SDK callbacks -------------------------------------------------------

    private final class ClientEvents extends EventListener {
        @Override
        public void onConnecting(Client c, ConnectingEvent e) {
            out.emit(new Line("log").str("message",
                    "connecting: code " + e.getCode() + " " + e.getReason()));
        }

        @Override
        public void onConnected(Client c, ConnectedEvent e) {
            out.emit(new Line("connected").str("client", e.getClient()));
        }

        @Override
        public void onDisconnected(Client c, DisconnectedEvent e) {
            out.emit(new Line("disconnected").num("code", e.getCode()).str("reason", e.getReason()));
        }

        @Override
        public void onError(Client c, ErrorEvent e) {
            Failure f = Failure.of(e.getError());
            String message = f.message;
            if (e.getHttpResponseCode() != null) {
                message += " (HTTP " + e.getHttpResponseCode() + ")";
            }
            out.emit(new Line("error").num("code", f.code).str("message", message));
        }
    }

    private final class SubEvents extends SubscriptionEventListener {
        final String name;
        // The `subscribe` command waiting for this subscription's outcome.
        volatile Pending pending;

        SubEvents(String name) {
            this.name = name;
        }

        @Override
        public void onSubscribing(Subscription s, SubscribingEvent e) {
            out.emit(new Line("subscribing").str("channel", name).num("code", e.getCode())
                    .str("reason", e.getReason()));
        }

        @Override
        public void onSubscribed(Subscription s, SubscribedEvent e) {
            StreamPosition pos = e.getStreamPosition();
            out.emit(new Line("subscribed").str("channel", name)
                    .bool("recovered", Boolean.TRUE.equals(e.getRecovered()))
                    .bool("wasRecovering", Boolean.TRUE.equals(e.wasRecovering()))
                    .num("offset", Positions.offset(pos)).str("epoch", Positions.epoch(pos))
                    // What the server's subscribe reply said (beyond the line protocol).
                    .bool("recoverable", Boolean.TRUE.equals(e.getRecoverable()))
                    .bool("positioned", Boolean.TRUE.equals(e.getPositioned())));
            Pending p = pending;
            if (p != null) {
                pending = null;
                p.ok();
            }
        }

        @Override
        public void onUnsubscribed(Subscription s, UnsubscribedEvent e) {
            out.emit(new Line("unsubscribed").str("channel", name).num("code", e.getCode())
                    .str("reason", e.getReason()));
            Pending p = pending;
            if (p != null) {
                // After a refusal the SDK unsubscribes with the server's code.
                pending = null;
                p.fail(e.getCode(), e.getReason());
            }
            forgetRefused(s);
        }

        // A `subscribe` command's subscription that ended leaves the SDK's
        // registry, so the same command may be tried again. Done off this
        // callback: removeSubscription takes the SDK's subscription lock.
        private void forgetRefused(Subscription s) {
            if (s != sub) {
                timers.execute(() -> client.removeSubscription(s));
            }
        }

        @Override
        public void onError(Subscription s, SubscriptionErrorEvent e) {
            Failure f = Failure.of(e);
            out.emit(new Line("error").str("channel", name).num("code", f.code).str("message", f.message));
            Pending p = pending;
            // A refused subscribe: SubscriptionSubscribeError wrapping the
            // server's ReplyError. A temporary one is retried by the SDK.
            if (p != null && e.getError() instanceof SubscriptionSubscribeError && f.reply != null
                    && !f.reply.isTemporary()) {
                pending = null;
                p.fail(f.code, f.message);
            }
        }

        @Override
        public void onPublication(Subscription s, PublicationEvent e) {
            out.emit(new Line("publication").str("channel", name).num("offset", e.getOffset())
                    .str("data", b64(e.getData())));
        }

        @Override
        public void onJoin(Subscription s, JoinEvent e) {
            out.emit(new Line("log").str("message", "join " + name + " " + describe(e.getInfo())));
        }

        @Override
        public void onLeave(Subscription s, LeaveEvent e) {
            out.emit(new Line("log").str("message", "leave " + name + " " + describe(e.getInfo())));
        }
    }

    // ---- command replies -----------------------------------------------------

    // One command's reply: the first of ok, fail and the timeout wins.
    private final class Pending {
        final String id;
        private final AtomicBoolean done = new AtomicBoolean();
        private final ScheduledFuture<?> timer;

        Pending(String id) {
            this.id = id;
            this.timer = timers.schedule(() -> fail(0, "timeout"), COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }

        void ok() {
            ok(line -> { });
        }

        // `fields` adds the result's fields after "id" and "ok".
        void ok(Consumer<Line> fields) {
            if (done.compareAndSet(false, true)) {
                timer.cancel(false);
                Line line = new Line("reply").str("id", id).bool("ok", true);
                fields.accept(line);
                out.emit(line);
            }
        }

        void fail(int code, String message) {
            if (done.compareAndSet(false, true)) {
                timer.cancel(false);
                out.emit(new Line("reply").str("id", id).bool("ok", false).num("code", code)
                        .str("message", message));
            }
        }

        void fail(Throwable err) {
            Failure f = Failure.of(err);
            fail(f.code, f.message);
        }
    }

    // An SDK error as a code and a message: the server's code when the SDK
    // gives a ReplyError (possibly wrapped), else code 0.
    static final class Failure {
        final int code;
        final String message;
        final ReplyError reply;

        private Failure(int code, String message, ReplyError reply) {
            this.code = code;
            this.message = message;
            this.reply = reply;
        }

        static Failure of(Throwable t) {
            String wrappers = "";
            for (int depth = 0; t != null && depth < 8; depth++) {
                Throwable inner = unwrap(t);
                if (inner == null) {
                    break;
                }
                if (!(isFutureWrapper(t) || t instanceof SubscriptionErrorEvent)) {
                    wrappers += t.getClass().getSimpleName() + ": ";
                }
                t = inner;
            }
            if (t instanceof ReplyError) {
                ReplyError r = (ReplyError) t;
                return new Failure(r.getCode(), r.getMessage(), r);
            }
            if (t instanceof TimeoutException) {
                return new Failure(0, "timeout", null);
            }
            if (t instanceof SubscriptionStateError) {
                return new Failure(0, wrappers + "subscription is "
                        + ((SubscriptionStateError) t).getState(), null);
            }
            String text = t == null ? "unknown error" : t.getClass().getName()
                    + (t.getMessage() == null ? "" : ": " + t.getMessage());
            return new Failure(0, wrappers + text, null);
        }

        private static Throwable unwrap(Throwable t) {
            if (t instanceof SubscriptionErrorEvent) return ((SubscriptionErrorEvent) t).getError();
            if (t instanceof SubscriptionSubscribeError) return ((SubscriptionSubscribeError) t).getError();
            if (t instanceof SubscriptionRefreshError) return ((SubscriptionRefreshError) t).getError();
            if (t instanceof SubscriptionTokenError) return ((SubscriptionTokenError) t).getError();
            if (t instanceof TokenError) return ((TokenError) t).getError();
            if (t instanceof RefreshError) return ((RefreshError) t).getError();
            if (t instanceof UnclassifiedError) return ((UnclassifiedError) t).getError();
            if (t instanceof ConfigurationError) return ((ConfigurationError) t).getError();
            if (isFutureWrapper(t)) return t.getCause();
            return null;
        }

        // The futures' wrappers: java.util.concurrent's, and those of the
        // CompletableFuture backport (java8.util.concurrent) the SDK uses.
        private static boolean isFutureWrapper(Throwable t) {
            if (t instanceof CompletionException || t instanceof ExecutionException) return true;
            String name = t.getClass().getName();
            return name.equals("java8.util.concurrent.CompletionException")
                    || name.equals("java8.util.concurrent.ExecutionException");
        }
    }

    // StreamPosition's getters are package-private in 0.4.1 (the SDK reads
    // them itself but does not export them), so read them reflectively.
    static final class Positions {
        private static final Method OFFSET = accessible("getOffset");
        private static final Method EPOCH = accessible("getEpoch");

        private static Method accessible(String name) {
            try {
                Method m = StreamPosition.class.getDeclaredMethod(name);
                m.setAccessible(true);
                return m;
            } catch (ReflectiveOperationException | RuntimeException e) {
                System.err.println("sdk-java: cannot read StreamPosition." + name + ": " + e);
                return null;
            }
        }

        static long offset(StreamPosition p) {
            Object v = call(OFFSET, p);
            return v instanceof Long ? (Long) v : 0L;
        }

        static String epoch(StreamPosition p) {
            Object v = call(EPOCH, p);
            return v instanceof String ? (String) v : "";
        }

        private static Object call(Method m, StreamPosition p) {
            if (m == null || p == null) {
                return null;
            }
            try {
                return m.invoke(p);
            } catch (ReflectiveOperationException e) {
                return null;
            }
        }
    }

    static String b64(byte[] data) {
        return Base64.getEncoder().encodeToString(data == null ? new byte[0] : data);
    }

    static long orZero(Integer v) {
        return v == null ? 0 : v;
    }

    static String describe(ClientInfo info) {
        return info == null ? "(no info)" : "client=" + info.getClient() + " user=" + info.getUser();
    }

    // ---- arguments -----------------------------------------------------------

    static final class Args {
        String url;
        String token;
        String channel;
        String format = "protobuf";

        static Args parse(String[] argv) {
            Args a = new Args();
            for (int i = 0; i < argv.length; i++) {
                String name = argv[i];
                String value;
                int eq = name.indexOf('=');
                if (name.startsWith("--") && eq > 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else if (i + 1 < argv.length) {
                    value = argv[++i];
                } else {
                    usage("missing a value after " + name);
                    return a;
                }
                switch (name) {
                    case "--url": a.url = value; break;
                    case "--token": a.token = value; break;
                    case "--channel": a.channel = value; break;
                    case "--format": a.format = value; break;
                    default: usage("unknown argument " + name);
                }
            }
            if (a.format.equals("json")) {
                System.err.println("sdk-java: --format json is not supported: the Centrifugo Java SDK "
                        + "(centrifuge-java 0.4.1) speaks only the Protobuf protocol; use --format protobuf");
                System.exit(EXIT_USAGE);
            }
            if (!a.format.equals("protobuf")) {
                usage("unknown --format " + a.format + " (only protobuf)");
            }
            if (a.url == null || a.token == null || a.channel == null) {
                usage("--url, --token and --channel are required");
            }
            return a;
        }

        static void usage(String why) {
            System.err.println("sdk-java: " + why + "\nusage: run.sh --url ws://HOST:PORT/connection/websocket"
                    + " --token JWT --channel CHANNEL [--format protobuf]");
            System.exit(EXIT_USAGE);
        }
    }

    // ---- output --------------------------------------------------------------

    // The only writer of stdout: lines are queued by any thread and written,
    // one flush each, by one thread, so no SDK callback waits on the pipe.
    static final class Out extends Thread {
        private static final String STOP = "\u0000stop";
        private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        private final OutputStream stream =
                new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);

        Out() {
            super("stdout-writer");
            setDaemon(true);
        }

        void emit(Line line) {
            queue.add(line.toString());
        }

        // Writes what is queued, then stops.
        void close() throws InterruptedException {
            queue.add(STOP);
            join(5000);
        }

        @Override
        public void run() {
            try {
                for (;;) {
                    String line = queue.take();
                    if (line == STOP) {
                        return;
                    }
                    // Line escapes everything outside ASCII, so any charset would do.
                    stream.write(line.getBytes(StandardCharsets.US_ASCII));
                    stream.write('\n');
                    stream.flush();
                }
            } catch (InterruptedException | IOException e) {
                // stdout is gone (the driver left): nothing more can be said.
            }
        }
    }

    // A JSON object built field by field; strings are escaped to ASCII.
    static final class Line {
        private final StringBuilder sb = new StringBuilder(128);

        Line(String event) {
            sb.append('{');
            str("event", event);
        }

        Line str(String key, String value) {
            key(key);
            quote(value == null ? "" : value);
            return this;
        }

        Line num(String key, long value) {
            key(key);
            sb.append(value);
            return this;
        }

        Line bool(String key, boolean value) {
            key(key);
            sb.append(value);
            return this;
        }

        Line strs(String key, Collection<String> values) {
            key(key);
            sb.append('[');
            boolean first = true;
            for (String v : values) {
                if (!first) sb.append(',');
                first = false;
                quote(v);
            }
            sb.append(']');
            return this;
        }

        Line nums(String key, Collection<Long> values) {
            key(key);
            sb.append('[');
            boolean first = true;
            for (Long v : values) {
                if (!first) sb.append(',');
                first = false;
                sb.append(v);
            }
            sb.append(']');
            return this;
        }

        @Override
        public String toString() {
            return sb + "}";
        }

        private void key(String key) {
            if (sb.length() > 1) sb.append(',');
            quote(key);
            sb.append(':');
        }

        private void quote(String s) {
            appendQuoted(sb, s);
        }

        private static void appendQuoted(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"': sb.append("\\\""); break;
                    case '\\': sb.append("\\\\"); break;
                    case '\n': sb.append("\\n"); break;
                    case '\r': sb.append("\\r"); break;
                    case '\t': sb.append("\\t"); break;
                    default:
                        if (c < 0x20 || c > 0x7e) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                }
            }
            sb.append('"');
        }
    }
}
