package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.TlsInfo;
import dev.turnpike.testkit.phases.FakeSession;
import java.net.InetSocketAddress;

/**
 * A {@link FakeSession} whose {@link #executor()} is a {@link RealLoop}: the fake's loop runs on
 * virtual time, and store: redis is tested against a real server answering in real time.
 */
final class LoopSession implements Session {

    private final FakeSession s;
    private final EventLoopExecutor loop;

    LoopSession(FakeSession s, EventLoopExecutor loop) {
        this.s = s;
        this.loop = loop;
    }

    static LoopSession from(String ip, EventLoopExecutor loop) {
        return new LoopSession(FakeSession.from(ip), loop);
    }

    @Override public EventLoopExecutor executor() { return loop; }
    @Override public String requestId() { return s.requestId(); }
    @Override public InetSocketAddress clientAddress() { return s.clientAddress(); }
    @Override public InetSocketAddress localAddress() { return s.localAddress(); }
    @Override public TlsInfo tls() { return s.tls(); }
    @Override public long connectionRequestIndex() { return s.connectionRequestIndex(); }
    @Override public RequestHead request() { return s.request(); }
    @Override public RequestHead upstreamRequest() { return s.upstreamRequest(); }
    @Override public ResponseHead response() { return s.response(); }
    @Override public Peer peer() { return s.peer(); }
    @Override public long startNanos() { return s.startNanos(); }
    @Override public int status() { return s.status(); }
    @Override public ProxyError error() { return s.error(); }
    @Override public String respondedBy() { return s.respondedBy(); }
    @Override public int upstreamStatus() { return s.upstreamStatus(); }
    @Override public int upstreamAttempts() { return s.upstreamAttempts(); }
    @Override public long requestBodyBytes() { return s.requestBodyBytes(); }
    @Override public long responseBodyBytes() { return s.responseBodyBytes(); }
}
