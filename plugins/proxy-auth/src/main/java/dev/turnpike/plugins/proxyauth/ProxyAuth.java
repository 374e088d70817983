package dev.turnpike.plugins.proxyauth;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Response;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.pf4j.Extension;

/**
 * {@code request_filter}: HTTP Basic proxy authentication (RFC 9110 §11.7). A request without
 * valid {@code Proxy-Authorization} credentials is answered {@code 407 Proxy Authentication
 * Required} with {@code Proxy-Authenticate: Basic realm="<realm>"}; one with them goes on without
 * the header (the credentials are for this proxy, never for the next hop). By default only
 * forward requests ({@link Session#forwardTarget()} set: CONNECT, absolute-form targets) are
 * checked; {@code forward_only: false} checks every request.
 *
 * <p>Configuration: {@code users_file} (required; relative paths from the proxy's working
 * directory), {@code realm} (default {@code turnpike}), {@code forward_only} (default true). The
 * file is read when the plugin starts (a configuration reload starts it again). See the README.
 *
 * <p>Threads: {@link #requestFilter} runs on every event loop at once; it reads immutable state.
 */
@Extension
public final class ProxyAuth implements ProxyPlugin<Void> {

    static final String HEADER = "Proxy-Authorization";

    private volatile Users users;
    private volatile Response challenge;
    private volatile boolean forwardOnly = true;

    @Override
    public void start(PluginContext context) throws IOException {
        configure(context.config());
    }

    /** Reads the settings and the users file (the start without a context, for tests). */
    void configure(ConfigSection c) throws IOException {
        String file = c.string("users_file");
        if (file == null || file.isBlank()) {
            throw c.invalid("users_file", "required: the file of user:sha256:<salt hex>:<hash hex> lines");
        }
        String realm = c.string("realm", "turnpike");
        if (realm.isEmpty() || !realm.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')) {
            throw c.invalid("realm", "must be printable ASCII without '\"' or '\\'");
        }
        boolean only = c.bool("forward_only", true);
        c.refuseUnreadKeys();
        Path path = Path.of(file);
        Users u;
        try {
            u = Users.parse(Files.readAllLines(path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw c.invalid("users_file", "cannot read " + path + ": " + e);
        } catch (IllegalArgumentException e) {
            throw c.invalid("users_file", path + ": " + e.getMessage());
        }
        this.challenge = Response.status(407)
                .header("Proxy-Authenticate", "Basic realm=\"" + realm + "\"")
                .header("Content-Type", "text/plain; charset=utf-8")
                .body("407 Proxy Authentication Required\n")
                .build();
        this.forwardOnly = only;
        this.users = u;
    }

    @Override
    public Outcome requestFilter(Session session, Void ctx) {
        if (forwardOnly && session.forwardTarget() == null) {
            return Outcome.proceed();
        }
        var headers = session.request().headers();
        java.util.List<String> values = headers.getAll(HEADER);
        boolean ok = values.size() == 1 && valid(values.get(0));
        if (!ok) {
            return Outcome.respond(challenge);
        }
        headers.remove(HEADER);
        return Outcome.proceed();
    }

    /** Whether {@code value} is {@code Basic <base64 of user:password>} with a user's right password. */
    boolean valid(String value) {
        String v = value.strip();
        if (v.length() < 6 || !v.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(v.substring(6).strip());
        } catch (IllegalArgumentException e) {
            return false;
        }
        String pair = new String(decoded, StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        return users.verify(pair.substring(0, colon), pair.substring(colon + 1));
    }
}
