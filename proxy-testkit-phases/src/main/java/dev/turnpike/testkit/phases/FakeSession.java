package dev.turnpike.testkit.phases;

import dev.turnpike.api.HostPort;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.TlsInfo;
import java.net.InetSocketAddress;

/**
 * One request as the phases see it, set up by the test: method, target, headers, client and local
 * address, TLS, forward target, body framing. Then the {@link PhaseHarness} (or the test itself)
 * moves it through the phases: {@link #enter(Phase)} says which phase runs, and the heads follow
 * the runtime's edit rules for it:
 * <ul>
 *   <li>the client's head ({@link #request()}) is editable in {@code request_filter} and in
 *       {@code upstream_peer} until the first attempt's head is made ({@link #startAttempt()});</li>
 *   <li>an attempt's head ({@link #upstreamRequest()}) is editable in
 *       {@code upstream_request_filter} only;</li>
 *   <li>a backend's response head ({@link #upstreamResponse}) in {@code response_filter} only; a
 *       response a plugin answered with never.</li>
 * </ul>
 * An edit outside its phase throws {@link IllegalStateException}. Before any {@code enter} (a
 * session used on its own, the test calling the plugin's methods directly) the phase is unknown and
 * every head that exists is editable, except the client's once an attempt started.
 *
 * <p>Defaults: {@code GET /} over HTTP/1.1 from {@code 192.0.2.10:40000} to {@code 127.0.0.1:8080},
 * no headers, no body, cleartext, request id {@code test-request}. The setters return the session,
 * to chain; the setters of how the request ended ({@link #status(int)}, {@link #error(ProxyError)},
 * ...) let a test of {@code logging} state what the runtime would. Not thread-safe, as a real
 * session is confined to one event loop: use one per thread.
 */
public final class FakeSession implements Session {

    private final FakeRequestHead request;
    private FakeRequestHead upstreamRequest;
    private FakeResponseHead response;
    private Phase phase;
    private boolean between;
    private String requestId = "test-request";
    private InetSocketAddress clientAddress = address("192.0.2.10", 40000);
    private InetSocketAddress localAddress = address("127.0.0.1", 8080);
    private TlsInfo tls;
    private long connectionRequestIndex;
    private HostPort forwardTarget;
    private Peer peer;
    private FakeEventLoop executor;
    private long startNanos;
    private int status;
    private ProxyError error;
    private String respondedBy;
    private int upstreamStatus;
    private int upstreamAttempts;
    private long requestBodyBytes;
    private long responseBodyBytes;

    private FakeSession(String method, String uri) {
        this.request = FakeRequestHead.client(method, uri, this::whyClientReadOnly);
    }

    /** A request with this method and target ({@code /path?query}, or an absolute form for a forward request). */
    public static FakeSession request(String method, String uri) {
        return new FakeSession(method, uri);
    }

    /** {@code GET uri}. */
    public static FakeSession get(String uri) {
        return new FakeSession("GET", uri);
    }

    /** {@code GET /} from {@code clientIp} (an IP literal). */
    public static FakeSession from(String clientIp) {
        return get("/").client(clientIp);
    }

    // ---- the request, as the client sent it ----

    public FakeSession method(String method) {
        request.initialMethod(method);
        return this;
    }

    /** The request target as received: {@code /path?query}. */
    public FakeSession uri(String uri) {
        request.initialUri(uri);
        return this;
    }

    /** {@code HTTP/1.1} or {@code HTTP/1.0}. */
    public FakeSession version(String version) {
        request.version(version);
        return this;
    }

    /** Adds a request header, as the client sent it (not a plugin's edit: allowed in any phase). */
    public FakeSession header(String name, String value) {
        request.headers().append(name, value);
        return this;
    }

    /** Adds request headers from alternating names and values. */
    public FakeSession headers(String... namesAndValues) {
        request.headers().addAll(namesAndValues);
        return this;
    }

    /** How the client framed its body: 0 for none, a Content-Length, or -1 for chunked. */
    public FakeSession bodyLength(long length) {
        request.initialBodyLength(length);
        return this;
    }

    /** The client's address: an IP literal (no name lookup), port 40000. */
    public FakeSession client(String ip) {
        return client(ip, 40000);
    }

    public FakeSession client(String ip, int port) {
        return clientAddress(address(ip, port));
    }

    /** The client's address as given; {@code null} for a request whose peer is unknown. */
    public FakeSession clientAddress(InetSocketAddress address) {
        this.clientAddress = address;
        return this;
    }

    public FakeSession localAddress(InetSocketAddress address) {
        this.localAddress = address;
        return this;
    }

    /** The client connection's TLS ({@code null}: cleartext). */
    public FakeSession tls(TlsInfo tls) {
        this.tls = tls;
        return this;
    }

    public FakeSession requestId(String requestId) {
        this.requestId = requestId;
        return this;
    }

    public FakeSession connectionRequestIndex(long index) {
        this.connectionRequestIndex = index;
        return this;
    }

    /** Makes this a forward request to {@code target} (CONNECT or an absolute-form target). */
    public FakeSession forwardTarget(HostPort target) {
        this.forwardTarget = target;
        return this;
    }

    /** The loop {@link #executor()} returns; by default one of the session's own, made on first use. */
    public FakeSession executor(FakeEventLoop loop) {
        this.executor = loop;
        this.startNanos = loop.nanoTime();
        return this;
    }

    // ---- what the phases did, as the runtime records it ----

    /** The chosen peer (set by the harness from {@code upstream_peer}; a test may set it to start later). */
    public FakeSession peer(Peer peer) {
        this.peer = peer;
        return this;
    }

    /**
     * Makes the next attempt's upstream head from the client's head as it is now, as the runtime does
     * before each {@code upstream_request_filter}, and counts the attempt. From now on the client's
     * head is read-only.
     */
    public FakeRequestHead startAttempt() {
        upstreamRequest = FakeRequestHead.upstreamOf(request, this::whyUpstreamReadOnly);
        upstreamAttempts++;
        return upstreamRequest;
    }

    /**
     * The backend answered: its response head, with this status and headers (alternating names and
     * values), editable in {@code response_filter}. Sets {@link #upstreamStatus()} and
     * {@link #status()}. Its body is framed chunked ({@link FakeResponseHead#bodyLength()} -1).
     */
    public FakeResponseHead upstreamResponse(int status, String... headers) {
        response = FakeResponseHead.fromBackend(status, -1, this::whyResponseReadOnly, headers);
        upstreamStatus = status;
        this.status = status;
        return response;
    }

    /** A plugin ({@code pluginId}), or the runtime ({@code null}), answered with {@code r}: it goes to the client as given. */
    public FakeSession answered(Response r, String pluginId) {
        response = FakeResponseHead.of(r);
        status = r.status();
        respondedBy = pluginId;
        return this;
    }

    public FakeSession status(int status) {
        this.status = status;
        return this;
    }

    public FakeSession upstreamStatus(int status) {
        this.upstreamStatus = status;
        return this;
    }

    public FakeSession error(ProxyError error) {
        this.error = error;
        return this;
    }

    public FakeSession upstreamAttempts(int attempts) {
        this.upstreamAttempts = attempts;
        return this;
    }

    public FakeSession requestBodyBytes(long bytes) {
        this.requestBodyBytes = bytes;
        return this;
    }

    public FakeSession responseBodyBytes(long bytes) {
        this.responseBodyBytes = bytes;
        return this;
    }

    /** Says which phase runs now: the heads' edit rules follow it. */
    public FakeSession enter(Phase phase) {
        this.phase = phase;
        this.between = false;
        return this;
    }

    /**
     * The phase has returned: until the next {@link #enter}, no head may be edited (a plugin that
     * kept a head past its phase gets {@link IllegalStateException}, as from the runtime's).
     */
    public FakeSession leave() {
        this.between = true;
        return this;
    }

    /** The phase running now, or the last one after {@link #leave}; {@code null} before any {@link #enter}. */
    public Phase phase() {
        return phase;
    }

    // ---- Session ----

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return clientAddress;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public TlsInfo tls() {
        return tls;
    }

    @Override
    public long connectionRequestIndex() {
        return connectionRequestIndex;
    }

    @Override
    public FakeRequestHead request() {
        return request;
    }

    @Override
    public FakeRequestHead upstreamRequest() {
        return upstreamRequest;
    }

    @Override
    public FakeResponseHead response() {
        return response;
    }

    @Override
    public Peer peer() {
        return peer;
    }

    @Override
    public HostPort forwardTarget() {
        return forwardTarget;
    }

    @Override
    public FakeEventLoop executor() {
        if (executor == null) {
            executor = new FakeEventLoop();
        }
        return executor;
    }

    @Override
    public long startNanos() {
        return startNanos;
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public ProxyError error() {
        return error;
    }

    @Override
    public String respondedBy() {
        return respondedBy;
    }

    @Override
    public int upstreamStatus() {
        return upstreamStatus;
    }

    @Override
    public int upstreamAttempts() {
        return upstreamAttempts;
    }

    @Override
    public long requestBodyBytes() {
        return requestBodyBytes;
    }

    @Override
    public long responseBodyBytes() {
        return responseBodyBytes;
    }

    // ---- the edit rules ----

    private static final String BETWEEN = "no phase is running: a head may be edited only while its phase runs";

    private String whyClientReadOnly() {
        if (between) {
            return BETWEEN;
        }
        if (upstreamRequest != null) {
            return "the client's request head is read-only once upstream_peer chose a backend;"
                    + " edit session.upstreamRequest() in upstream_request_filter";
        }
        if (phase == null || phase == Phase.REQUEST_FILTER || phase == Phase.UPSTREAM_PEER) {
            return null;
        }
        return "the client's request head may be edited in request_filter and the first upstream_peer only, not in "
                + phase.label();
    }

    private String whyUpstreamReadOnly() {
        if (between) {
            return BETWEEN;
        }
        return phase == null || phase == Phase.UPSTREAM_REQUEST_FILTER ? null
                : "the upstream request head may be edited in upstream_request_filter only";
    }

    private String whyResponseReadOnly() {
        if (between) {
            return BETWEEN;
        }
        return phase == null || phase == Phase.RESPONSE_FILTER ? null
                : "the response head may be edited in response_filter only";
    }

    private static InetSocketAddress address(String ip, int port) {
        return FakeConnectionSession.address(ip, port);
    }

    @Override
    public String toString() {
        return request + (phase == null ? "" : " in " + phase.label());
    }
}
