package dev.turnpike.plugins.headerinjection;

import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.api.net.Cidr;
import dev.turnpike.api.net.TrustedProxies;
import java.util.List;

/**
 * The plugin's configuration, read and checked once in {@code start()}, with what a request will
 * need worked out ahead. Immutable and thread-safe.
 */
final class Settings {

    /** Nothing configured: the defaults. */
    static final Settings DEFAULTS = read(ConfigSection.empty(""));

    final TrustedProxies trusted;
    final boolean xForwardedFor;
    final boolean xRealIp;
    final boolean xForwardedProto;
    final boolean xForwardedHost;
    final boolean via;
    final boolean forwarded;
    final HeaderEdits request;
    final HeaderEdits response;

    /** The upstream phase needs the socket peer and whether it is trusted. */
    final boolean needsPeer;
    /** The upstream phase needs the resolved client address. */
    final boolean needsClientIp;
    /** The upstream phase needs the client's Host. */
    final boolean needsHost;
    /** The response side needs values resolved upstream: a per-request context is kept. */
    final boolean needsContext;

    private Settings(TrustedProxies trusted, ConfigSection forwarding, HeaderEdits request, HeaderEdits response) {
        this.trusted = trusted;
        this.xForwardedFor = forwarding.bool("x_forwarded_for", true);
        this.xRealIp = forwarding.bool("x_real_ip", true);
        this.xForwardedProto = forwarding.bool("x_forwarded_proto", true);
        this.xForwardedHost = forwarding.bool("x_forwarded_host", true);
        this.via = forwarding.bool("via", true);
        this.forwarded = forwarding.bool("forwarded", false);
        this.request = request;
        this.response = response;

        boolean responseClientIp = response.uses(Variable.CLIENT_IP);
        boolean responseHost = response.uses(Variable.HOST);
        this.needsContext = responseClientIp || responseHost;
        this.needsClientIp = xRealIp || request.uses(Variable.CLIENT_IP) || responseClientIp;
        this.needsHost = xForwardedHost || forwarded || request.uses(Variable.HOST) || responseHost;
        // X-Forwarded-Proto and -Host keep a trusted proxy's value, so they ask about trust too.
        this.needsPeer = needsClientIp || xForwardedFor || xForwardedProto || xForwardedHost || forwarded;
    }

    /**
     * Reads the plugin's section: {@code trusted_proxies}, {@code forwarding}, {@code request},
     * {@code response}.
     *
     * @throws InvalidConfigException naming the key and the reason
     */
    static Settings read(ConfigSection config) {
        List<String> cidrs = config.strings("trusted_proxies");
        for (int i = 0; i < cidrs.size(); i++) {
            try {
                Cidr.parse(cidrs.get(i));
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(config.keyPath("trusted_proxies") + "[" + i + "]", e.getMessage());
            }
        }
        TrustedProxies trusted = cidrs.isEmpty() ? TrustedProxies.none() : TrustedProxies.of(cidrs);
        ConfigSection forwarding = config.section("forwarding");
        HeaderEdits request = HeaderEdits.read(config.section("request"));
        HeaderEdits response = HeaderEdits.read(config.section("response"));
        return new Settings(trusted, forwarding, request, response);
    }

    /** Whether the upstream phase has anything to do. */
    boolean editsRequest() {
        return xForwardedFor || xRealIp || xForwardedProto || xForwardedHost || via || forwarded || !request.isEmpty();
    }

    @Override
    public String toString() {
        return "trusted_proxies=" + (trusted.isEmpty() ? "none" : "set") + ", x_forwarded_for=" + xForwardedFor
                + ", x_real_ip=" + xRealIp + ", x_forwarded_proto=" + xForwardedProto + ", x_forwarded_host="
                + xForwardedHost + ", via=" + via + ", forwarded=" + forwarded + ", request: " + request
                + ", response: " + response;
    }
}
