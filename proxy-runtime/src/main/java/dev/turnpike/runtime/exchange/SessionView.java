package dev.turnpike.runtime.exchange;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import io.netty.handler.codec.http.HttpResponse;
import java.net.InetSocketAddress;

/**
 * The request as plugins see it: a read-through view of the request's state, and nothing else (no
 * Netty listener, no engine callback), so a plugin holding it can do no more than the API says.
 */
final class SessionView implements Session {

    private final RequestFacts facts;
    private final Attempts attempts;
    private final Downstream client;
    private final RequestView clientHead;
    private final RequestBody body;
    private final ResponseRelay relay;
    private final ResponseWriter writer;
    /** The view of a head the proxy wrote itself, made when first asked for. */
    private ResponseView local;

    SessionView(RequestFacts facts, Attempts attempts, Downstream client, RequestView clientHead, RequestBody body, ResponseRelay relay,
                ResponseWriter writer) {
        this.facts = facts;
        this.attempts = attempts;
        this.client = client;
        this.clientHead = clientHead;
        this.body = body;
        this.relay = relay;
        this.writer = writer;
    }

    @Override
    public String requestId() {
        return facts.requestId;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return (InetSocketAddress) client.channel().remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) client.channel().localAddress();
    }

    @Override
    public dev.turnpike.api.TlsInfo tls() {
        return client.tls();
    }

    @Override
    public long connectionRequestIndex() {
        return facts.index;
    }

    @Override
    public RequestHead request() {
        return clientHead;
    }

    @Override
    public RequestHead upstreamRequest() {
        return facts.upstreamHead;
    }

    @Override
    public ResponseHead response() {
        ResponseView relayed = relay.view();
        HttpResponse sent = writer.head();
        if (relayed != null && (sent == null || sent == relayed.netty())) {
            return relayed; // the backend's head: in response_filter, and after it went out
        }
        if (sent == null) {
            return null;
        }
        if (local == null || local.netty() != sent) {
            local = new ResponseView(sent, writer.bodyBytes());
        }
        return local;
    }

    @Override
    public Peer peer() {
        return facts.peer;
    }

    @Override
    public EventLoopExecutor executor() {
        return client.loop().executor();
    }

    @Override
    public long startNanos() {
        return facts.startNanos;
    }

    @Override
    public int status() {
        return writer.status();
    }

    @Override
    public ProxyError error() {
        return facts.error;
    }

    @Override
    public String respondedBy() {
        return facts.respondedBy;
    }

    @Override
    public int upstreamStatus() {
        return facts.upstreamStatus;
    }

    @Override
    public int upstreamAttempts() {
        return attempts.count();
    }

    @Override
    public long requestBodyBytes() {
        return body.receivedBytes() + facts.tunnelUp;
    }

    @Override
    public long responseBodyBytes() {
        return writer.bodyBytes() + facts.tunnelDown;
    }

    @Override
    public String toString() {
        return "request " + facts.requestId + " " + clientHead;
    }

    @Override
    public dev.turnpike.api.HostPort forwardTarget() {
        return facts.forwardTarget;
    }
}
