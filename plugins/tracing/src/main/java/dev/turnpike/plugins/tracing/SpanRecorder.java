package dev.turnpike.plugins.tracing;

import static dev.turnpike.plugins.tracing.SpanNames.ATTEMPT;
import static dev.turnpike.plugins.tracing.SpanNames.CLIENT_ADDRESS;
import static dev.turnpike.plugins.tracing.SpanNames.CLIENT_PORT;
import static dev.turnpike.plugins.tracing.SpanNames.CONNECTION_REUSED;
import static dev.turnpike.plugins.tracing.SpanNames.ERROR_TYPE;
import static dev.turnpike.plugins.tracing.SpanNames.HTTP_REQUEST_BODY_SIZE;
import static dev.turnpike.plugins.tracing.SpanNames.HTTP_REQUEST_METHOD;
import static dev.turnpike.plugins.tracing.SpanNames.HTTP_REQUEST_METHOD_ORIGINAL;
import static dev.turnpike.plugins.tracing.SpanNames.HTTP_REQUEST_RESEND_COUNT;
import static dev.turnpike.plugins.tracing.SpanNames.HTTP_RESPONSE_BODY_SIZE;
import static dev.turnpike.plugins.tracing.SpanNames.HTTP_RESPONSE_STATUS_CODE;
import static dev.turnpike.plugins.tracing.SpanNames.INCOMING_IGNORED;
import static dev.turnpike.plugins.tracing.SpanNames.NETWORK_PEER_ADDRESS;
import static dev.turnpike.plugins.tracing.SpanNames.NETWORK_PEER_PORT;
import static dev.turnpike.plugins.tracing.SpanNames.NETWORK_PROTOCOL_VERSION;
import static dev.turnpike.plugins.tracing.SpanNames.REQUEST_ID;
import static dev.turnpike.plugins.tracing.SpanNames.RESPONDED_BY;
import static dev.turnpike.plugins.tracing.SpanNames.SERVER_ADDRESS;
import static dev.turnpike.plugins.tracing.SpanNames.SERVER_PORT;
import static dev.turnpike.plugins.tracing.SpanNames.UPSTREAM_ATTEMPTS;
import static dev.turnpike.plugins.tracing.SpanNames.URL_FULL;
import static dev.turnpike.plugins.tracing.SpanNames.URL_PATH;
import static dev.turnpike.plugins.tracing.SpanNames.URL_SCHEME;
import static dev.turnpike.plugins.tracing.SpanNames.USER_AGENT_ORIGINAL;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamConnection;
import dev.turnpike.api.UpstreamFailure;
import dev.turnpike.api.metrics.Counter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.Clock;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What the phases do to a request's spans: start the SERVER span from the client's trace context
 * (or a new trace), a CLIENT span per upstream attempt whose context goes upstream, and end them
 * with the outcome. Every span is started with an explicit parent ({@link Context#root()} for a new
 * trace), so the SDK never looks at the current thread's context.
 *
 * <p>Thread-safe (it holds only immutable configuration, the tracer and a counter); each call runs
 * on the event loop of the request whose {@link RequestTrace} it is given.
 */
final class SpanRecorder {

    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

    private final Tracer tracer;
    private final boolean trustIncoming;
    private final Counter ended;
    private final Clock clock = Clock.getDefault();
    /** The clock {@link Session#startNanos()} is read on: {@link System#nanoTime()} in the proxy. */
    private final LongSupplier nanoTime;

    SpanRecorder(Tracer tracer, boolean trustIncoming, Counter ended, LongSupplier nanoTime) {
        this.tracer = tracer;
        this.trustIncoming = trustIncoming;
        this.ended = ended;
        this.nanoTime = nanoTime;
    }

    /**
     * Runs the span path once on a span nobody records (its parent says "not sampled"), so that the
     * SDK's classes load and its context storage is looked up (a ServiceLoader scan) now, on the
     * management thread, and not on an event loop with the first request. Exports nothing.
     */
    void warmUp() {
        SpanContext unsampled = SpanContext.createFromRemoteParent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                TraceFlags.getDefault(), TraceState.getDefault());
        Span span = tracer.spanBuilder("warm-up")
                .setSpanKind(SpanKind.SERVER)
                .setParent(Context.root().with(Span.wrap(unsampled)))
                .setAttribute(HTTP_REQUEST_METHOD, "GET")
                .startSpan();
        span.setStatus(StatusCode.ERROR);
        span.end();
    }

    /**
     * Starts the SERVER span, once per request: as a child of the client's {@code traceparent} when
     * it is trusted and valid, otherwise as the root of a new trace (linked to the client's context
     * when that was valid but not trusted). Its start is when the request head had been read.
     */
    void startServer(Session session, RequestTrace trace) {
        if (trace.server != null) {
            return;
        }
        RequestHead request = session.request();
        SpanContext incoming = Span.fromContext(W3C.extract(Context.root(), request.headers(), HeaderCarrier.INSTANCE))
                .getSpanContext();
        Context parent = Context.root();
        String method = request.method();
        SpanBuilder b = tracer.spanBuilder(SpanNames.spanName(method))
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(epochNanosAt(session.startNanos()), TimeUnit.NANOSECONDS);
        if (incoming.isValid()) {
            if (trustIncoming) {
                parent = parent.with(Span.wrap(incoming));
            } else {
                b.addLink(incoming);
                b.setAttribute(INCOMING_IGNORED, true);
            }
        }
        b.setParent(parent);
        method(b, method);
        b.setAttribute(URL_PATH, request.path());
        b.setAttribute(URL_SCHEME, session.isTls() ? "https" : "http");
        serverAddress(b, session);
        InetSocketAddress client = session.clientAddress();
        if (client != null && client.getAddress() != null) {
            b.setAttribute(CLIENT_ADDRESS, client.getAddress().getHostAddress());
            b.setAttribute(CLIENT_PORT, (long) client.getPort());
        }
        String agent = request.headers().get("User-Agent");
        if (agent != null) {
            b.setAttribute(USER_AGENT_ORIGINAL, agent);
        }
        b.setAttribute(NETWORK_PROTOCOL_VERSION, protocolVersion(request.version()));
        b.setAttribute(REQUEST_ID, session.requestId());
        trace.server = b.startSpan();
        trace.serverContext = parent.with(trace.server);
    }

    /**
     * Starts the CLIENT span of a new attempt (ending one still open, which cannot normally be) and
     * writes its context into the upstream head, replacing whatever trace context the client sent.
     */
    void startAttempt(Session session, RequestTrace trace) {
        startServer(session, trace);
        if (trace.attempt != null) {
            end(trace.attempt);
        }
        int n = ++trace.attempts;
        RequestHead upstream = session.upstreamRequest();
        Peer peer = session.peer();
        String method = upstream.method();
        SpanBuilder b = tracer.spanBuilder(SpanNames.spanName(method))
                .setSpanKind(SpanKind.CLIENT)
                .setParent(trace.serverContext)
                .setAttribute(ATTEMPT, (long) n);
        method(b, method);
        if (n > 1) {
            b.setAttribute(HTTP_REQUEST_RESEND_COUNT, (long) (n - 1));
        }
        if (peer != null) {
            b.setAttribute(SERVER_ADDRESS, peer.host());
            b.setAttribute(SERVER_PORT, (long) peer.port());
            b.setAttribute(URL_FULL, (peer.tls() ? "https://" : "http://") + peer.address() + upstream.uri());
        }
        trace.attempt = b.startSpan();
        upstream.headers().remove(HeaderCarrier.TRACEPARENT);
        upstream.headers().remove(HeaderCarrier.TRACESTATE);
        W3C.inject(trace.serverContext.with(trace.attempt), upstream.headers(), HeaderCarrier.INSTANCE);
    }

    /** The attempt has its connection: where it really goes, and whether it was pooled. */
    void connected(RequestTrace trace, UpstreamConnection connection) {
        Span span = trace.attempt;
        if (span == null) {
            return;
        }
        InetSocketAddress remote = connection.remoteAddress();
        if (remote != null) {
            span.setAttribute(NETWORK_PEER_ADDRESS, remote.getAddress() != null
                    ? remote.getAddress().getHostAddress() : remote.getHostString());
            span.setAttribute(NETWORK_PEER_PORT, (long) remote.getPort());
        }
        span.setAttribute(CONNECTION_REUSED, connection.reused());
    }

    /** The attempt failed (to connect, or while proxying): its span ends with the error. */
    void attemptFailed(RequestTrace trace, UpstreamFailure failure) {
        Span span = trace.attempt;
        if (span == null) {
            return;
        }
        span.setAttribute(ERROR_TYPE, failure.kind().label());
        span.setStatus(StatusCode.ERROR, failure.error().message());
        end(span);
        trace.attempt = null;
    }

    /** The backend's response head arrived: the attempt's status (the span ends with the exchange). */
    void upstreamAnswered(Session session, RequestTrace trace) {
        Span span = trace.attempt;
        int status = session.upstreamStatus();
        if (span == null || status == 0) {
            return;
        }
        span.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) status);
        if (status >= 400) {
            // For a client span every 4xx and 5xx is the call's failure.
            span.setAttribute(ERROR_TYPE, Integer.toString(status));
            span.setStatus(StatusCode.ERROR);
        }
    }

    /**
     * The exchange is over: ends the attempt still open and the SERVER span (starting it first when
     * this plugin's request_filter never ran, because a plugin before it answered).
     */
    void finish(Session session, RequestTrace trace) {
        if (trace.finished) {
            return;
        }
        startServer(session, trace);
        ProxyError error = session.error();
        if (trace.attempt != null) {
            if (error != null) {
                trace.attempt.setAttribute(ERROR_TYPE, error.kind().label());
                trace.attempt.setStatus(StatusCode.ERROR, error.message());
            }
            end(trace.attempt);
            trace.attempt = null;
        }
        Span server = trace.server;
        int status = session.status();
        if (status > 0) {
            server.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) status);
        }
        if (error != null) {
            server.setAttribute(ERROR_TYPE, error.kind().label());
            server.setStatus(StatusCode.ERROR, error.message());
        } else if (status >= 500) {
            // For a server span only 5xx is the server's failure; a 4xx is the client's.
            server.setAttribute(ERROR_TYPE, Integer.toString(status));
            server.setStatus(StatusCode.ERROR);
        }
        server.setAttribute(UPSTREAM_ATTEMPTS, (long) session.upstreamAttempts());
        if (session.respondedBy() != null) {
            server.setAttribute(RESPONDED_BY, session.respondedBy());
        }
        server.setAttribute(HTTP_REQUEST_BODY_SIZE, session.requestBodyBytes());
        server.setAttribute(HTTP_RESPONSE_BODY_SIZE, session.responseBodyBytes());
        end(server);
        trace.finished = true;
    }

    private void end(Span span) {
        if (span.isRecording()) {
            ended.inc();
        }
        span.end();
    }

    /** The wall-clock time, in epoch nanoseconds, of a reading of {@link #nanoTime}. */
    private long epochNanosAt(long then) {
        return clock.now() - Math.max(0, nanoTime.getAsLong() - then);
    }

    private static void method(SpanBuilder b, String method) {
        if (SpanNames.knownMethod(method)) {
            b.setAttribute(HTTP_REQUEST_METHOD, method);
        } else {
            b.setAttribute(HTTP_REQUEST_METHOD, "_OTHER");
            b.setAttribute(HTTP_REQUEST_METHOD_ORIGINAL, method);
        }
    }

    /** {@code server.address}/{@code server.port}: the Host the client asked for (or the forward target), else the listener. */
    private static void serverAddress(SpanBuilder b, Session session) {
        HostPort target = session.forwardTarget();
        if (target != null) {
            b.setAttribute(SERVER_ADDRESS, target.host());
            b.setAttribute(SERVER_PORT, (long) target.port());
            return;
        }
        String host = session.request().host();
        int defaultPort = session.isTls() ? 443 : 80;
        if (host != null && !host.isEmpty()) {
            HostPort hp = hostAndPort(host, defaultPort);
            b.setAttribute(SERVER_ADDRESS, hp.host());
            b.setAttribute(SERVER_PORT, (long) hp.port());
            return;
        }
        InetSocketAddress local = session.localAddress();
        if (local != null) {
            b.setAttribute(SERVER_ADDRESS, local.getHostString());
            b.setAttribute(SERVER_PORT, (long) local.getPort());
        }
    }

    /** A Host header's host and port ({@code [v6]:port} too); the default port when none is written or it is not a number. */
    static HostPort hostAndPort(String host, int defaultPort) {
        int colon = host.lastIndexOf(':');
        boolean bracketed = host.startsWith("[");
        int close = host.indexOf(']');
        if (colon < 0 || (bracketed && colon < close)) {
            return new HostPort(bracketed && close > 0 ? host.substring(1, close) : host, defaultPort);
        }
        String name = bracketed && close > 0 ? host.substring(1, close) : host.substring(0, colon);
        try {
            int port = Integer.parseInt(host.substring(colon + 1));
            return new HostPort(name, port > 0 && port <= 65535 ? port : defaultPort);
        } catch (NumberFormatException e) {
            return new HostPort(name, defaultPort);
        }
    }

    /** {@code HTTP/1.1} → {@code 1.1}. */
    private static String protocolVersion(String version) {
        return version != null && version.startsWith("HTTP/") ? version.substring(5) : String.valueOf(version);
    }
}
