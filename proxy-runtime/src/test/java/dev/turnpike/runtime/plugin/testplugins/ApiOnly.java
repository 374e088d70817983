package dev.turnpike.runtime.plugin.testplugins;

import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A test plugin within the boundary: the API, SLF4J, and JDK classes beyond {@code java.lang}
 * (javax.crypto, javax.net.ssl, java.net.http from the platform's own modules). Its start computes
 * an HMAC-SHA256 of {@code turnpike} keyed with config {@code secret}; {@link #get()} (a JDK
 * interface, so the test can call it across class loaders) reports it with the other values.
 */
public final class ApiOnly implements ProxyPlugin<Void>, Supplier<String> {

    private static final Logger log = LoggerFactory.getLogger(ApiOnly.class);

    private String report = "not started";

    @Override
    public void start(PluginContext context) {
        String secret = context.config().string("secret", "s3cret");
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            String hmac = HexFormat.of().formatHex(mac.doFinal("turnpike".getBytes(StandardCharsets.UTF_8)));
            SSLParameters tls = new SSLParameters(new String[0], new String[] {"TLSv1.3"});
            report = "hmac=" + hmac + " http=" + HttpClient.Version.HTTP_2 + " tls=" + tls.getProtocols()[0];
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        log.info("api-only plugin {} started: {}", context.pluginVersion(), report);
    }

    @Override
    public String get() {
        return report;
    }
}
